"""CIVILITY_TASK_BACKEND=rq: the same tasks through Redis (django-tasks-rq), run by
`civility worker` as an RQ worker: a webhook delivered and verified, a failing task retried."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import redis
from standardwebhooks import Webhook

from tests.tasks.helpers import REPO, start_worker, wait_for, worker_env

REDIS_URL = "redis://127.0.0.1:6379/10"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.skipif(not _redis_up(), reason="no Redis answers at 127.0.0.1:6379"),
    pytest.mark.xdist_group("redis"),
    pytest.mark.usefixtures("quick_retries"),
]


def test_tasks_run_through_redis(site, story, admin, make_reader, receiver):
    from civility.tasks.models import DoneKey
    from civility.webhooks.actions import add_endpoint
    from civility.webhooks.models import WebhookDelivery

    redis.Redis.from_url(REDIS_URL).flushdb()
    endpoint = add_endpoint(admin, site, url=receiver.url)
    author = make_reader()
    env = worker_env(
        CIVILITY_TASK_BACKEND="rq",
        CIVILITY_REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="civility.settings",
    )
    subprocess.run(
        [sys.executable, "-m", "tests.tasks.rq_enqueue", str(story.pk), str(author.pk)],
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
    )
    assert len(redis.Redis.from_url(REDIS_URL).keys("rq:job:*")) == 2
    assert not receiver.requests  # nothing runs before a worker does
    worker = start_worker(CIVILITY_TASK_BACKEND="rq", CIVILITY_REDIS_URL=REDIS_URL)
    try:
        wait_for(lambda: DoneKey.objects.filter(key="rq:done").exists(), timeout=90)
        wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists(), timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert DoneKey.objects.filter(key__startswith="rq:try:").count() == 2, output  # retried
    request = receiver.requests[0]
    event = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert event["type"] == "comment.created"
    assert event["data"]["comment"]["body"] == "Through Redis"
    redis.Redis.from_url(REDIS_URL).flushdb()
