"""comments:analyze spanScores per attribute, with the real model: each attribute scores the
comment's offending spans on its own evidence, calibrated like its summary; shape unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from civility.perspective import engine

from .conftest import ANALYZE, post

pytestmark = pytest.mark.django_db

ATTRS = ["TOXICITY", "INSULT", "THREAT", "IDENTITY_ATTACK"]


def analyze(client: Any, key: str, text: str, attrs: list[str]) -> dict[str, Any]:
    body = {"comment": {"text": text}, "requestedAttributes": {a: {} for a in attrs}}
    resp = post(client, ANALYZE, body, key)
    assert resp.status_code == 200, resp.content
    return dict(resp.json()["attributeScores"])


def spans_of(text: str, entry: dict[str, Any]) -> dict[str, float]:
    """{span text: score} of one attribute's spanScores (offsets in UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    out = {}
    for s in entry["spanScores"]:
        assert set(s) == {"begin", "end", "score"}
        assert s["score"]["type"] == "PROBABILITY"
        out[encoded[2 * s["begin"] : 2 * s["end"]].decode("utf-16-le")] = s["score"]["value"]
    return out


def test_an_insult_spans_score_for_insult_not_threat(client: Any, api_key: str, scorer: Any):
    text = "😀 You are a stupid idiot."  # an astral emoji first: offsets stay UTF-16
    data = analyze(client, api_key, text, ATTRS)
    per = {a: spans_of(text, data[a]) for a in ATTRS}
    assert all(set(spans) == set(per["TOXICITY"]) for spans in per.values())  # the same spans
    assert any("idiot" in t for t in per["INSULT"])
    for piece in per["INSULT"]:
        assert per["INSULT"][piece] > per["THREAT"][piece], piece
    assert len({tuple(sorted(v.values())) for v in per.values()}) > 1  # attributes differ


def test_span_scores_are_calibrated_like_the_summary(client: Any, api_key: str, scorer: Any):
    text = "You idiot, I will kill you."
    result = scorer.score_one(text)
    raw = scorer.attribute_spans(text, result)
    cal = engine.load_calibration(scorer.version)
    data = analyze(client, api_key, text, ATTRS)
    for attr in ATTRS:
        want = {text[s.start : s.end]: cal.apply(attr, s.score) for s in raw[attr]}
        assert spans_of(text, data[attr]) == pytest.approx(want, abs=1e-6)
        summary = cal.apply(attr, result.scores[attr])
        assert data[attr]["summaryScore"]["value"] == pytest.approx(summary, abs=1e-6)
    insult, threat = spans_of(text, data["INSULT"]), spans_of(text, data["THREAT"])
    idiot = next(t for t in insult if "idiot" in t)
    kill = next(t for t in insult if "kill" in t)
    assert insult[idiot] > insult[kill] and threat[kill] > threat[idiot]


def test_stage_one_alone_serves_per_attribute_spans(
    client: Any, api_key: str, scorer: Any, settings: Any
):
    settings.SCORING_STAGE2 = False
    assert engine.get_scorer().encoder is None
    text = "Shut up, you stupid moron."
    data = analyze(client, api_key, text, ATTRS)
    insult, threat = spans_of(text, data["INSULT"]), spans_of(text, data["THREAT"])
    assert any("moron" in t for t in insult)
    assert all(insult[t] > threat[t] for t in insult)


def test_clean_text_keeps_the_whole_text_span(client: Any, api_key: str, scorer: Any):
    text = "Thanks for the careful reporting on the council budget."
    data = analyze(client, api_key, text, ATTRS)
    for attr in ATTRS:
        assert data[attr]["spanScores"] == [
            {"begin": 0, "end": len(text), "score": data[attr]["summaryScore"]}
        ]
