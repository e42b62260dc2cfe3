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
