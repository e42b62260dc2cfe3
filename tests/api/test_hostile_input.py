"""Hostile or broken input gets a clear JSON 4xx under every machine-facing path, never a 500 or
an HTML page, and nothing is stored (issue 13: NUL, unpaired surrogates, deep nesting, huge
bodies, unknown API URLs)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from civility.comments.models import Comment

NESTED = "[" * 2000 + "]" * 2000


def _json_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.content[:300]
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    body = json.loads(resp.content)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body


@pytest.mark.parametrize(
    "raw,code",
    [
        ('{"body": "before\\u0000after"}', "invalid_text"),
        ('{"body": "half a pair \\ud800 here"}', "invalid_text"),
        ('{"body": "fine", "parent_id": ' + NESTED + "}", "too_deep"),
        (NESTED, "too_deep"),
        ('{"body": "x"', "malformed_json"),
    ],
)
def test_comment_bodies_that_cannot_be_stored_are_refused(story, reader, raw, code) -> None:
    _, alice = reader
    resp = alice.post(f"/stories/{story.pk}/comments", raw=raw)
    _json_error(resp, 400, code)
    assert not Comment.objects.exists()


def test_every_text_field_is_guarded(site, story, reader, anon) -> None:
    _, alice = reader
    assert alice.post(f"/stories/{story.pk}/comments", {"body": "ok"}).status_code == 201
    comment = Comment.objects.get()
    cases = [
        (alice, "patch", f"/comments/{comment.pk}", {"body": "edit\u0000"}),
        (alice, "post", f"/comments/{comment.pk}/reports", {"reason": "spam", "message": "\ud800"}),
        (
            anon,
            "post",
            "/stories",
            {"site": "news", "url": "https://news.example/\u0000", "title": "t"},
        ),
        (anon, "post", "/auth/guest", {"site": "news", "name": "Guest\u0000"}),
        (anon, "post", "/auth/login", {"email": "a\u0000@b.example", "password": "x"}),
        (
            anon,
            "post",
            "/auth/signup",
            {"email": "a@b.example", "password": "pw-long-1234", "name": "\ud83d"},
        ),
    ]
    for api, method, path, body in cases:
        raw = json.dumps(body)  # json.dumps writes \u0000 and lone \ud83d escapes
        resp = api.call(method.upper(), path, raw=raw)
        _json_error(resp, 400, "invalid_text")
    comment.refresh_from_db()
    assert comment.body == "ok"


def test_query_strings_are_guarded(site, anon) -> None:
    resp = anon.client.get("/api/v1/counts", {"site": "news", "url": "https://x.example/\x00"})
    _json_error(resp, 400, "invalid_text")


def test_unknown_api_urls_and_huge_bodies_answer_json(client: Client, site, reader) -> None:
    _json_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _json_error(client.get("/v1alpha1/no-such-thing"), 404, "not_found")
    _json_error(client.post("/coral/moderate/nowhere/else"), 404)
    _json_error(client.get("/moderate/news/api/no-such-thing"), 404, "not_found")  # the desk's
    page = client.get("/moderate/news/no-such-page")  # the desk's pages stay HTML
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    big = b'{"body": "' + b"a" * (11 * 2**20) + b'"}'
    _, alice = reader
    resp = alice.client.post(
        "/api/v1/stories/1/comments",
        data=big,
        content_type="application/json",
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    _json_error(resp, 413, "too_large")
    resp = client.post(
        "/coral/moderate/news",
        data=b"{" + b" " * (3 * 2**20) + b"}",
        content_type="application/json",
    )
    assert resp.status_code in {401, 403, 413}  # refused before or at the size check, as JSON
    _json_error(resp, resp.status_code)


def test_desk_json_endpoints_refuse_deep_nesting(site, moderator_client: Client) -> None:
    resp = moderator_client.post(
        f"/moderate/{site.slug}/api/bulk", data=NESTED, content_type="application/json"
    )
    _json_error(resp, 400, "too_deep")


def test_html_pages_stay_html(client: Client) -> None:
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("text/html")


def test_sso_claims_with_nul_are_refused(site, anon) -> None:
    import time

    import jwt

    now = int(time.time())
    claims = {"jti": "n1", "iat": now, "exp": now + 60, "user": {"id": "1", "username": "A\x00"}}
    token = jwt.encode(claims, site.sso_secret, algorithm="HS256")
    _json_error(anon.post("/auth/sso", {"site": "news", "token": token}), 400, "invalid_text")
