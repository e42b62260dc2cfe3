"""Log mode (`civility perspective log`): forward to Perspective, return its answer unchanged, keep
analyze's text and scores for the retention period.

No machine here reaches Google: a stand-in for commentanalyzer.googleapis.com (a small
http.server in a thread) replays Perspective's documented answers and errors:
- the AnalyzeComment response of conversationai/perspectiveapi 2-api/methods.md;
- the LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE error as Google sends it (seen verbatim in clients);
- Google's invalid-API-key error and its quota error (429 RESOURCE_EXHAUSTED).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from civility.comments.models import Site
from civility.perspective import logmode
from civility.perspective.cli import perspective_main
from civility.perspective.keys import create_key
from civility.perspective.models import LoggedScore
from civility.perspective.publisher_log import read_publisher_log

from .test_compat import DOC_ANALYZE_REQUEST, DOC_ANALYZE_RESPONSE

GOOGLE_ANALYZE = json.dumps(DOC_ANALYZE_RESPONSE, indent=2).encode()
GOOGLE_SUGGEST = json.dumps(
    {"detectedLanguages": ["en"], "clientToken": "comment-53922"}, indent=2
).encode()
GOOGLE_LANGUAGE_ERROR = json.dumps(
    {
        "error": {
            "code": 400,
            "message": "Attribute SEXUALLY_EXPLICIT does not support request languages: om",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
                    "errorType": "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
                    "languageNotSupportedByAttributeError": {
                        "detectedLanguages": ["om"],
                        "attribute": "SEXUALLY_EXPLICIT",
                    },
                }
            ],
        }
    },
    indent=2,
).encode()
GOOGLE_BAD_KEY = json.dumps(
    {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "commentanalyzer.googleapis.com"},
                }
            ],
        }
    },
    indent=2,
).encode()
GOOGLE_QUOTA = json.dumps(
    {
        "error": {
            "code": 429,
            "message": "Quota exceeded for quota metric 'Analysis requests' and limit 'Analysis requests"
            " per minute' of service 'commentanalyzer.googleapis.com' for consumer"
            " 'project_number:123456'.",
            "status": "RESOURCE_EXHAUSTED",
        }
    },
    indent=2,
).encode()
PUBLISHER_KEY = "AIzaSy-publisher-own-perspective-key"


class StandIn:
    """commentanalyzer.googleapis.com, as far as these tests need it."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                stand_in.requests.append(
                    {"path": url.path, "query": query, "headers": dict(self.headers), "body": body}
                )
                key = query.get("key") or self.headers.get("X-Goog-Api-Key")
                text = json.loads(body).get("comment", {}).get("text", "")
                if key == "bad":
                    self.answer(400, GOOGLE_BAD_KEY)
                elif text == "quota":
                    self.answer(429, GOOGLE_QUOTA)
                elif text.startswith("Maaloo"):
                    self.answer(400, GOOGLE_LANGUAGE_ERROR)
                elif url.path == "/v1alpha1/comments:analyze":
                    self.answer(200, GOOGLE_ANALYZE)
                elif url.path == "/v1alpha1/comments:suggestscore":
                    self.answer(200, GOOGLE_SUGGEST)
                else:
                    self.answer(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}')

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream() -> Iterator[StandIn]:
    stand_in = StandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def log_mode(settings: Any, upstream: StandIn) -> StandIn:
    settings.PERSPECTIVE_LOG = True
    settings.PERSPECTIVE_LOG_UPSTREAM = upstream.url
    settings.PERSPECTIVE_LOG_UPSTREAM_KEY = ""
    settings.PERSPECTIVE_LOG_RETENTION_DAYS = 30
    return upstream


