"""`civility worker` processes against the test database: one killed in the middle of a task,
two draining a queue together."""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.tasks.helpers import start_worker, wait_for

pytestmark = pytest.mark.usefixtures("quick_retries")


def _stop(*workers) -> str:
    out = []
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
        try:
            text, _ = w.communicate(timeout=20)
        except Exception:
            w.kill()
            text, _ = w.communicate()
        out.append(text or "")
    return "\n".join(out)


def test_a_worker_killed_mid_task_leaves_it_to_another_and_it_happens_once(
    site, story, admin, make_reader, receiver
):
    from django_tasks_db.models import DBTaskResult

    from civility.comments.actions import store_comment
    from civility.tasks.models import WorkerBeat
    from civility.webhooks.actions import add_endpoint
    from civility.webhooks.models import WebhookDelivery

    add_endpoint(admin, site, url=receiver.url)
    receiver.hold.clear()  # the receiver sits on the first request
    comment = store_comment(story=story, author=make_reader(), body="Once", status="approved")
    first = start_worker()
    second = None
    try:
        assert receiver.arrived.wait(60), "the first worker never sent the event"
        task = DBTaskResult.objects.get(task_path="civility.webhooks.delivery.deliver")
        assert task.status == "RUNNING"
        first.send_signal(signal.SIGKILL)  # mid-task: the request is in flight
        first.wait(10)
        receiver.hold.set()
        second = start_worker()
        wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists(), timeout=60)
        task.refresh_from_db()
    finally:
        text = _stop(*(w for w in (first, second) if w is not None))
    # The dead worker's task went back to the queue and the second worker ran it.
    assert task.status == "SUCCESSFUL", text
    assert len(task.worker_ids) == 2 and task.worker_ids[0] != task.worker_ids[1]
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 2
    # Sent twice with one webhook-id (the first attempt's answer was lost with its worker):
    # the receiver, deduplicating on it, saw one event.
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {delivery.msg_id}
    assert len(receiver.events()) == 1
    assert receiver.events()[0]["data"]["comment"]["id"] == comment.pk
    # The second stopped cleanly and removed its heartbeat; the killed one's is left, stale.
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == task.worker_ids[:1]


def test_queued_notifications_drain_with_two_workers_and_no_duplicates(
    site, story, admin, make_reader, receiver
):
    from civility.comments.actions import store_comment
    from civility.comments.models import Comment
    from civility.webhooks.actions import add_endpoint
    from civility.webhooks.models import WebhookDelivery

    n = 60
    add_endpoint(admin, site, url=receiver.url, events=["comment.created"])
    author = make_reader()
    for i in range(n):
        store_comment(story=story, author=author, body=f"Notification {i}", status="approved")
    assert WebhookDelivery.objects.filter(status="pending").count() == n
    started = time.monotonic()
    workers = [start_worker(), start_worker()]
    try:
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").count() == n, timeout=120
        )
        took = time.monotonic() - started
    finally:
        text = _stop(*workers)
    assert len(receiver.requests) == n, text  # not one sent twice
    ids = {json.loads(r["body"])["data"]["comment"]["id"] for r in receiver.requests}
    assert ids == set(Comment.objects.values_list("id", flat=True))
    assert {d.attempts for d in WebhookDelivery.objects.all()} == {1}
    print(f"{n} deliveries by 2 workers in {took:.1f} s")
