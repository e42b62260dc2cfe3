"""A webhook receiver down for five minutes gets every event afterwards, in order per comment.

    python bench/webhooks_outage.py [--down 300] [--rate 1] [--database postgres://...]

A fresh database (SQLite in a temporary folder by default), one site with an endpoint at a
receiver on 127.0.0.1, one `civility worker` with the default retry settings (5 s, doubling, at
most an hour). The receiver goes down (its port closed: connections refused); for --down seconds
a comment is posted every 1/--rate seconds and then approved, reported and, every third one,
rejected, through the real action functions (3 or 4 events per comment). Then the receiver comes
back on the same port, and the bench waits until every delivery is delivered.

Prints: events written, the outage, how long after the receiver came back the last event arrived,
whether every event arrived, duplicates by webhook-id, events out of order per comment (must be
0), and the tries a delivery needed. Writes bench/out/webhooks_outage.json. Takes --down seconds
plus a few minutes: the first events of the outage are in their longest wait when it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--down", type=float, default=300.0, help="seconds the receiver is down")
    parser.add_argument("--rate", type=float, default=1.0, help="comments per second meanwhile")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()

    from services import civility_env, fresh_database, setup_django, start_worker

    tmp = Path(tempfile.mkdtemp(prefix="civility-outage-bench-"))
    env = civility_env(tmp, fresh_database(args.database, tmp, "civility_bench_outage"))
    setup_django(env)
    from django.conf import settings
    from django.db import connection

    from civility.accounts.models import User
    from civility.comments.actions import report_comment, store_comment
    from civility.comments.models import Site, Story
    from civility.moderation import actions
    from civility.moderation.models import SiteMembership
    from civility.webhooks.actions import add_endpoint
    from civility.webhooks.models import WebhookDelivery
    from tests.tasks.helpers import Receiver

    receiver = Receiver()
    site = Site.objects.create(name="Bench", slug="bench", allowed_origins=["*"])
    story = Story.objects.create(site=site, url="https://bench.example/a", title="A")
    admin = User.objects.create_user(username="bench-admin", password="bench-pass-1")
    SiteMembership.objects.create(site=site, user=admin, role="admin")
    author = User.objects.create_user(username="bench-author", password="bench-pass-1")
    reporter = User.objects.create_user(username="bench-reporter", password="bench-pass-1")
    add_endpoint(admin, site, url=receiver.url)
    worker = start_worker(env)
    receiver.stop()
    down_at = time.monotonic()
    comments = []
    i = 0
    while time.monotonic() - down_at < args.down:
        c = store_comment(story=story, author=author, body=f"Comment {i}", status="pending")
        c = actions.approve(admin, c.pk)
        report_comment(comment=c, user=reporter, reason="other")
        if i % 3 == 0:
            actions.reject(admin, c.pk, "On second thought")
        comments.append(c.pk)
        i += 1
        time.sleep(max(0.0, down_at + i / args.rate - time.monotonic()))
    receiver.start()
    up_at, up_wall = time.monotonic(), time.time()
    total = WebhookDelivery.objects.count()
    while WebhookDelivery.objects.exclude(status="delivered").exists():
        time.sleep(0.5)
        if time.monotonic() - up_at > 3600:
            break
    after_up = max((r["at"] for r in receiver.requests), default=up_wall) - up_wall
    worker.send_signal(signal.SIGTERM)
    worker.wait(30)

    got = receiver.events()
    expected = {
        pk: list(
            WebhookDelivery.objects.filter(order_key=f"comment:{pk}")
            .order_by("id")
            .values_list("event_type", flat=True)
        )
        for pk in comments
    }
    out_of_order = sum(
        [e["type"] for e in got if e["data"]["comment"]["id"] == pk] != types
        for pk, types in expected.items()
    )
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    tries = Counter(WebhookDelivery.objects.values_list("attempts", flat=True))
    result = {
        "database": connection.vendor,
        "receiver_down_seconds": args.down,
        "comments": len(comments),
        "events": total,
        "events_received": len(got),
        "all_received": len(got) == total,
        "duplicates": len(ids) - len(set(ids)),
        "comments_out_of_order": out_of_order,
        "last_event_after_receiver_up_seconds": round(after_up, 1),
        "retry_settings": {
            "first_wait_seconds": settings.TASK_RETRY_SECONDS,
            "max_wait_seconds": settings.TASK_RETRY_MAX_SECONDS,
            "attempts": settings.WEBHOOK_MAX_ATTEMPTS,
        },
        "tries_per_delivery": dict(sorted(tries.items())),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    receiver.stop()
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "webhooks_outage.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0 if result["all_received"] and not out_of_order else 1


if __name__ == "__main__":
    sys.exit(main())
