"""Compatibility: Perspective's documented examples, real clients' requests, a PyPI client.

Sources replayed (request bodies as published; responses compared by structure and types):
- conversationai/perspectiveapi 2-api/methods.md: the AnalyzeComment example (TOXICITY and
  UNSUBSTANTIAL) and the SuggestCommentScore example (it has a trailing comma);
- Coral's Perspective service: its analyze request and its suggestscore feedback call;
- Commento++ api/perspective.go: relaxed JSON with unquoted keys;
- the `perspectiveapi` package from PyPI, pointed at a live Civility server.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from civility.perspective.models import ScoreSuggestion

from .conftest import ANALYZE, SUGGEST, error_type, post

pytestmark = pytest.mark.django_db

DOC_ANALYZE_REQUEST = """{
  "comment": {
     "text": "What kind of idiot name is foo? Sorry, I like your name."
  },
  "languages": ["en"],
  "requestedAttributes": {
    "TOXICITY": {},
    "UNSUBSTANTIAL": {}
  }
}"""

DOC_ANALYZE_RESPONSE = {
    "attributeScores": {
        "TOXICITY": {"summaryScore": {"value": 0.8627961, "type": "PROBABILITY"}},
        "UNSUBSTANTIAL": {
            "spanScores": [
                {"begin": 0, "end": 31, "score": {"value": 0.52690625, "type": "PROBABILITY"}},
                {"begin": 32, "end": 55, "score": {"value": 0.9106685, "type": "PROBABILITY"}},
            ],
            "summaryScore": {"value": 0.69036055, "type": "PROBABILITY"},
        },
    },
    "languages": ["en"],
}

# Verbatim from methods.md, including its trailing comma after "TOXICITY": {...}.
DOC_SUGGEST_REQUEST = """{
  "comment": {
    "text": "I guess it comes down a simple choice: Get busy living, or get busy dying."
  },
  "attributeScores": {
    "TOXICITY": {
      "summaryScore": {
        "value": 0
      }
    },
  },
  "communityId": "/forum/movies",
  "clientToken": "comment-53922"
}"""


def assert_same_shape(ours: Any, documented: Any, where: str = "$") -> None:
    """Every key of the documented value exists in ours with the same JSON type, recursively."""
    if isinstance(documented, dict):
        assert isinstance(ours, dict), where
        for key, value in documented.items():
            assert key in ours, f"{where}.{key} missing"
            assert_same_shape(ours[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(ours, list), where
        for item in ours:
            assert_same_shape(item, documented[0], f"{where}[]")
    elif isinstance(documented, float):
        assert isinstance(ours, float), f"{where}: {ours!r} is not a float"
    elif isinstance(documented, int):
        assert isinstance(ours, int) and not isinstance(ours, bool), where
    else:
        assert type(ours) is type(documented), where


def test_doc_analyze_example_refuses_unsubstantial_like_google(client: Any, api_key: str) -> None:
    resp = post(client, ANALYZE, DOC_ANALYZE_REQUEST, api_key)
    assert resp.status_code == 400
    assert error_type(resp) == "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    detail = resp.json()["error"]["details"][0]["languageNotSupportedByAttributeError"]
    assert detail["attribute"] == "UNSUBSTANTIAL"


def test_doc_analyze_example_shape(client: Any, api_key: str, scorer: Any) -> None:
    # The same request after the client drops the refused attribute, as clients do.
    request = json.loads(DOC_ANALYZE_REQUEST)
    del request["requestedAttributes"]["UNSUBSTANTIAL"]
    resp = post(client, ANALYZE, request, api_key)
    assert resp.status_code == 200
    ours = resp.json()
    documented = dict(DOC_ANALYZE_RESPONSE)
    documented["attributeScores"] = {
        "TOXICITY": {
            **DOC_ANALYZE_RESPONSE["attributeScores"]["TOXICITY"],  # type: ignore[index]
            "spanScores": DOC_ANALYZE_RESPONSE["attributeScores"]["UNSUBSTANTIAL"]["spanScores"],  # type: ignore[index]
        }
    }
    assert_same_shape(ours, documented)
    assert set(ours["attributeScores"]) == {"TOXICITY"}
    # dropUnsupportedAttributes (discovery doc) gets the same answer in one round trip.
    request = json.loads(DOC_ANALYZE_REQUEST)
    request["dropUnsupportedAttributes"] = True
    again = post(client, ANALYZE, request, api_key).json()
    assert again["attributeScores"] == ours["attributeScores"]


def test_doc_suggestscore_example(client: Any, api_key: str) -> None:
    resp = post(client, SUGGEST, DOC_SUGGEST_REQUEST, api_key)
    assert resp.status_code == 200, resp.content
    assert resp.json()["clientToken"] == "comment-53922"
    assert resp.json()["detectedLanguages"] == ["en"]
    row = ScoreSuggestion.objects.get()
    assert row.text.startswith("I guess it comes down")
    assert row.community_id == "/forum/movies"
    assert row.attribute_scores == {
        "TOXICITY": {"summaryScore": {"value": 0.0, "type": "PROBABILITY"}}
    }
    # Stored through the audited action; the audit entry names the key, never the text.
    from civility.moderation.models import AuditEntry

    entry = AuditEntry.objects.get(action="perspective.suggestion")
    assert entry.data["attributes"] == ["TOXICITY"] and entry.data["suggestion"] == row.pk
    assert "I guess" not in json.dumps(entry.data)


def test_coral_requests(client: Any, api_key: str, scorer: Any) -> None:
    # Coral's analyze call (services/perspective): one model, its locale, doNotStore.
    analyze = {
        "comment": {"text": "This article is garbage and so are you."},
        "languages": ["en"],
        "requestedAttributes": {"TOXICITY": {}},
        "doNotStore": True,
    }
    resp = client.post(
        f"/api/perspective/comments:analyze?key={api_key}",
        data=json.dumps(analyze),
        content_type="application/json",
    )
    assert resp.status_code == 200
    value = resp.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    assert isinstance(value, float)
    # Coral's feedback call after a moderator rejects the comment.
    feedback = {
        "comment": {"text": "This article is garbage and so are you."},
        "context": {
            "entries": [
                {
                    "text": json.dumps(
                        {
                            "url": "https://news.example/story?commentID=c1",
                            "reply_to_id_Coral_comment_id": None,
                            "Coral_comment_id": "c1",
                        }
                    )
                }
            ]
        },
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}},
        "languages": ["en"],
        "communityId": "Coral:https://news.example",
        "clientToken": "comment:c1",
    }
    resp = post(client, SUGGEST, feedback, api_key)
    assert resp.status_code == 200
    assert resp.json() == {
        "clientToken": "comment:c1",
        "detectedLanguages": ["en"],
        "requestedLanguages": ["en"],
    }
    row = ScoreSuggestion.objects.get(client_token="comment:c1")
    assert row.attribute_scores["TOXICITY"]["summaryScore"]["value"] == 1.0
    assert row.context["entries"][0]["text"].startswith('{"url"')


def test_commento_relaxed_json(client: Any, api_key: str, scorer: Any) -> None:
    # Commento++ builds its body by string concatenation: unquoted keys, a trailing space.
    body = '{comment: {text: "you are such a loser"}, languages: ["en"], requestedAttributes: {TOXICITY:{}} }'
    resp = post(client, ANALYZE, body, api_key)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"], float)


def _pypi_perspective_blocking() -> Any:
    """`perspective.blocking` from the perspectiveapi distribution, under another name.

    This test package is itself importable as `perspective` (tests/ is on sys.path), so the
    PyPI package is loaded from its installed files as `pypi_perspective`.
    """
    try:
        dist = importlib.metadata.distribution("perspectiveapi")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("perspectiveapi is not installed (pip install -e '.[dev]')")
    init = Path(str(dist.locate_file("perspective/__init__.py")))
    if "pypi_perspective" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "pypi_perspective", init, submodule_search_locations=[str(init.parent)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["pypi_perspective"] = module
        spec.loader.exec_module(module)
    return importlib.import_module("pypi_perspective.blocking")


@pytest.mark.django_db(transaction=True)
def test_third_party_pypi_client(live_server: Any, scorer: Any) -> None:
    """`perspectiveapi` (PyPI) posts to Google's fixed URL; its httpx client is pointed at ours."""
    httpx = pytest.importorskip("httpx")
    perspective = _pypi_perspective_blocking()
    from civility.perspective.keys import create_key

    _, raw = create_key("pypi-client", qps=100)
    base = httpx.URL(live_server.url)

    class ToCivility(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()
            self.seen: list[str] = []

        def handle_request(self, request: Any) -> Any:
            self.seen.append(str(request.url))
            request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
            request.headers["Host"] = f"{base.host}:{base.port}"
            return self.inner.handle_request(request)

    transport = ToCivility()
    client = perspective.Perspective(key=raw)
    client._Perspective__client = httpx.Client(transport=transport)
    Attribute = perspective.Attribute
    score = client.score(
        "You are a complete idiot.", attributes=[Attribute.TOXICITY, Attribute.INSULT]
    )
    assert transport.seen[0].startswith(
        "https://commentanalyzer.googleapis.com/v1alpha1/comments:analyze?key="
    )
    assert isinstance(score.toxicity, float) and isinstance(score.insult, float)
    assert score.toxicity > 0.5
    assert score.flirtation is None  # not requested, so absent from attributeScores
    calm = client.score("Thanks, this was a helpful explainer.")
    assert calm.toxicity < score.toxicity
