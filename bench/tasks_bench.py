"""Background tasks at volume: N queued notification tasks (webhook deliveries) drained by W
`civility worker` processes, counted at a real HTTP receiver.

    python bench/tasks_bench.py [--n 10000] [--workers 2] [--database postgres://...] [--kill]

Makes a fresh database (SQLite in a temporary folder by default; with --database a PostgreSQL
server, on which it creates and drops `civility_bench_tasks`), N comments of one site with a
webhook endpoint pointing at a receiver on 127.0.0.1, and one `comment.created` delivery task
per comment (written through civility.webhooks.outbox, queued on commit: what posting does).
Then it starts the workers and waits until every delivery is marked delivered. --kill kills one
worker (SIGKILL) a third of the way through and starts another: a killed worker's task is run
again, and at most that one event reaches the receiver twice, with the same webhook-id.

Prints: the time to queue and to drain, tasks per second, requests the receiver got, distinct
webhook-ids, duplicates (requests past the first per id), events missing, the workers' CPU
seconds per 1,000 tasks. Writes bench/out/tasks_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from services import civility_env, fresh_database, setup_django, start_worker  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--kill", action="store_true", help="kill one worker mid-run")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="civility-tasks-bench-"))
    db_url = fresh_database(args.database, tmp, "civility_bench_tasks")
    env = civility_env(
        tmp, db_url, CIVILITY_WORKER_LEASE_SECONDS="3", CIVILITY_TASK_RETRY_SECONDS="0.5"
    )
    setup_django(env)
    from django.db import connection, transaction

    from civility.accounts.models import User
    from civility.comments.models import Comment, Site, Story
    from civility.webhooks.models import WebhookDelivery, WebhookEndpoint
    from civility.webhooks.outbox import webhook_event
    from civility.webhooks.signing import new_secret
    from tests.tasks.helpers import Receiver

    receiver = Receiver()
    site = Site.objects.create(name="Bench", slug="bench", allowed_origins=["*"])
    WebhookEndpoint.objects.create(site=site, url=receiver.url, secret=new_secret())
    story = Story.objects.create(site=site, url="https://bench.example/a", title="A")
    author = User.objects.create_user(username="bench-author", password="bench-pass-1")
    Comment.objects.bulk_create(
        [
            Comment(story=story, author=author, body=f"Comment {i}", html="", status="approved")
            for i in range(args.n)
        ],
        batch_size=1000,
    )
    comments = list(Comment.objects.select_related("story", "author").order_by("id"))
    started = time.monotonic()
    for i in range(0, len(comments), 500):
        with transaction.atomic():
            for c in comments[i : i + 500]:
                webhook_event("comment.created", site=site, comment=c)
    queued = time.monotonic() - started
    connection.close()

    def worker() -> subprocess.Popen:
        return start_worker(env, "--interval", "0.05")

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    workers = [worker() for _ in range(args.workers)]
    killed = False
    delivered = 0
    while delivered < args.n:
        time.sleep(0.5)
        delivered = WebhookDelivery.objects.filter(status="delivered").count()
        if args.kill and not killed and delivered >= args.n // 3:
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            workers.append(worker())
            killed = True
        if time.monotonic() - started > 3600:
            print("gave up after an hour", file=sys.stderr)
            break
    drained = time.monotonic() - started
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    result = {
        "n": args.n,
        "workers": args.workers,
        "database": connection.vendor,
        "killed_a_worker": killed,
        "queue_seconds": round(queued, 2),
        "queued_per_second": round(args.n / queued),
        "drain_seconds": round(drained, 2),
        "tasks_per_second": round(args.n / drained, 1),
        "requests": len(ids),
        "distinct_ids": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "missing": args.n - len(set(ids)),
        "worker_cpu_seconds_per_1000": round(cpu / args.n * 1000, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    receiver.stop()
    if args.database:
        import psycopg

        admin = urlunsplit(urlsplit(args.database)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS civility_bench_tasks WITH (FORCE)")
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "tasks_bench.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0 if result["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
