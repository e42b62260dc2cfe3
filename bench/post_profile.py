"""CPU per new comment in one process, and where it goes (cProfile), without the model.

Posts ``--posts`` comments (bodies as bench/thread_bench.py samples them from the shared datasets,
a fixed-seed mix of lengths and toxicity; one short sentence where the datasets are absent) through the Django test client to `POST /api/v1/stories/<id>/comments`
with a reader's bearer token, as the widget does, on a fresh database in a temporary folder
(SQLite, or PostgreSQL with ``--db postgres``: a database created and dropped here). Scoring is
replaced INSIDE THIS SCRIPT ONLY by a future that never resolves, so every post takes the path
it takes in a burst (stored held `model_pending`, decided when the score arrives): what is left
is the request path's own cost, which bench/thread_bench.py measures against Isso under load.

    python bench/post_profile.py --posts 400                 # CPU per post
    python bench/post_profile.py --posts 400 --profile 30     # and the 30 costliest functions
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=400, help="posts measured (default 400)")
    parser.add_argument("--warmup", type=int, default=50, help="posts before measuring")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/8", help="CIVILITY_REDIS_URL ('' for none)"
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print N functions")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    parser.add_argument("--match", default="", help="only functions whose path matches (regex)")
    parser.add_argument(
        "--queries", action="store_true", help="print the SQL of one post (after the warm-up)"
    )
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="civility-post-profile-"))
    os.environ["CIVILITY_DATA_DIR"] = str(data)
    os.environ.setdefault("CIVILITY_SECRET_KEY", "post-profile-" + secrets.token_hex(8))
    os.environ["CIVILITY_REDIS_URL"] = args.redis
    pg_name = f"civility_post_profile_{secrets.token_hex(3)}"
    if args.db == "postgres":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", pg_name], check=True)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civility.settings"
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.db == "postgres":
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", pg_name], check=False)
        shutil.rmtree(data, ignore_errors=True)


def post_bodies() -> list[str]:
    """thread_bench's post bodies, or one sentence where the shared datasets are absent."""
    sys.path.insert(0, str(REPO / "bench"))
    from thread_bench import datasets_root, sample_bodies

    root = datasets_root()
    if not root.is_dir():
        print(f"no datasets at {root}: every post is one short sentence", file=sys.stderr)
        return ["A measured thought about bus lanes."]
    return sample_bodies(root)[0]


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    # The request log is written as the server writes it, into /dev/null.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the whole run

    from civility.accounts import tokens
    from civility.accounts.models import User
    from civility.comments.models import Comment, Site, Story
    from civility.moderation import scoring

    # The model, stubbed here only: its score never comes, as under a burst.
    scoring.get_scorer = lambda: None  # type: ignore[assignment]
    scoring.submit = lambda text, background=False: Future()  # type: ignore[assignment]
    scoring.post_wait = lambda: 0.0  # type: ignore[assignment]

    site = Site.objects.create(
        name="News", slug="news", allowed_origins=["https://news.example"], premoderation="none"
    )
    site.rate_limit_per_minute = site.ip_rate_limit_per_minute = 10**9
    site.save()
    story = Story.objects.create(site=site, url="https://news.example/a", title="A")
    user = User.objects.create_user(username="reader", email="reader@example.org", password="x")
    client = Client(headers={"Authorization": f"Bearer {tokens.issue(user)}"})
    path = f"/api/v1/stories/{story.pk}/comments"
    counter = iter(range(10**9))
    bodies = post_bodies()

    def post() -> None:
        n = next(counter)
        body = json.dumps({"body": f"{bodies[n % len(bodies)]} [profile-{n}]"})
        resp = client.post(path, data=body, content_type="application/json")
        if resp.status_code != 201:
            raise SystemExit(f"post {n}: {resp.status_code} {resp.content[:300]!r}")

    for _ in range(args.warmup):
        post()
    if args.queries:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            post()
        print(f"{len(captured.captured_queries)} queries in one post:")
        for query in captured.captured_queries:
            print(f"  {query['sql'][:300]}")
    backend = _backend_cpu()
    # CPU time, not wall time: on a shared machine wall time is mostly waiting for a core.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    db_cpu = backend()
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(args.posts):
        post()
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db_cpu = backend() - db_cpu
    held = Comment.objects.filter(status=Comment.Status.PENDING).count()
    server = f", PostgreSQL's backend {db_cpu / args.posts * 1000:.2f} ms/post" if db_cpu else ""
    print(
        f"{args.db}: {args.posts} posts, CPU {cpu / args.posts * 1000:.2f} ms/post{server}, "
        f"wall {wall / args.posts * 1000:.2f} ms/post (profiler {'on' if profiler else 'off'}); "
        f"held model_pending: {held}; load average {os.getloadavg()[0]:.1f}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.match, args.profile)


def _backend_cpu() -> Any:
    """A function giving the CPU seconds of this connection's PostgreSQL backend so far (a
    local server: read from /proc), or 0.0 on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return read


if __name__ == "__main__":
    main()
