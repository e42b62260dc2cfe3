"""The discovery document, and Perspective's official samples run against a live server with
nothing changed but the discovery URL: Python's google-api-python-client (PyPI) and Node's
googleapis (npm, tests/perspective/node, installed by scripts/test.sh with `npm ci`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from civility.perspective.keys import create_key
from civility.perspective.models import ScoreSuggestion

DISCOVERY = "/$discovery/rest?version=v1alpha1"
ALIAS = "/discovery/v1/apis/commentanalyzer/v1alpha1/rest"
NODE_DIR = Path(__file__).resolve().parent / "node"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_document_describes_what_civility_implements(client: Any) -> None:
    resp = client.get(DISCOVERY)
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    doc = resp.json()
    assert doc["kind"] == "discovery#restDescription" and doc["discoveryVersion"] == "v1"
    assert (doc["id"], doc["name"], doc["version"]) == (
        "commentanalyzer:v1alpha1",
        "commentanalyzer",
        "v1alpha1",
    )
    assert doc["rootUrl"] == "http://testserver/" and doc["servicePath"] == ""
    methods = doc["resources"]["comments"]["methods"]
    assert set(methods) == {"analyze", "suggestscore"}
    analyze = methods["analyze"]
    assert analyze["id"] == "commentanalyzer.comments.analyze"
    assert analyze["path"] == "v1alpha1/comments:analyze" and analyze["httpMethod"] == "POST"
    assert analyze["request"] == {"$ref": "AnalyzeCommentRequest"}
    assert analyze["response"] == {"$ref": "AnalyzeCommentResponse"}
    assert methods["suggestscore"]["path"] == "v1alpha1/comments:suggestscore"
    assert set(refs(doc)) <= set(doc["schemas"])  # every $ref resolves
    assert all(s["id"] == name for name, s in doc["schemas"].items())
    assert doc["parameters"]["key"]["location"] == "query"
    # API keys only: no OAuth scopes, so client libraries never look for Google credentials
    assert "auth" not in doc and not any("scopes" in m for m in methods.values())
    score_type = doc["schemas"]["AttributeParameters"]["properties"]["scoreType"]
    assert score_type["enum"] == ["SCORE_TYPE_UNSPECIFIED", "PROBABILITY"]
    attrs = doc["schemas"]["AnalyzeCommentRequest"]["properties"]["requestedAttributes"]
    assert '"DEHUMANIZATION"' in attrs["description"] and "FLIRTATION" in attrs["description"]
    assert client.get(ALIAS).json() == doc


def test_root_url_from_civility_public_url(client: Any, settings: Any) -> None:
    settings.PERSPECTIVE_DISCOVERY_ROOT_URL = "https://civility.example/moderation"
    doc = client.get(DISCOVERY).json()
    assert doc["rootUrl"] == doc["baseUrl"] == "https://civility.example/moderation/"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/$discovery/rest?version=v1", 404),
        ("/$discovery/rest", 404),
        ("/discovery/v1/apis/commentanalyzer/v1beta9/rest", 404),
    ],
)
def test_unknown_versions_get_googles_error_envelope(client: Any, path: str, status: int) -> None:
    resp = client.get(path)
    assert resp.status_code == status
    error = resp.json()["error"]
    assert error["code"] == 404 and error["status"] == "NOT_FOUND"
    assert "v1alpha1" in error["message"]
    resp = client.post(DISCOVERY, data="{}", content_type="application/json")
    assert resp.status_code == 405 and resp.json()["error"]["code"] == 405


@pytest.mark.django_db(transaction=True)
def test_perspective_python_sample_unchanged_but_the_discovery_url(
    live_server: Any, scorer: Any
) -> None:
    pytest.importorskip("googleapiclient", reason="pip install -e '.[dev]'")
    from googleapiclient import discovery
    from googleapiclient.errors import HttpError

    _, api_key = create_key("python-sample", qps=100)
    API_KEY = api_key  # noqa: N806 - the sample's own names
    DISCOVERY_URL = live_server.url + DISCOVERY  # noqa: N806

    # Perspective's sample (developers.perspectiveapi.com, "Sample requests"), as published:
    client = discovery.build(
        "commentanalyzer",
        "v1alpha1",
        developerKey=API_KEY,
        discoveryServiceUrl=DISCOVERY_URL,
        static_discovery=False,
    )

    analyze_request = {
        "comment": {"text": "friendly greetings from python"},
        "requestedAttributes": {"TOXICITY": {}},
    }

    response = client.comments().analyze(body=analyze_request).execute()
    print(json.dumps(response, indent=2))
    # --- end of the sample
    value = response["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    assert isinstance(value, float) and 0.0 <= value < 0.5
    assert response["languages"] == ["en"]
    rude = (
        client.comments()
        .analyze(
            body={
                "comment": {"text": "You are a pathetic idiot."},
                "requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
            }
        )
        .execute()
    )
    assert rude["attributeScores"]["INSULT"]["summaryScore"]["value"] > value

    suggest = (
        client.comments()
        .suggestscore(
            body={
                "comment": {"text": "friendly greetings from python"},
                "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
                "clientToken": "comment-53922",
            }
        )
        .execute()
    )
    assert suggest["clientToken"] == "comment-53922" and suggest["detectedLanguages"] == ["en"]
    assert ScoreSuggestion.objects.filter(text="friendly greetings from python").exists()

    with pytest.raises(HttpError) as err:
        client.comments().analyze(
            body={"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}
        ).execute()
    assert err.value.resp.status == 400
    body = json.loads(err.value.content)
    assert body["error"]["details"][0]["errorType"] == "COMMENT_EMPTY"
    assert "Comment must be non-empty." in str(err.value)

    bad_key = discovery.build(
        "commentanalyzer",
        "v1alpha1",
        developerKey="not-a-key",
        discoveryServiceUrl=DISCOVERY_URL,
        static_discovery=False,
    )
    with pytest.raises(HttpError) as err:
        bad_key.comments().analyze(body=analyze_request).execute()
    assert err.value.resp.status == 403


@pytest.mark.django_db(transaction=True)
def test_perspective_node_sample_unchanged_but_the_discovery_url(
    live_server: Any, scorer: Any
) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node/npm are not installed (Debian: apt-get install nodejs npm): the googleapis"
            " Node sample was not run"
        )
    assert (NODE_DIR / "node_modules" / "googleapis").is_dir(), (
        f"googleapis is not installed: run `npm ci --prefix {NODE_DIR}` (scripts/test.sh does)"
    )
    _, api_key = create_key("node-sample", qps=100)
    env = {**os.environ, "API_KEY": api_key, "DISCOVERY_URL": live_server.url + DISCOVERY}
    run = subprocess.run(
        [node, "sample.js"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    value = out["analyze"]["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    assert isinstance(value, float) and 0.0 <= value <= 1.0
    assert out["suggestscore"]["clientToken"] == "comment-53922"
    assert ScoreSuggestion.objects.filter(client_token="comment-53922").exists()
    assert out["error"]["status"] == 400
    assert out["error"]["body"]["error"]["details"][0]["errorType"] == "COMMENT_EMPTY"
    assert "Comment must be non-empty." in out["error"]["message"]
