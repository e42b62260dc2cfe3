"""Fixtures for the Perspective-compatible API and the Coral hook.

The scoring tests use the real bundled model; they skip, saying why, only while no model artifact
is installed (`Scorer.load()` cannot find one).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from civility.perspective.keys import create_key

ANALYZE = "/v1alpha1/comments:analyze"
SUGGEST = "/v1alpha1/comments:suggestscore"


@pytest.fixture
def api_key(db: Any) -> str:
    _, raw = create_key("test-client", qps=1000)
    return raw


@pytest.fixture(scope="session")
def scorer() -> Any:
    from civility.perspective.engine import get_scorer

    try:
        return get_scorer()
    except (FileNotFoundError, OSError) as exc:
        pytest.skip(f"no scoring model artifact installed yet (Scorer.load(): {exc})")


def post(client: Any, path: str, body: Any, key: str | None = None, **extra: Any) -> Any:
    url = path if key is None else f"{path}?key={key}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


def error_type(resp: Any) -> str:
    return resp.json()["error"]["details"][0]["errorType"]
