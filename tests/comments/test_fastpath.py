"""The WSGI fast path answers exactly what Django answers, and never serves a stale page."""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.wsgi import get_wsgi_application

from civility.comments import actions
from civility.comments.fastpath import FastPath

pytestmark = pytest.mark.django_db(transaction=True)  # bumps run on commit


class Spy:
    """The Django app, counting how often the fast path had to fall through to it."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


def call(app, method: str, path: str, query: str = "", body: bytes = b""):
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        QUERY_STRING=query,
        SERVER_NAME="testserver",
        HTTP_HOST="testserver",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(len(body)),
    )
    environ["wsgi.input"] = io.BytesIO(body)
    status: list[str] = []
    chunks = app(environ, lambda s, h, exc=None: status.append(s))
    return status[0], b"".join(chunks)


def test_thread_pages_come_from_the_fast_path_and_follow_writes(story, make_reader):
    alice, _ = make_reader("alice")
    actions.post_comment(story=story, author=alice, body="first")
    spy = Spy()
    app = FastPath(spy)
    path = f"/api/v1/stories/{story.pk}/comments"
    status, first = call(app, "GET", path, "sort=oldest")
    assert status.startswith("200") and spy.calls == 1  # a miss: Django built and cached it
    status, again = call(app, "GET", path, "sort=oldest")
    assert again == first and spy.calls == 1  # served by the fast path
    actions.post_comment(story=story, author=alice, body="second")
    _, after = call(app, "GET", path, "sort=oldest")
    assert [c["html"] for c in json.loads(after)["comments"]] == ["<p>first</p>", "<p>second</p>"]
    # Moderation in another app saves the comment: the page follows too.
    from civility.comments.models import Comment

    c = Comment.objects.get(body="second")
    c.status = "rejected"
    c.save()
    _, after = call(app, "GET", path, "sort=oldest")
    assert [c["html"] for c in json.loads(after)["comments"]] == ["<p>first</p>"]


def test_bad_parameters_fall_through_to_djangos_error(story):
    spy = Spy()
    status, body = call(FastPath(spy), "GET", f"/api/v1/stories/{story.pk}/comments", "sort=x")
    assert status.startswith("400") and json.loads(body)["error"]["code"] == "bad_sort"
    assert spy.calls == 1


def test_counts(story, make_reader):
    alice, _ = make_reader("alice")
    actions.post_comment(story=story, author=alice, body="one")
    spy = Spy()
    app = FastPath(spy)
    req = json.dumps({"site": "news", "urls": [story.url, "https://news.example/none"]}).encode()
    status, body = call(app, "POST", "/api/v1/counts", body=req)
    assert status.startswith("200") and spy.calls == 0
    assert json.loads(body) == {"counts": {story.url: 1, "https://news.example/none": 0}}
    status, body = call(app, "POST", "/api/v1/counts", body=b'{"site": "nope", "urls": []}')
    assert status.startswith("404") and spy.calls == 1  # Django's answer, with the error shape
    status, body = call(app, "POST", "/api/v1/counts", body=b"{broken")
    assert status.startswith("400") and json.loads(body)["error"]["code"] == "malformed_json"


def _post(
    app, story_id: int, token: str | None, payload, raw: bytes | None = None, host="testserver"
):
    environ: dict = {}
    setup_testing_defaults(environ)
    body = raw if raw is not None else json.dumps(payload).encode()
    environ.update(
        REQUEST_METHOD="POST",
        PATH_INFO=f"/api/v1/stories/{story_id}/comments",
        SERVER_NAME=host,
        HTTP_HOST=host,
        REMOTE_ADDR="203.0.113.9",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(len(body)),
    )
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    environ["wsgi.input"] = io.BytesIO(body)
    got: list = []
    chunks = app(environ, lambda s, h, exc=None: got.append((s, dict(h))))
    status, headers = got[0]
    data = b"".join(chunks)
    is_json = headers.get("Content-Type", "").startswith("application/json")
    return int(status.split()[0]), headers, json.loads(data or b"null") if is_json else data


def test_new_comments_answer_like_django_without_it(site, story, make_reader):
    """The fast path and Django give the same status and the same JSON, whether the comment is
    published, held or refused; the fast path never calls Django for them."""
    from civility.comments.models import Comment
    from civility.moderation.models import AuditEntry

    site.rate_limit_per_minute = 100
    site.save()
    spy = Spy()
    fast = FastPath(spy)
    django_app = get_wsgi_application()
    _, alice = make_reader("alice")
    _, bob = make_reader("bob")

    cases = [
        ({"body": "A fair point about the budget."}, 201),
        ({"body": "More at https://a.example https://b.example https://c.example"}, 201),  # held
        ({"body": "x" * 200_000}, 400),  # far too long: refused, nothing stored
        ({"body": "   "}, 400),
        ({"body": "Reply to nothing", "parent_id": 999_999}, 404),
    ]
    for payload, expected in cases:
        s1, h1, fast_answer = _post(fast, story.pk, alice, payload)
        s2, h2, django_answer = _post(django_app, story.pk, bob, payload)
        assert s1 == s2 == expected, (payload, fast_answer, django_answer)
        assert h1["Content-Type"] == h2["Content-Type"] == "application/json; charset=utf-8"
        if expected == 201:
            assert set(fast_answer) == set(django_answer)
            assert fast_answer["message"] == django_answer["message"]
            assert fast_answer["reasons"] == django_answer["reasons"]
            assert fast_answer["comment"]["status"] == django_answer["comment"]["status"]
        else:
            assert fast_answer == django_answer
    assert spy.calls == 0
    # Stored the same way: a row and an audit entry per accepted comment, IP hashed.
    mine = Comment.objects.filter(author__username="alice")
    assert sorted(mine.values_list("status", flat=True)) == ["approved", "pending"]
    assert AuditEntry.objects.filter(action="comment.created", actor__username="alice").count() == 2
    assert all(len(c.ip_hash) == 64 for c in mine)

    # Refusals after parsing come from the fast path too, in the API's shape.
    status, _, answer = _post(fast, story.pk, alice, cases[0][0])
    assert (status, answer["error"]["code"]) == (409, "duplicate")
    status, _, answer = _post(fast, 999_999, alice, {"body": "Where?"})
    assert (status, answer["error"]["code"]) == (404, "unknown_story")
    assert spy.calls == 0


def test_unusual_new_comments_fall_through_to_django(story, make_reader):
    from civility.comments.models import Comment

    spy = Spy()
    fast = FastPath(spy)
    _, alice = make_reader("alice")
    falls = [
        (None, {"body": "no token"}, None, 401, "unauthenticated"),
        ("forged.token", {"body": "bad token"}, None, 401, "unauthenticated"),
        (alice, None, b'{"body": "unterminated', 400, "malformed_json"),
        (alice, {"body": "x", "extra": 1}, None, 201, None),  # Django ignores unknown fields
        (alice, {"body": 5}, None, 400, "invalid_request"),
    ]
    for n, (token, payload, raw, status, code) in enumerate(falls, start=1):
        got, _, answer = _post(fast, story.pk, token, payload, raw)
        assert spy.calls == n, payload  # answered by Django, so exactly as the API documents
        assert got == status, (payload, answer)
        if code:
            assert answer["error"]["code"] == code
    assert Comment.objects.count() == 1


def test_hosts_outside_allowed_hosts_get_djangos_400(story, make_reader):
    """The fast path skips Django's middleware, not its Host check."""
    spy = Spy()
    fast = FastPath(spy)
    _, alice = make_reader("alice")
    status, _, _ = _post(fast, story.pk, alice, {"body": "Forged Host"}, host="evil.example")
    assert status == 400 and spy.calls == 1
    from civility.comments.models import Comment

    assert not Comment.objects.exists()
