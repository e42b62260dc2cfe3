"""`civility serve` stops cleanly: its workers, which made stage 2's onnxruntime session, used to
die by SIGABRT (`std::system_error` from the session's C++ teardown) on every stop or restart."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _raw(port: int, head: str) -> tuple[str, str]:
    """Send a hand-written request (``head`` without its closing blank line); the answer's
    head and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{head}Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    answer_head, _, body = data.decode("latin-1").partition("\r\n\r\n")
    return answer_head, body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.xdist_group("serve")
def test_stopped_workers_exit_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CIVILITY_REDIS_URL"}}
    env.update(
        CIVILITY_DATA_DIR=str(tmp_path),
        CIVILITY_SECRET_KEY=secrets.token_urlsafe(40),
        CIVILITY_ALLOWED_HOSTS="127.0.0.1",
        CIVILITY_LOG_LEVEL="INFO",
        CIVILITY_ACCESS_LOG=str(tmp_path / "access.log"),
        PYTHONPATH=str(ROOT),
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "civility.cli", "serve", "--migrate"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                assert server.poll() is None, log.read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
            # Each worker has scored its warm-up text, so each holds an onnxruntime session.
            text = log.read_text()
            while text.count("Booting worker") < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
                text = log.read_text()
            time.sleep(3)
            bad_requests = {
                "long_line": _raw(port, f"GET /api/v1/counts?x={'a' * 5000} HTTP/1.1\r\n"),
                "bad_header": _raw(port, "GET /api/v1/counts HTTP/1.1\r\nBad Header: x\r\n"),
                "ok": _raw(port, "GET /healthz HTTP/1.1\r\n"),
            }
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text
    assert text.count("Worker exiting") == 2, text
    assert "SIGABRT" not in text and "terminate called" not in text, text
    assert "exited with code" not in text, text
    # Requests gunicorn refuses before Django sees them get JSON, never an HTML page.
    for name, status, code in [
        ("long_line", 414, "request_line_too_long"),
        ("bad_header", 400, "bad_request"),
    ]:
        head, body = bad_requests[name]
        assert head.startswith(f"HTTP/1.1 {status} "), (name, head)
        assert "content-type: application/json" in head.lower(), (name, head)
        assert json.loads(body)["error"]["code"] == code, (name, body)
    assert bad_requests["ok"][0].startswith("HTTP/1.1 200 "), bad_requests["ok"]
    # The access log, named, has the probes' requests (gunicorn's own line format).
    assert '"GET /readyz HTTP/1.1" 200' in (tmp_path / "access.log").read_text()
