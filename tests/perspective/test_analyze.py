"""comments:analyze with the real model: shape, spans in UTF-16, thresholds, storage."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.apps import apps

from civility.perspective import engine
from civility.perspective.models import ApiKeyUsage

from .conftest import ANALYZE, post

pytestmark = pytest.mark.django_db

ALL = ["TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "THREAT", "IDENTITY_ATTACK",
       "DEHUMANIZATION"]  # fmt: skip


def analyze(client: Any, key: str, text: str, attrs: Any = None, **fields: Any) -> Any:
    if attrs is None:
        attrs = {"TOXICITY": {}}
    elif isinstance(attrs, list):
        attrs = {a: {} for a in attrs}
    body = {"comment": {"text": text}, "requestedAttributes": attrs, **fields}
    return post(client, ANALYZE, body, key)


def test_response_shape_for_every_attribute(client: Any, api_key: str, scorer: Any) -> None:
    text = "You are a pathetic idiot."
    resp = analyze(client, api_key, text, ALL, clientToken="tok-1", languages=["en"])
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert set(data) == {"attributeScores", "languages", "detectedLanguages", "clientToken"}
    assert data["clientToken"] == "tok-1"
    assert data["languages"] == ["en"] and data["detectedLanguages"] == ["en"]
    assert set(data["attributeScores"]) == set(ALL)
    for attr, entry in data["attributeScores"].items():
        summary = entry["summaryScore"]
        assert summary["type"] == "PROBABILITY"
        assert isinstance(summary["value"], float) and 0.0 <= summary["value"] <= 1.0, attr
        assert entry["spanScores"], attr
        for span in entry["spanScores"]:
            assert isinstance(span["begin"], int) and isinstance(span["end"], int)
            assert 0 <= span["begin"] < span["end"] <= len(text)
            assert span["score"]["type"] == "PROBABILITY"
    assert data["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.5


def test_scores_rank_toxic_above_civil(client: Any, api_key: str, scorer: Any) -> None:
    def tox(text: str) -> float:
        body = analyze(client, api_key, text).json()
        return float(body["attributeScores"]["TOXICITY"]["summaryScore"]["value"])

    assert tox("Shut up, you stupid moron.") > tox("Thank you for the careful reporting.")


def test_languages_auto_detected_when_not_requested(client: Any, api_key: str, scorer: Any) -> None:
    data = analyze(client, api_key, "This is a fine comment about the city council.").json()
    assert data["languages"] == ["en"] and data["detectedLanguages"] == ["en"]
    assert "clientToken" not in data
    # BCP-47 English is English.
    assert analyze(client, api_key, "Hello there", languages=["en-US"]).status_code == 200


def test_span_offsets_are_utf16_code_units(client: Any, api_key: str, scorer: Any) -> None:
    text = "Café crème 😀😀 — you are a stupid idiot, señor 👍🏽"
    result = scorer.score([text])[0]
    model_spans = [s for s in result.spans if s.attribute == "TOXICITY"]
    assert model_spans, "the model should find a toxic span in this text"
    data = analyze(client, api_key, text).json()
    spans = data["attributeScores"]["TOXICITY"]["spanScores"]
    encoded = text.encode("utf-16-le")
    got = {encoded[2 * s["begin"] : 2 * s["end"]].decode("utf-16-le") for s in spans}
    want = {text[s.start : s.end] for s in model_spans}
    assert got == want
    assert any("idiot" in piece for piece in got)
    # After two astral emoji the UTF-16 offset is larger than the code-point offset.
    first = min(model_spans, key=lambda s: s.start)
    assert min(s["begin"] for s in spans) == first.start + 2


def test_whole_text_span_when_nothing_stands_out(client: Any, api_key: str, scorer: Any) -> None:
    text = "Nice 🌷 garden"
    data = analyze(client, api_key, text).json()
    entry = data["attributeScores"]["TOXICITY"]
    if not [s for s in scorer.score([text])[0].spans if s.attribute == "TOXICITY"]:
        assert entry["spanScores"] == [
            {"begin": 0, "end": len(text.encode("utf-16-le")) // 2, "score": entry["summaryScore"]}
        ]


def test_score_threshold_leaves_attributes_out(client: Any, api_key: str, scorer: Any) -> None:
    attrs = {"TOXICITY": {"scoreThreshold": 0.0}, "THREAT": {"scoreThreshold": 1.0}}
    data = analyze(client, api_key, "Have a lovely day.", attrs).json()
    assert "TOXICITY" in data["attributeScores"]
    assert "THREAT" not in data["attributeScores"]


def test_aliases_and_dropped_attributes(client: Any, api_key: str, scorer: Any) -> None:
    attrs = ["TOXICITY", "INSULT_EXPERIMENTAL", "FLIRTATION"]
    data = analyze(client, api_key, "You fool.", attrs, dropUnsupportedAttributes=True).json()
    scores = data["attributeScores"]
    assert set(scores) == {"TOXICITY", "INSULT_EXPERIMENTAL"}
    direct = analyze(client, api_key, "You fool.", ["INSULT"]).json()["attributeScores"]
    assert scores["INSULT_EXPERIMENTAL"] == direct["INSULT"]


def test_calibration_is_applied(client: Any, api_key: str, scorer: Any) -> None:
    cal = engine.load_calibration(scorer.version)
    text = "What an absolutely dumb take, you clown."
    raw = scorer.score([text])[0].scores
    data = analyze(client, api_key, text, ALL).json()["attributeScores"]
    for attr in ALL:
        want = cal.apply(attr, raw[attr])
        assert data[attr]["summaryScore"]["value"] == pytest.approx(want, abs=1e-6)


def test_calibration_exists_for_the_shipped_model_and_is_monotone(scorer: Any) -> None:
    path = engine.calibration_path(scorer.version)
    assert path.exists(), (
        f"no calibration for model {scorer.version}: run "
        "`python -m civility.training.perspective_calibration` and commit the JSON"
    )
    cal = engine.load_calibration(scorer.version)
    assert cal.artifact_sha256 == engine.artifact_sha256(scorer.path), (
        "the calibration was fitted on other weights of this model version: re-run "
        "`python -m civility.training.perspective_calibration` and commit the JSON"
    )
    assert set(cal.knots) >= {"TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "THREAT",
                              "IDENTITY_ATTACK"}  # fmt: skip
    for x, y in cal.knots.values():
        assert (x[1:] >= x[:-1]).all() and (y[1:] >= y[:-1]).all()
        assert x[0] <= 0.0 and x[-1] >= 1.0 and 0.0 <= y[0] and y[-1] <= 1.0


def _text_anywhere_in_db(marker: str) -> list[str]:
    found = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            if any(marker in str(v) for v in row.values()):
                found.append(model.__name__)
    return found


@pytest.mark.parametrize("do_not_store", [True, False])
def test_text_is_written_nowhere(
    client: Any, api_key: str, scorer: Any, caplog: Any, do_not_store: bool
) -> None:
    marker = "zqxjmarker you absolute idiot"
    caplog.set_level(logging.DEBUG)
    resp = analyze(client, api_key, marker, ALL, doNotStore=do_not_store, clientToken="c")
    assert resp.status_code == 200
    # And a refused request (non-English) leaves no text either.
    analyze(client, api_key, marker, ALL, languages=["fr"])
    assert _text_anywhere_in_db("zqxjmarker") == []
    assert "zqxjmarker" not in caplog.text
    assert ApiKeyUsage.objects.get(method="analyze").requests == 2
