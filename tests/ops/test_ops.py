"""Operability: /healthz, /readyz (a real Redis the test kills, a database that is away),
/metrics (names after a post, refused from other addresses, multi-process sums) and JSON log
lines that carry the request id the response echoes."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from civility.moderation import scoring
from civility.ops import health
from civility.ops.logs import JsonFormatter, RequestContextFilter

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def model_in_memory(monkeypatch):
    monkeypatch.setattr(scoring, "model_loaded", lambda: True)


def test_healthz_answers_without_asking_anything(monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: pytest.fail("healthz asked the DB"))
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_readyz_is_ready_with_the_database_and_the_model(model_in_memory, settings):
    settings.REDIS_URL = ""
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "model": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_loads_a_missing_model_and_is_ready_once_it_is_in(settings):
    settings.REDIS_URL = ""
    if not scoring.model_loaded():
        first = Client().get("/readyz")
        assert first.status_code == 503
        assert first.json()["checks"]["model"] == "loading"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = Client().get("/readyz")
        if response.status_code == 200:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["model"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_the_database_when_it_is_away(model_in_memory, settings):
    settings.REDIS_URL = ""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-civility-dir/db.sqlite3"
    else:  # a port where nothing listens
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))
    try:
        response = health.readyz(_get("/readyz"))
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "not ready"
    assert body["checks"]["database"].startswith("failed: OperationalError")
    assert body["checks"]["model"] == "ok"


def _get(path: str) -> Any:
    from django.test import RequestFactory

    return RequestFactory().get(path)


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield port, proc
    proc.kill()
    proc.wait()


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_dies(model_in_memory, settings, own_redis):
    port, proc = own_redis
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    ready = Client().get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "model": "ok"}

    proc.kill()
    proc.wait()
    started = time.monotonic()
    down = Client().get("/readyz")
    assert time.monotonic() - started < 3  # short timeouts: a probe answers quickly
    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["database"] == "ok" and checks["model"] == "ok"
    assert checks["redis"].startswith("failed: ")


def _metric_names(text: str) -> set[str]:
    return {
        line.split("{")[0].split(" ")[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


LISTED = {
    "civility_http_requests_total",
    "civility_http_request_duration_seconds_bucket",
    "civility_comments_total",
    "civility_scoring_batch_duration_seconds_bucket",
    "civility_scored_texts_total",
    "civility_scoring_failures_total",
    "civility_scoring_backlog",
    "civility_task_queue_depth",
    "civility_tasks_parked",
    "civility_webhook_deliveries",
    "civility_workers_alive",
    "civility_cluster_metrics_up",
}


@pytest.mark.django_db(transaction=True)  # the decision is counted when the post commits
def test_metrics_after_a_post_list_every_metric(story, reader, settings):
    _, alice = reader
    settings.REDIS_URL = ""
    body = {"body": "Thanks for the clear write-up on the budget vote."}
    posted = alice.call("POST", f"/stories/{story.pk}/comments", body)
    assert posted.status_code == 201, posted.content
    scoring.score_text("warm the batcher so its histogram has a batch", budget=60)

    response = Client().get("/metrics")  # the test client's address is 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    missing = LISTED - _metric_names(text)
    assert not missing, missing
    route = "/api/v1/stories/<story_id>/comments"
    assert f'civility_http_requests_total{{method="POST",route="{route}",status="201"}}' in text
    assert any(
        line.startswith("civility_comments_total{") and 'stage="post"' in line
        for line in text.splitlines()
    )
    assert 'civility_task_queue_depth{queue="webhooks"}' in text


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses(settings):
    settings.METRICS_ALLOW = "127.0.0.1,::1"
    settings.METRICS_TOKEN = ""
    settings.TRUSTED_PROXIES = ""
    client = Client()
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    # Through a proxy Civility was not told about, everyone looks like loopback: refused.
    relayed = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert relayed.status_code == 403
    # Through a trusted proxy, the client's own address counts.
    settings.TRUSTED_PROXIES = "1"
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200
    # A token admits from anywhere; a wrong one does not.
    settings.METRICS_TOKEN = "scrape-token-for-tests"
    ok = client.get(
        "/metrics",
        REMOTE_ADDR="203.0.113.9",
        headers={"Authorization": "Bearer scrape-token-for-tests"},
    )
    assert ok.status_code == 200
    wrong = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403


def test_metrics_add_up_over_processes_and_drop_dead_ones(tmp_path):
    """Under gunicorn each worker writes its own files; a scrape adds them up (multiprocess
    mode), and a dead worker's live gauge leaves the sum (civility.ops.multiproc.child_exit)."""
    from prometheus_client import CollectorRegistry, multiprocess

    code = (
        "import os, sys\n"
        "from civility import metrics\n"
        "metrics.REQUESTS.labels('/healthz', 'GET', '200').inc(int(sys.argv[1]))\n"
        "metrics.SCORING_BACKLOG.set(int(sys.argv[1]))\n"
        "print(os.getpid())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    pids = [
        int(subprocess.run([sys.executable, "-c", code, n], env=env, cwd=REPO, check=True,
                           capture_output=True, text=True).stdout)
        for n in ("2", "3")
    ]  # fmt: skip

    def sample(name: str) -> float:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(tmp_path))
        for family in registry.collect():
            for s in family.samples:
                if s.name == name:
                    return float(s.value)
        raise AssertionError(f"{name} missing")

    assert sample("civility_http_requests_total") == 5
    assert sample("civility_scoring_backlog") == 5
    multiprocess.mark_process_dead(pids[0], path=str(tmp_path))
    assert sample("civility_scoring_backlog") == 3
    assert sample("civility_http_requests_total") == 5  # counters keep what dead workers counted


