"""The API contract run: schemathesis against a real `civility serve` on a loopback port.

    .venv/bin/python tests/contract/run_schemathesis.py [--max-examples N] [--seed N]
        [--timeout S] [-- more schemathesis arguments]

Starts `civility serve` (one worker) on 127.0.0.1 with a data directory of its own (SQLite, no
Redis), seeds a site, a story, comments and a reader with a bearer token, then runs

    schemathesis --config-file tests/contract/schemathesis.toml run \
        http://127.0.0.1:PORT/api/v1/openapi.json --checks all \
        --exclude-checks ensure_resource_availability --max-examples 20 --seed 20260613

(one pass of every phase: examples, coverage, fuzzing, stateful; the config file says why each
setting is there) and exits non-zero on any failure, or when it runs past --timeout. Before that it sends a
few malformed requests to /api/, /v1alpha1/ and /coral/ and fails if any answer is not JSON.
scripts/test.sh runs it after the SQLite suite.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
ORIGIN = "https://news.example"


def seed() -> dict[str, Any]:
    """Migrate the fresh database and create what makes every operation reachable. Runs in a
    child process (`seed` argument) with the server's environment."""
    sys.path.insert(0, str(ROOT))
    from civility.cli import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from civility.accounts import tokens
    from civility.accounts.models import User
    from civility.api.comments import HARD_MAX_BODY
    from civility.comments.models import Comment, Site, Story

    site = Site.objects.create(
        name="News Example",
        slug="news",
        allowed_origins=[ORIGIN],
        premoderation=Site.PreModeration.NONE,
        allow_guests=True,
        sso_secret=secrets.token_urlsafe(32),
        # The document declares the API's own limit on a comment (HARD_MAX_BODY); a site may set
        # a lower one (400 too_long), so the contract run's site takes the API's.
        max_comment_length=HARD_MAX_BODY,
        # Generous limits, so that posts reach the whole pipeline rather than the 429.
        rate_limit_per_minute=1000,
        ip_rate_limit_per_minute=1000,
    )
    story = Story.objects.create(site=site, url=f"{ORIGIN}/2026/a-story", title="A story")
    reader = User.objects.create_user(
        username="fuzz-reader",
        email="fuzz-reader@example.org",
        password=secrets.token_urlsafe(16),
        display_name="Fuzz Reader",
    )
    other = User.objects.create_user(
        username="fuzz-other", email="fuzz-other@example.org", password=secrets.token_urlsafe(16)
    )
    ids = []
    for n, (author, body) in enumerate([(other, "A first comment."), (reader, "My own one.")]):
        c = Comment.objects.create(
            story=story,
            author=author,
            body=body,
            html=f"<p>{body}</p>",
            status=Comment.Status.APPROVED,
        )
        ids.append(c.pk)
        if n == 0:
            reply = Comment.objects.create(
                story=story,
                author=reader,
                parent=c,
                depth=1,
                body="A reply.",
                html="<p>A reply.</p>",
                status=Comment.Status.APPROVED,
            )
            ids.append(reply.pk)
    return {
        "token": tokens.issue(reader),
        "story": story.pk,
        "comments": ids,
        "reader": reader.pk,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, data: bytes | None = None, method: str = "GET", **headers: str) -> Any:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - loopback
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"civility serve exited with {server.returncode}")
        try:
            if fetch(f"{base}/api/v1/openapi.json")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"civility serve did not answer within {timeout:.0f} s")


