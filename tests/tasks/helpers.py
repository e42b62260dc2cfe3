"""Test helpers for background tasks: a real HTTP receiver, a worker in a subprocess, draining
the queue in this process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class Receiver:
    """A webhook receiver on 127.0.0.1 (http.server on a thread). It keeps every request and,
    like a receiver should, treats a webhook-id it has seen as the same event (``effects``
    holds each event once). ``stop()`` closes the port (connections refused) until ``start()``.
    ``hold`` makes it sit on requests until released (a worker can be killed meanwhile)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.effects: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []  # webhook-ids in the order their effect happened
        self.status = 200
        self.hold = threading.Event()
        self.hold.set()  # set: answer at once
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                entry = {"headers": headers, "body": body.decode(), "at": time.time()}
                with receiver.lock:
                    receiver.requests.append(entry)
                    msg_id = headers.get("webhook-id", "")
                    if receiver.status < 300 and msg_id not in receiver.effects:
                        receiver.effects[msg_id] = json.loads(body)
                        receiver.order.append(msg_id)
                receiver.arrived.set()
                receiver.hold.wait(30)
                try:
                    self.send_response(receiver.status)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender died waiting (a killed worker)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.effects[i] for i in self.order]


def wait_for(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {check}")


def drain(until: Callable[[], Any] | None = None, timeout: float = 30.0) -> None:
    """Run the queued tasks in this process (the database backend's worker, in batch mode)
    until nothing is ready and ``until()`` holds (tasks deferred for a retry included)."""
    from civility.tasks.worker import run_worker

    deadline = time.monotonic() + timeout
    while True:
        run_worker(batch=True, handle_signals=False, interval=0)
        if until is None or until():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the queue did not drain in time")
        time.sleep(0.05)


def database_url() -> str:
    """The test database as a DATABASE_URL, for a worker in another process."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CIVILITY_WORKER_LEASE_SECONDS": "1",
        "CIVILITY_TASK_RETRY_SECONDS": "0.2",
        "CIVILITY_TASK_RETRY_MAX_SECONDS": "1",
        "CIVILITY_WEBHOOK_TIMEOUT": "3",
        "PYTHONPATH": str(REPO),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def start_worker(*args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "civility", "worker", "--interval", "0.05", *args],
        cwd=REPO,
        env=worker_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
