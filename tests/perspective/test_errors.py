"""Refusals in Google's error envelope: nothing is scored, nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from civility.perspective.errors import ERROR_TYPE_URL
from civility.perspective.models import ApiKeyUsage, ScoreSuggestion

from .conftest import ANALYZE, SUGGEST, error_type, post

pytestmark = pytest.mark.django_db

OK_ATTRS = {"TOXICITY": {}}


def _assert_google_400(resp: Any, expected_type: str) -> dict[str, Any]:
    assert resp.status_code == 400, resp.content
    assert resp["Content-Type"].startswith("application/json")
    err = resp.json()["error"]
    assert err["code"] == 400
    assert err["status"] == "INVALID_ARGUMENT"
    assert isinstance(err["message"], str) and err["message"]
    assert err["details"][0]["@type"] == ERROR_TYPE_URL
    assert err["details"][0]["errorType"] == expected_type
    return err


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"requestedAttributes": OK_ATTRS}, "COMMENT_EMPTY"),
        ({"comment": {"text": ""}, "requestedAttributes": OK_ATTRS}, "COMMENT_EMPTY"),
        ({"comment": {"text": "   \n"}, "requestedAttributes": OK_ATTRS}, "COMMENT_EMPTY"),
        ({"comment": {"text": "x" * 20481}, "requestedAttributes": OK_ATTRS}, "COMMENT_TOO_LONG"),
        # 20 KB counts UTF-8 bytes: 6,827 three-byte characters are 20,481 bytes.
        ({"comment": {"text": "€" * 6827}, "requestedAttributes": OK_ATTRS}, "COMMENT_TOO_LONG"),
        ({"comment": {"text": "hello"}}, "NO_REQUESTED_ATTRIBUTES"),
        ({"comment": {"text": "hello"}, "requestedAttributes": {}}, "NO_REQUESTED_ATTRIBUTES"),
        ({"comment": {"text": "hello"}, "requestedAttributes": {"NOPE": {}}}, "INVALID_REQUEST"),
        (
            {"comment": {"text": "hi", "type": "HTML"}, "requestedAttributes": OK_ATTRS},
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreType": "RAW"}}},
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 2}}},
            "INVALID_REQUEST",
        ),
        ({"comment": "hi", "requestedAttributes": OK_ATTRS}, "INVALID_REQUEST"),
        ({"comment": {"text": 5}, "requestedAttributes": OK_ATTRS}, "INVALID_REQUEST"),
        ({"comment": {"text": "hi"}, "requestedAttributes": ["TOXICITY"]}, "INVALID_REQUEST"),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": OK_ATTRS, "doNotStore": "yes"},
            "INVALID_REQUEST",
        ),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": OK_ATTRS,
                "context": {
                    "entries": [{"text": "a"}],
                    "articleAndParentComment": {"article": {"text": "b"}},
                },
            },
            "INVALID_REQUEST",
        ),
        ("[1, 2]", "INVALID_REQUEST"),
        ("{comment: {text: 'unterminated}", "INVALID_REQUEST"),
        (b"\xff\xfe{}", "INVALID_REQUEST"),
    ],
)
def test_invalid_analyze_requests(client: Any, api_key: str, body: Any, expected: str) -> None:
    _assert_google_400(post(client, ANALYZE, body, api_key), expected)


def test_unknown_attribute_message_names_it(client: Any, api_key: str) -> None:
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}, "BOGUS": {}}}
    err = _assert_google_400(post(client, ANALYZE, body, api_key), "INVALID_REQUEST")
    assert err["message"] == "Unknown requested attribute: BOGUS"


def test_perspective_attribute_we_do_not_model_is_refused_like_google(
    client: Any, api_key: str
) -> None:
    """Clients drop the attribute named in languageNotSupportedByAttributeError and retry."""
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"FLIRTATION": {}}}
    err = _assert_google_400(
        post(client, ANALYZE, body, api_key), "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    )
    detail = err["details"][0]["languageNotSupportedByAttributeError"]
    assert detail["attribute"] == "FLIRTATION"
    assert err["message"].startswith("Attribute FLIRTATION does not support request languages")


def test_requested_non_english_language_is_refused(client: Any, api_key: str) -> None:
    body = {"comment": {"text": "hello"}, "languages": ["de"], "requestedAttributes": OK_ATTRS}
    err = _assert_google_400(
        post(client, ANALYZE, body, api_key), "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    )
    detail = err["details"][0]["languageNotSupportedByAttributeError"]
    assert detail == {
        "detectedLanguages": ["en"],
        "requestedLanguages": ["de"],
        "attribute": "TOXICITY",
    }
    assert err["message"] == "Attribute TOXICITY does not support request languages: de"


def test_detected_non_english_text_is_refused_not_guessed(client: Any, api_key: str) -> None:
    body = {
        "comment": {"text": "Das ist nicht gut und ich bin sehr wütend auf dich, aber egal."},
        "requestedAttributes": {"INSULT": {}},
    }
    err = _assert_google_400(
        post(client, ANALYZE, body, api_key), "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    )
    detail = err["details"][0]["languageNotSupportedByAttributeError"]
    assert detail["detectedLanguages"] == ["de"]
    assert detail["attribute"] == "INSULT"


@pytest.mark.parametrize("key", [None, "", "civ_not-a-real-key"])
def test_missing_or_unknown_key_is_403(client: Any, db: Any, key: str | None) -> None:
    body = {"comment": {"text": "hello"}, "requestedAttributes": OK_ATTRS}
    resp = post(client, ANALYZE, body, key)
    assert resp.status_code == 403
    err = resp.json()["error"]
    assert err["code"] == 403 and err["status"] == "PERMISSION_DENIED"
    assert "API key" in err["message"]


def test_key_in_header_is_accepted(client: Any, api_key: str) -> None:
    body = {"comment": {"text": ""}, "requestedAttributes": OK_ATTRS}
    resp = post(client, ANALYZE, body, None, HTTP_X_GOOG_API_KEY=api_key)
    assert resp.status_code == 400  # authenticated; refused for the empty comment instead
    assert error_type(resp) == "COMMENT_EMPTY"


def test_get_is_refused_in_google_shape(client: Any, api_key: str) -> None:
    resp = client.get(f"{ANALYZE}?key={api_key}")
    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == 405


def test_over_quota_is_429_resource_exhausted(client: Any, db: Any) -> None:
    from civility.perspective.keys import create_key

    key, raw = create_key("slow", qps=2)
    body = {"comment": {"text": ""}, "requestedAttributes": OK_ATTRS}
    # Five requests against a 2 qps quota: however they fall across one boundary between two
    # wall-clock seconds, one of the seconds gets 3 or more, so at least one is refused.
    resps = [post(client, ANALYZE, body, raw) for _ in range(5)]
    codes = [r.status_code for r in resps]
    assert codes[0] == 400
    assert 429 in codes and set(codes) <= {400, 429}
    resp = resps[codes.index(429)]
    err = resp.json()["error"]
    assert err["code"] == 429 and err["status"] == "RESOURCE_EXHAUSTED"
    assert resp["Retry-After"] == "1"
    usage = ApiKeyUsage.objects.get(key=key, method="analyze")
    assert usage.over_quota >= 1
    assert usage.requests >= 2


def test_invalid_suggestscore_stores_nothing(client: Any, api_key: str) -> None:
    bad = [
        {"attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}}},
        {"comment": {"text": "hello"}},
        {"comment": {"text": "hello"}, "attributeScores": {"TOXICITY": {"summaryScore": {}}}},
        {
            "comment": {"text": "hi"},
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 3}}},
        },
        {
            "comment": {"text": "hi"},
            "attributeScores": {"TOXICITY": {"spanScores": [{"score": {"value": 0.5}}]}},
        },
    ]
    for body in bad:
        resp = post(client, SUGGEST, body, api_key)
        assert resp.status_code == 400, body
        assert resp.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert ScoreSuggestion.objects.count() == 0


def test_oversized_bodies_are_refused(client: Any, api_key: str) -> None:
    big_relaxed = (
        "{comment: {text: 'hi'}, requestedAttributes: {TOXICITY: {}}, x: '" + "a" * 300_000 + "'}"
    )
    resp = post(client, ANALYZE, big_relaxed, api_key)
    assert resp.status_code == 400 and error_type(resp) == "INVALID_REQUEST"
    huge = '{"comment": {"text": "hi"}, "x": "' + "a" * (2 * 1024 * 1024) + '"}'
    resp = post(client, ANALYZE, huge, api_key)
    assert resp.status_code == 413 and error_type(resp) == "INVALID_REQUEST"
    beyond_django = '{"comment": {"text": "hi"}, "x": "' + "a" * (3 * 1024 * 1024) + '"}'
    resp = post(client, ANALYZE, beyond_django, api_key)
    assert resp.status_code == 413 and error_type(resp) == "INVALID_REQUEST"


def test_any_base_path_routes_to_analyze(client: Any, api_key: str) -> None:
    """Coral joins an admin-set base URL with "/comments:analyze"."""
    body = {"comment": {"text": ""}, "requestedAttributes": OK_ATTRS}
    for path in ("/comments:analyze", "/perspective/v1alpha1/comments:analyze"):
        resp = post(client, path, body, api_key)
        assert resp.status_code == 400 and error_type(resp) == "COMMENT_EMPTY"


def test_relaxed_json_is_parsed(client: Any, api_key: str) -> None:
    """Unquoted keys, single quotes, trailing commas: parsed, so the refusal is about meaning."""
    body = "{comment: {text: ''}, requestedAttributes: {TOXICITY: {},},}"
    resp = post(client, ANALYZE, body, api_key)
    assert error_type(resp) == "COMMENT_EMPTY"
    body = "{comment: {text: 'hello'}, languages: ['fr'], requestedAttributes: {TOXICITY: {}}}"
    resp = post(client, ANALYZE, body, api_key)
    assert error_type(resp) == "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"


def test_hostile_json_is_a_400_in_googles_envelope(client: Any, api_key: str) -> None:
    for raw in (
        b'{"comment": {"text": "a\\u0000b"}, "requestedAttributes": {"TOXICITY": {}}}',
        b'{"comment": {"text": "a\\ud800b"}, "requestedAttributes": {"TOXICITY": {}}}',
        b"[" * 3000 + b"]" * 3000,
        b"{comment: {text: '" + b"a" * 40_000 + b"'}}",  # relaxed JSON past its 32 KB limit
    ):
        resp = post(client, ANALYZE, raw, api_key)
        assert resp.status_code == 400, (raw[:40], resp.content[:200])
        assert resp.json()["error"]["status"] == "INVALID_ARGUMENT"
