"""`civility serve` stops cleanly: its workers, which made stage 2's onnxruntime session, used to
die by SIGABRT (`std::system_error` from the session's C++ teardown) on every stop or restart."""

from __future__ import annotations

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
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text
    assert text.count("Worker exiting") == 2, text
    assert "SIGABRT" not in text and "terminate called" not in text, text
    assert "exited with code" not in text, text
    # The access log, named, has the probes' requests (gunicorn's own line format).
    assert '"GET /readyz HTTP/1.1" 200' in (tmp_path / "access.log").read_text()