def call(base: str, path: str, body: bytes | str, headers: dict[str, str] | None = None) -> Any:
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(  # noqa: S310 - http to a local server
        base + path, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read(), err.headers


pytestmark = pytest.mark.django_db(transaction=True)


def test_off_by_default(client: Any, upstream: StandIn, scorer: Any) -> None:
    from django.conf import settings

    if os.environ.get("CIVILITY_PERSPECTIVE_LOG") is None:
        assert settings.PERSPECTIVE_LOG is False
    settings.PERSPECTIVE_LOG_UPSTREAM = upstream.url  # even with an upstream set
    _, raw = create_key("local", qps=100)
    resp = client.post(
        f"/v1alpha1/comments:analyze?key={raw}",
        data=DOC_ANALYZE_REQUEST,
        content_type="application/json",
    )
    assert resp.status_code == 400  # scored locally: UNSUBSTANTIAL is not modelled here
    assert upstream.requests == [] and not LoggedScore.objects.exists()


def test_analyze_is_forwarded_unchanged_and_its_text_and_scores_kept(
    live_server: Any, log_mode: StandIn
) -> None:
    status, body, headers = call(
        live_server.url, f"/v1alpha1/comments:analyze?key={PUBLISHER_KEY}", DOC_ANALYZE_REQUEST
    )
    assert status == 200 and body == GOOGLE_ANALYZE
    assert headers["Content-Type"] == "application/json; charset=UTF-8"
    [seen] = log_mode.requests
    assert seen["path"] == "/v1alpha1/comments:analyze"
    assert seen["query"] == {"key": PUBLISHER_KEY}
    assert seen["body"] == DOC_ANALYZE_REQUEST.encode()  # byte for byte
    [row] = LoggedScore.objects.all()
    assert row.text == "What kind of idiot name is foo? Sorry, I like your name."
    assert row.scores == {"TOXICITY": 0.8627961, "UNSUBSTANTIAL": 0.69036055}
    assert row.languages == ["en"] and row.key is None

    # Coral appends /comments:analyze to its configured base; a key may come as a header
    status, body, _ = call(
        live_server.url,
        "/perspective/v1alpha1/comments:analyze",
        DOC_ANALYZE_REQUEST,
        {"X-Goog-Api-Key": PUBLISHER_KEY},
    )
    assert status == 200 and body == GOOGLE_ANALYZE
    assert log_mode.requests[1]["path"] == "/v1alpha1/comments:analyze"
    assert log_mode.requests[1]["headers"]["X-Goog-Api-Key"] == PUBLISHER_KEY
    assert "key" not in log_mode.requests[1]["query"]
    assert LoggedScore.objects.count() == 2


@pytest.mark.parametrize(
    ("key", "text", "status", "answer"),
    [
        ("bad", "hello", 400, GOOGLE_BAD_KEY),
        (PUBLISHER_KEY, "Maaloo, maal sitti hin jirru?", 400, GOOGLE_LANGUAGE_ERROR),
        (PUBLISHER_KEY, "quota", 429, GOOGLE_QUOTA),
    ],
)
def test_perspective_errors_come_back_unchanged_and_nothing_is_kept(
    live_server: Any, log_mode: StandIn, key: str, text: str, status: int, answer: bytes
) -> None:
    body = json.dumps({"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}})
    got_status, got_body, _ = call(live_server.url, f"/v1alpha1/comments:analyze?key={key}", body)
    assert (got_status, got_body) == (status, answer)
    assert len(log_mode.requests) == 1 and not LoggedScore.objects.exists()


def test_suggestscore_is_forwarded_and_not_kept(live_server: Any, log_mode: StandIn) -> None:
    body = json.dumps(
        {
            "comment": {"text": "Fine."},
            "clientToken": "comment-53922",
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
        }
    )
    status, answer, _ = call(
        live_server.url, f"/v1alpha1/comments:suggestscore?key={PUBLISHER_KEY}", body
    )
    assert (status, answer) == (200, GOOGLE_SUGGEST)
    assert log_mode.requests[0]["path"] == "/v1alpha1/comments:suggestscore"
    assert not LoggedScore.objects.exists()


def test_upstream_down_is_a_503_in_googles_envelope(live_server: Any, settings: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    settings.PERSPECTIVE_LOG = True
    settings.PERSPECTIVE_LOG_UPSTREAM = f"http://127.0.0.1:{port}"
    status, body, _ = call(
        live_server.url, f"/v1alpha1/comments:analyze?key={PUBLISHER_KEY}", DOC_ANALYZE_REQUEST
    )
    assert status == 503
    error = json.loads(body)["error"]
    assert error["status"] == "UNAVAILABLE" and "did not answer" in error["message"]


def test_with_an_upstream_key_callers_use_civility_keys(
    live_server: Any, log_mode: StandIn, settings: Any
) -> None:
    settings.PERSPECTIVE_LOG_UPSTREAM_KEY = "AIzaSy-server-side"
    site = Site.objects.create(name="News", slug="news")
    key, raw = create_key("coral", qps=100)
    key.site = site
    key.save()
    status, body, _ = call(
        live_server.url, f"/v1alpha1/comments:analyze?key={raw}", DOC_ANALYZE_REQUEST
    )
    assert (status, body) == (200, GOOGLE_ANALYZE)
    assert log_mode.requests[0]["query"]["key"] == "AIzaSy-server-side"
    assert raw not in json.dumps([r["query"] for r in log_mode.requests])
    assert LoggedScore.objects.get().key_id == key.pk
    # anyone else: refused here, Perspective never called
    status, body, _ = call(
        live_server.url, "/v1alpha1/comments:analyze?key=AIza-stranger", DOC_ANALYZE_REQUEST
    )
    assert status == 403 and json.loads(body)["error"]["status"] == "PERMISSION_DENIED"
    assert len(log_mode.requests) == 1


def test_retention_purge_export_and_status(tmp_path: Path, capsys: Any, log_mode: StandIn) -> None:
    site = Site.objects.create(name="News", slug="news")
    key, _ = create_key("news-key")
    key.site = site
    key.save()
    rows = [
        ("You are a fool.", {"TOXICITY": 0.91, "INSULT": 0.88}, key),
        ("Thanks for the article.", {"TOXICITY": 0.02}, None),
        ("An old one.", {"TOXICITY": 0.5}, None),
    ]
    for text, scores, k in rows:
        LoggedScore.objects.create(text=text, scores=scores, languages=["en"], key=k)
    LoggedScore.objects.filter(text="An old one.").update(
        created_at=timezone.now() - timedelta(days=31)
    )

    assert perspective_main(["log", "--status"]) == 0
    out = capsys.readouterr().out
    assert "STORED on this server" in out and "KEPT for 30 days" in out
    assert "stored: 3 analyze answers" in out

    assert perspective_main(["log", "--purge"]) == 0
    assert "purged 1 stored scores older than 30 days" in capsys.readouterr().out
    assert LoggedScore.objects.count() == 2

    export = tmp_path / "log.jsonl"
    assert perspective_main(["log", "--export", str(export)]) == 0
    assert "wrote 2 rows" in capsys.readouterr().out
    log = read_publisher_log(export)
    assert [r.scores for r in log.rows] == [{"TOXICITY": 0.91, "INSULT": 0.88}, {"TOXICITY": 0.02}]
    assert perspective_main(["log", "--export", str(export), "--site", "news"]) == 0
    assert [r.text for r in read_publisher_log(export).rows] == ["You are a fool."]

    # stored rows past retention also go by themselves (at most hourly)
    LoggedScore.objects.update(created_at=timezone.now() - timedelta(days=40))
    logmode._last_purge = None
    logmode.store(DOC_ANALYZE_REQUEST.encode(), GOOGLE_ANALYZE)
    assert list(LoggedScore.objects.values_list("text", flat=True)) == [
        "What kind of idiot name is foo? Sorry, I like your name."
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_log_command_says_what_it_stores_and_serves_in_log_mode(
    tmp_path: Path, upstream: StandIn
) -> None:
    """`civility perspective log`: the real server (gunicorn), its own database."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVILITY_PERSPECTIVE_LOG")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'log.sqlite3'}",
        CIVILITY_DATA_DIR=str(tmp_path),
        CIVILITY_PERSPECTIVE_LOG_UPSTREAM=upstream.url,
        CIVILITY_PERSPECTIVE_LOG_RETENTION_DAYS="14",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cmd = [
        sys.executable,
        "-m",
        "civility",
        "perspective",
        "log",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "2",
        "--migrate",
    ]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(proc.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body, _ = call(
                    f"http://127.0.0.1:{port}",
                    f"/v1alpha1/comments:analyze?key={PUBLISHER_KEY}",
                    DOC_ANALYZE_REQUEST,
                )
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200, "".join(lines)
        assert body == GOOGLE_ANALYZE
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join(timeout=10)
    said = "".join(lines)
    assert said.startswith("LOG MODE: comments:analyze and comments:suggestscore are forwarded")
    assert "STORED on this server" in said and "KEPT for 14 days" in said
    export = tmp_path / "export.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "civility", "perspective", "log", "--export", str(export)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["TOXICITY"] for x in export.read_text().splitlines()] == [0.8627961]
