"""Fixtures for the reader-facing comment platform: a site, a story, readers with API tokens."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client

from tests import fixtures

_seq = itertools.count(1)
ORIGIN = "https://news.example"


_clear_cache = fixtures.clear_cache


@pytest.fixture
def site(db):
    from civility.comments.models import Site

    return Site.objects.create(
        name="News Example",
        slug="news",
        allowed_origins=[ORIGIN],
        premoderation="none",
        allow_guests=True,
        sso_secret="s3cret-for-tests-only-0123456789abcdef",
    )


@pytest.fixture
def story(site):
    from civility.comments.models import Story

    return Story.objects.create(site=site, url=f"{ORIGIN}/2026/a-story", title="A story")


@pytest.fixture
def make_reader(db):
    from civility.accounts import tokens
    from civility.accounts.models import User

    def make(name: str | None = None, **fields: Any) -> tuple[Any, str]:
        name = name or f"reader{next(_seq)}"
        user = User.objects.create_user(
            username=name, email=f"{name}@example.org", password="pw-" + name * 2, **fields
        )
        return user, tokens.issue(user)

    return make


class Api:
    """A thin JSON client for /api/v1/ that keeps one reader's bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, body: Any = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        fn = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {"headers": self._headers()}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        resp = fn("/api/v1" + path, **kwargs)
        resp.json_body = json.loads(resp.content) if resp.content else None
        return resp

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, raw: str | None = None) -> Any:
        return self.call("POST", path, body, raw)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.call("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)


@pytest.fixture
def anon() -> Api:
    return Api()


@pytest.fixture
def reader(make_reader) -> tuple[Any, Api]:
    user, token = make_reader("alice")
    return user, Api(token)


@pytest.fixture
def other_reader(make_reader) -> tuple[Any, Api]:
    user, token = make_reader("bob")
    return user, Api(token)
