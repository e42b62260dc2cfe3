"""Limits on the cheap writes: reactions per reader per minute, guest identities and local
sign-ups per client address per hour. Each refusal is a 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.conftest import Api, fresh_window

pytestmark = pytest.mark.django_db


def from_address(address: str, token: str | None = None) -> Api:
    api = Api(token)
    api.client = Client(REMOTE_ADDR=address)
    return api


def _assert_429(resp, window: int) -> None:
    assert resp.status_code == 429, resp.json_body
    assert resp.json_body["error"]["code"] == "rate_limited"
    assert 0 < int(resp["Retry-After"]) <= window


def test_reactions_per_reader_per_minute(story, reader, other_author, settings) -> None:
    from civility.comments.models import Comment

    settings.REACTIONS_PER_MINUTE = 10
    _, api = reader
    comment = Comment.objects.create(
        story=story,
        author=other_author,
        body="Read this",
        html="<p>Read this</p>",
        status="approved",
    )
    fresh_window(60)
    statuses = [api.post(f"/comments/{comment.pk}/reactions", {}).status_code for _ in range(100)]
    assert statuses.count(200) == 10 and statuses[:10] == [200] * 10
    _assert_429(api.post(f"/comments/{comment.pk}/reactions", {}), 60)
    assert Comment.objects.get(pk=comment.pk).reaction_count == 0  # ten toggles: on, off, ...


def test_guests_per_address_per_hour(site) -> None:
    fresh_window(3600)
    api = from_address("198.51.100.20")
    statuses = [
        api.post("/auth/guest", {"site": "news", "name": f"Guest {i}"}).status_code
        for i in range(100)
    ]
    assert statuses.count(201) == 20 and statuses[:20] == [201] * 20
    _assert_429(api.post("/auth/guest", {"site": "news", "name": "One more"}), 3600)
    other = from_address("198.51.100.21").post("/auth/guest", {"site": "news", "name": "Hi"})
    assert other.status_code == 201


def test_signups_per_address_per_hour(db, settings) -> None:
    from civility.accounts.models import User

    settings.SIGNUPS_PER_HOUR = 5
    fresh_window(3600)
    api = from_address("198.51.100.30")
    # A form the server refuses anyway (a weak password) does not count.
    weak = api.post("/auth/signup", {"email": "w@example.org", "password": "123"})
    assert weak.status_code == 400
    statuses = [
        api.post(
            "/auth/signup", {"email": f"r{i}@example.org", "password": "a-good-passphrase-1"}
        ).status_code
        for i in range(30)
    ]
    assert statuses == [201] * 5 + [429] * 25
    assert User.objects.count() == 5
    _assert_429(
        api.post("/auth/signup", {"email": "x@example.org", "password": "a-good-passphrase-1"}),
        3600,
    )
    other = from_address("198.51.100.31").post(
        "/auth/signup", {"email": "y@example.org", "password": "a-good-passphrase-1"}
    )
    assert other.status_code == 201


@pytest.fixture
def other_author(make_reader):
    user, _ = make_reader("author")
    return user
