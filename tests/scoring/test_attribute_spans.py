"""Scorer.attribute_spans: each attribute scores the offending spans on its own evidence."""

from __future__ import annotations

from typing import Any

import pytest

from civility.scoring import Scorer

INSULT = "You are a stupid idiot."
BOTH = "You idiot, I will kill you."


@pytest.fixture(scope="module")
def stage1() -> Scorer:
    return Scorer.load(stage2=False)


@pytest.fixture(params=["cascade", "stage1"])
def any_scorer(request: Any, scorer: Scorer) -> Scorer:
    return scorer if request.param == "cascade" else request.getfixturevalue("stage1")


def _by_text(text: str, spans: list[Any]) -> dict[str, float]:
    return {text[s.start : s.end]: s.score for s in spans}


def test_an_insult_scores_its_span_for_insult_not_threat(any_scorer: Scorer) -> None:
    result = any_scorer.score_one(INSULT)
    per = any_scorer.attribute_spans(INSULT, result)
    assert set(per) == set(any_scorer.attributes)
    where = {(s.start, s.end) for s in result.spans}
    assert where and all({(s.start, s.end) for s in spans} == where for spans in per.values())
    insult, threat = _by_text(INSULT, per["INSULT"]), _by_text(INSULT, per["THREAT"])
    assert any("idiot" in t for t in insult)
    for text in insult:
        assert insult[text] > 0.5 > threat[text], (text, insult[text], threat[text])
        assert insult[text] > 10 * threat[text]
    scores = {a: sorted(s.score for s in spans) for a, spans in per.items()}
    assert len({tuple(v) for v in scores.values()}) > 1  # attributes differ


def test_each_attribute_peaks_on_the_span_that_carries_it(any_scorer: Scorer) -> None:
    result = any_scorer.score_one(BOTH)
    per = any_scorer.attribute_spans(BOTH, result)
    insult, threat = _by_text(BOTH, per["INSULT"]), _by_text(BOTH, per["THREAT"])
    idiot = next(t for t in insult if "idiot" in t)
    kill = next(t for t in insult if "kill" in t)
    assert insult[idiot] > insult[kill]
    assert threat[kill] > threat[idiot]


def test_toxicity_keeps_the_span_heads_scores(scorer: Scorer) -> None:
    result = scorer.score_one(BOTH)
    head = {(s.start, s.end): s.score for s in result.spans if s.attribute == "TOXICITY"}
    per = scorer.attribute_spans(BOTH, result)
    assert {(s.start, s.end): s.score for s in per["TOXICITY"]} == pytest.approx(head)


def test_no_spans_no_attribute_spans(scorer: Scorer) -> None:
    text = "Thanks for the careful reporting on the council budget."
    result = scorer.score_one(text)
    assert result.spans == []
    assert scorer.attribute_spans(text, result) == {}