def test_the_server_prepares_and_cleans_its_metrics_folder(monkeypatch, tmp_path):
    from civility.ops import multiproc

    given = tmp_path / "given"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"stale")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    assert multiproc.prepare_metrics_dir() == given
    assert not list(given.glob("*.db"))  # a previous run's values are not added to this one's

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    registered: list[Any] = []
    monkeypatch.setattr(multiproc.atexit, "register", registered.append)
    made = multiproc.prepare_metrics_dir()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(made) and made.is_dir()
    registered[0]()  # what runs when `civility serve` exits
    assert not made.exists()


@pytest.fixture
def log_lines():
    """The root handler's pipeline as settings.LOGGING configures it, into a buffer."""
    from django.conf import settings

    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["request"] and console["formatter"] == "json"
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    request_logger = logging.getLogger("civility.request")
    level = request_logger.level
    request_logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.removeHandler(handler)
    request_logger.setLevel(level)


@pytest.mark.django_db
def test_log_lines_are_json_with_the_proxys_request_id_echoed(log_lines, settings):
    settings.TRUSTED_PROXIES = "127.0.0.1"
    response = Client().get(
        "/api/v1/stories/987654/comments", headers={"X-Request-ID": "nginx-0123abcd"}
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "nginx-0123abcd"
    lines = [line for line in log_lines() if line.get("request_id") == "nginx-0123abcd"]
    access = [line for line in lines if line["logger"] == "civility.request"]
    assert len(access) == 1
    line = access[0]
    assert {"time", "level", "logger", "message", "request_id", "method", "path", "status",
            "duration_ms"} <= set(line)  # fmt: skip
    assert line["level"] == "INFO" and line["method"] == "GET" and line["status"] == 404
    assert line["path"] == "/api/v1/stories/987654/comments"
    assert line["time"].endswith("+00:00") and isinstance(line["duration_ms"], float)
    # Django's own "Not Found" warning about the same request carries the same id.
    assert any(line["logger"] == "django.request" for line in lines)


@pytest.mark.django_db
def test_an_untrusted_request_id_is_replaced_by_a_new_one(log_lines, settings):
    settings.TRUSTED_PROXIES = ""  # anyone could send the header: not taken
    response = Client().get("/healthz", headers={"X-Request-ID": "forged-by-a-client"})
    rid = response["X-Request-ID"]
    assert rid != "forged-by-a-client" and len(rid) == 32
    settings.TRUSTED_PROXIES = "1"  # trusted, but not an id: a new one
    assert Client().get("/healthz", headers={"X-Request-ID": "a b\nc"})["X-Request-ID"] != "a b\nc"
    # Probes are logged at DEBUG only, the API at INFO.
    Client().get("/api/v1/stories/987655/comments", headers={"X-Request-ID": "trusted-1"})
    seen = {
        line.get("request_id"): line for line in log_lines() if line["logger"] == "civility.request"
    }
    assert rid not in seen
    assert seen["trusted-1"]["status"] == 404


def test_gunicorns_access_log_is_built_only_where_one_is_named():
    """With our logging configuration gunicorn would build every request's access line for a
    logger with no handler; ours skips it unless CIVILITY_ACCESS_LOG names a log."""
    from django.conf import settings
    from gunicorn.config import Config

    from civility.ops.logs import GunicornLogger, gunicorn_logconfig

    class Unreadable:
        def __getattr__(self, name):
            raise AssertionError(f"the access line was built (read .{name})")

    cfg = Config()
    cfg.set("logconfig_dict", gunicorn_logconfig(settings.LOGGING))
    GunicornLogger(cfg).access(Unreadable(), Unreadable(), {}, 0.001)  # off: nothing read
    cfg.set("accesslog", "-")
    built = []
    logger = GunicornLogger(cfg)
    logger.atoms = lambda *args: built.append(args) or {}  # type: ignore[method-assign]
    logger.access(None, None, {}, 0.001)
    assert len(built) == 1


def test_the_preloaded_server_is_frozen_and_collects_young_objects_less_often():
    # In a process of its own: freezing is for the whole process.
    code = (
        "import gc; from civility.serve import freeze_preloaded, GC_YOUNG_THRESHOLD; "
        "frozen, (_, older, oldest) = gc.get_freeze_count(), gc.get_threshold(); "
        "freeze_preloaded(); "
        "print(gc.get_freeze_count() > frozen, "
        "gc.get_threshold() == (GC_YOUNG_THRESHOLD, older, oldest) != (700, older, oldest))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]