def never_html(base: str) -> list[str]:
    """A few malformed requests to each machine-facing prefix: every answer must be JSON."""
    nested = b"[" * 3000 + b"]" * 3000
    probes: list[tuple[str, str, bytes | None]] = [
        ("GET", "/api/v1/no-such-thing", None),
        ("POST", "/api/v1/stories", b'{"site": "news", "url": '),
        ("POST", "/api/v1/counts", nested),
        ("POST", "/api/v1/auth/login", b'{"email": "a\\u0000@b.example", "password": "x"}'),
        ("GET", "/v1alpha1/no-such-thing", None),
        ("POST", "/v1alpha1/comments:analyze", b'{"comment": {"text": '),
        ("POST", "/v1alpha1/comments:analyze", nested),
        ("POST", "/v1alpha1/comments:analyze", b'{"comment": {"text": "\\ud800"}}'),
        ("GET", "/v1alpha1/comments:analyze", None),
        ("PUT", "/v1alpha1/comments:suggestscore", b"{}"),
        ("GET", "/coral/no-such-thing", None),
        ("GET", "/coral/moderate/news", None),
        ("POST", "/coral/moderate/news", b"{not json"),
        ("POST", "/coral/moderate/news", nested),
        ("PUT", "/api/v1/stories", b"{}"),
        ("POST", "/api/v1/comments/1/reactions", b"[null]"),
        ("GET", "/api/v1/stories/99999999999999999999999", None),
    ]
    problems = []
    for method, path, body in probes:
        status, ctype, content = fetch(
            base + path, body, method, **{"Content-Type": "application/json"}
        )
        if not ctype.startswith("application/json") or status >= 500:
            problems.append(f"{method} {path}: {status} {ctype} {content[:80]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=20, help="per operation (20)")
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="give up (and fail) after this many seconds of schemathesis (600)",
    )
    parser.add_argument("--seed", type=int, default=20260613, help="generation seed")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("extra", nargs="*", help="more schemathesis arguments (after --)")
    args = parser.parse_args(argv)

    print("== API contract: schemathesis against civility serve (tests/contract)", flush=True)
    data_dir = Path(tempfile.mkdtemp(prefix="civility-contract-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CIVILITY_REDIS_URL"}}
    env.update(
        CIVILITY_DATA_DIR=str(data_dir),
        CIVILITY_SECRET_KEY=secrets.token_urlsafe(40),
        CIVILITY_ALLOWED_HOSTS="127.0.0.1",
        CIVILITY_ENCODER_THREADS="1",
        CIVILITY_LOG_LEVEL="ERROR",
        CIVILITY_TASK_BACKEND="db",
        PYTHONPATH=str(ROOT),
    )
    seeded = subprocess.run(
        [sys.executable, __file__, "seed"],
        env={**env, "CIVILITY_CONTRACT_SEED": "1"},
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    fixtures = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [sys.executable, "-m", "civility.cli", "serve", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--threads", "4", "--live-streams", "2"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started = time.monotonic()
    try:
        wait_until_up(base, server, 120)
        problems = never_html(base)
        for line in problems:
            print(f"NOT JSON: {line}", file=sys.stderr)
        schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
        if schemathesis is None:
            print("schemathesis is not installed: pip install -e '.[dev]'", file=sys.stderr)
            return 2
        command = [
            schemathesis,
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/api/v1/openapi.json",
            "--checks",
            "all",
            # Why: the [checks.ensure_resource_availability] note in schemathesis.toml.
            "--exclude-checks",
            "ensure_resource_availability",
            # POST /auth/logout revokes the token it is called with, the run's one token: every
            # operation after it would answer 401 (and an [[operations]] entry with enabled =
            # false in the config file turns off every POST). tests/accounts covers it.
            "--exclude-path",
            "/api/v1/auth/logout",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--workers",
            "2",
            "--report",
            "junit",
            "--report-dir",
            str(ROOT / "test-output" / "schemathesis"),
            *args.extra,
        ]
        print("==", " ".join(command[:1] + ["..."] + command[3:]), flush=True)
        # No --max-time: with it, schemathesis repeats its phases until the time is spent. One
        # pass of bounded examples, and a wall-clock bound here.
        try:
            rc = subprocess.run(
                command,
                env={
                    **env,
                    "CIVILITY_FUZZ_TOKEN": fixtures["token"],
                    # Hypothesis's caches go with the run's data, not into the checkout.
                    "HYPOTHESIS_STORAGE_DIRECTORY": str(data_dir / "hypothesis"),
                },
                cwd=ROOT,
                check=False,
                timeout=args.timeout,
            ).returncode
        except subprocess.TimeoutExpired:
            print(f"schemathesis ran past {args.timeout} s", file=sys.stderr)
            rc = 1
        print(f"== contract run took {time.monotonic() - started:.0f} s", flush=True)
        if rc != 0:
            tail = (data_dir / "serve.log").read_text(errors="replace")[-3000:]
            print(f"-- civility serve log (tail):\n{tail}", file=sys.stderr)
        return rc or (1 if problems else 0)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"data kept in {data_dir}")


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"] and os.environ.get("CIVILITY_CONTRACT_SEED") == "1":
        print(json.dumps(seed()))
        sys.exit(0)
    sys.exit(main())
