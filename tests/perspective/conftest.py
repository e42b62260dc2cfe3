"""Fixtures for the Perspective-compatible API and the Coral hook.

The scoring tests use the real bundled model through tests/conftest.py's `scorer` fixture: a
missing or broken artifact fails them.
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


def post(client: Any, path: str, body: Any, key: str | None = None, **extra: Any) -> Any:
    url = path if key is None else f"{path}?key={key}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


def error_type(resp: Any) -> str:
    return resp.json()["error"]["details"][0]["errorType"]
