"""Signed webhooks end to end: real actions write events, a real worker (in this process) sends
them to a real HTTP receiver, and the official `standardwebhooks` verifier checks every one."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from tests.tasks.helpers import drain

pytestmark = pytest.mark.usefixtures("quick_retries")


def _post(story, author, body="A perfectly ordinary remark about the article."):
    from civility.comments.actions import post_comment

    return post_comment(story=story, author=author, body=body)


def _deliveries(**filters):
    from civility.webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.filter(**filters)


def _all_sent() -> bool:
    return not _deliveries(status="pending").exists()


def test_actions_send_signed_events_the_standard_verifier_accepts(
    site, story, admin, make_reader, receiver, scorer, settings
):
    settings.SCORING_DEFER, settings.SCORING_TIMEOUT = False, 60.0  # a busy machine: wait
    from civility.comments.actions import report_comment
    from civility.moderation import actions
    from civility.webhooks.actions import add_endpoint

    endpoint = add_endpoint(admin, site, url=receiver.url)
    assert endpoint.secret.startswith("whsec_")
    author, reporter = make_reader(), make_reader()
    comment = _post(story, author)
    assert comment.status == "approved"
    report_comment(comment=comment, user=reporter, reason="spam")
    actions.reject(admin, comment.pk, "Off topic")
    actions.ban_user(admin, site, author.pk, "Spam again")
    drain(_all_sent)

    verifier = Webhook(endpoint.secret)
    events = []
    for request in receiver.requests:
        payload = verifier.verify(request["body"], request["headers"])  # raises if forged
        assert request["headers"]["webhook-id"].startswith("msg_")
        assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 60
        events.append(payload)
    assert [e["type"] for e in events] == [
        "comment.created",
        "comment.reported",
        "comment.rejected",
        "user.banned",
    ]
    created = events[0]["data"]
    assert created["site"] == "daily"
    assert created["comment"]["id"] == comment.pk
    assert created["comment"]["body"] == comment.body
    assert created["comment"]["story"]["url"] == story.url
    assert events[1]["data"]["report"] == {"reason": "spam"}
    assert events[2]["data"]["comment"]["status"] == "rejected"
    assert events[2]["data"]["comment"]["rejection_reason"] == "Off topic"
    assert events[3]["data"]["user"]["id"] == author.pk
    assert events[3]["data"]["reason"] == "Spam again"
    # A body changed in transit, or another secret, fails verification.
    first = receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        verifier.verify(first["body"].replace("ordinary", "tampered"), first["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(first["body"], first["headers"])


def test_event_filter_and_a_site_without_comment_text(site, story, admin, make_reader, receiver):
    from civility.comments.actions import store_comment
    from civility.moderation import actions
    from civility.webhooks.actions import add_endpoint, set_comment_text

    add_endpoint(admin, site, url=receiver.url, events=["comment.approved"])
    set_comment_text(admin, site, False)
    site.refresh_from_db()
    comment = store_comment(
        story=story, author=make_reader(), body="Secret text nobody should get", status="pending"
    )
    actions.approve(admin, comment.pk)
    drain(_all_sent)
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["comment.approved"]
    data = json.loads(receiver.requests[0]["body"])["data"]["comment"]
    assert data["id"] == comment.pk and data["status"] == "approved"
    assert "body" not in data
    assert "Secret text" not in receiver.requests[0]["body"]


def test_a_rotated_secret_signs_with_both_until_the_grace_period_ends(
    site, story, admin, make_reader, receiver
):
    from civility.comments.actions import store_comment
    from civility.webhooks.actions import add_endpoint, rotate_secret
    from civility.webhooks.models import WebhookEndpoint

    endpoint = add_endpoint(admin, site, url=receiver.url)
    old = endpoint.secret
    endpoint = rotate_secret(admin, site, endpoint.pk)
    assert endpoint.secret != old
    store_comment(
        story=story, author=make_reader(), body="During the grace period", status="approved"
    )
    drain(_all_sent)
    request = receiver.requests[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request["body"], request["headers"])  # receivers not yet switched
    Webhook(endpoint.secret).verify(request["body"], request["headers"])  # switched ones

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    store_comment(
        story=story, author=make_reader(), body="After the grace period", status="approved"
    )
    drain(_all_sent)
    request = receiver.requests[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 1
    Webhook(endpoint.secret).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request["body"], request["headers"])


def test_failures_are_retried_with_backoff_then_parked_and_replayed(
    site, story, admin, make_reader, receiver, settings
):
    from civility.comments.actions import store_comment
    from civility.moderation import actions
    from civility.webhooks.actions import add_endpoint, replay

    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_SECONDS = 0.3  # waits of 0.3 s, then 0.6 s (±10 %)
    settings.TASK_RETRY_MAX_SECONDS = 5
    add_endpoint(admin, site, url=receiver.url)
    receiver.status = 500
    comment = store_comment(story=story, author=make_reader(), body="Retry me", status="pending")
    actions.approve(admin, comment.pk)
    drain(_all_sent)
    created, approved = _deliveries().order_by("id")
    assert created.status == "parked" and created.attempts == 3
    assert created.last_status_code == 500
    # The one behind it in line went on after the first was parked.
    assert approved.status == "parked" and approved.attempts == 3
    times = [
        r["at"] for r in receiver.requests if json.loads(r["body"])["type"] == "comment.created"
    ]
    waits = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(waits) == 2
    assert 0.25 < waits[0] < waits[1] and waits[1] > 0.5  # the wait grows

    receiver.status = 200
    replay(admin, site, created.pk)
    drain(_all_sent)
    created.refresh_from_db()
    assert created.status == "delivered" and created.attempts == 1
    assert receiver.requests[-1]["headers"]["webhook-id"] == created.msg_id  # the same event


def test_a_receiver_down_for_a_while_gets_every_event_afterwards_in_order(
    site, story, admin, make_reader, receiver
):
    """The short version of the five-minute outage (bench/webhooks_outage.py runs that one)."""
    from civility.comments.actions import report_comment, store_comment
    from civility.moderation import actions
    from civility.webhooks.actions import add_endpoint

    add_endpoint(admin, site, url=receiver.url)
    receiver.stop()  # connection refused from now on
    reader, reporter = make_reader(), make_reader()
    comments = []
    for i in range(4):
        c = store_comment(story=story, author=reader, body=f"Comment {i}", status="pending")
        c = actions.approve(admin, c.pk)
        report_comment(comment=c, user=reporter, reason="other")
        if i % 2:
            actions.reject(admin, c.pk, "On second thought")
        comments.append(c)
    down_until = time.monotonic() + 1.5
    drain(lambda: time.monotonic() > down_until)
    assert not receiver.requests
    failed = _deliveries(status="pending", attempts__gte=1)
    assert failed.exists() and all("Connection" in d.last_error for d in failed)

    receiver.start()  # back on the same port
    drain(_all_sent, timeout=60)
    assert not _deliveries().exclude(status="delivered").exists()
    got = receiver.events()
    assert len(got) == _deliveries().count() == 4 * 3 + 2
    for c in comments:
        mine = [e["type"] for e in got if e["data"]["comment"]["id"] == c.pk]
        expected = ["comment.created", "comment.approved", "comment.reported"]
        if c.pk == comments[1].pk or c.pk == comments[3].pk:
            expected.append("comment.rejected")
        assert mine == expected


def test_the_desk_shows_the_delivery_log_and_replays(
    client, site, story, admin, make_reader, receiver
):
    from civility.comments.actions import store_comment
    from civility.webhooks.models import WebhookEndpoint

    client.force_login(admin)
    url = f"/moderate/{site.slug}/settings/webhooks/"
    page = client.get(url)
    assert page.status_code == 200 and b"No endpoints yet" in page.content
    response = client.post(url, {"op": "add", "url": receiver.url, "events": ["comment.created"]})
    assert response.status_code == 200 and b"signing secret" in response.content
    endpoint = WebhookEndpoint.objects.get(site=site)
    assert endpoint.events == ["comment.created"]
    store_comment(story=story, author=make_reader(), body="Logged", status="approved")
    drain(_all_sent)
    delivery = _deliveries().get()
    page = client.get(url)
    assert f"delivery-{delivery.pk}".encode() in page.content
    assert delivery.msg_id.encode() in page.content
    client.post(url, {"op": "replay", "delivery": delivery.pk})
    drain(_all_sent)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.msg_id] * 2
    client.post(url, {"op": "rotate", "endpoint": endpoint.pk})
    endpoint.refresh_from_db()
    assert endpoint.previous_secret and endpoint.previous_secret_until > timezone.now()
    # A moderator who is not an admin of the site may not see secrets or the log.
    from civility.accounts.models import User
    from civility.moderation.models import SiteMembership

    mod = User.objects.create_user(username="justamod", password="pw-justamod-1")
    SiteMembership.objects.create(site=site, user=mod, role="moderator")
    client.force_login(mod)
    assert client.get(url).status_code == 403


def test_erasure_sends_user_deleted_and_scrubs_the_log(site, story, admin, make_reader, receiver):
    from civility.accounts.data_rights import erase_user
    from civility.comments.actions import store_comment
    from civility.webhooks.actions import add_endpoint

    add_endpoint(admin, site, url=receiver.url, events=["comment.created", "user.deleted"])
    reader = make_reader("erin")
    store_comment(story=story, author=reader, body="My own words", status="approved")
    drain(_all_sent)
    erase_user(user=reader, actor=admin, reason="asked by email", site=site)
    drain(_all_sent)
    events = receiver.events()
    assert events[-1]["type"] == "user.deleted"
    assert events[-1]["data"]["user"] == {"id": reader.pk}
    logged = _deliveries(event_type="comment.created").get()
    assert "My own words" not in logged.payload and "erin" not in logged.payload


def test_the_sweep_queues_lost_deliveries_and_leaves_a_backlog_alone(
    site, story, admin, make_reader, receiver
):
    from django_tasks_db.models import DBTaskResult

    from civility.comments.actions import store_comment
    from civility.webhooks.actions import add_endpoint
    from civility.webhooks.delivery import sweep

    add_endpoint(admin, site, url=receiver.url)
    store_comment(story=story, author=make_reader(), body="Lost and found", status="approved")
    _deliveries().update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert sweep() == 0  # its task waits in the queue: behind, not lost
    DBTaskResult.objects.all().delete()  # lost (a crash between the commit and the enqueue)
    assert sweep() == 1
    assert sweep() == 0  # queued again once, not at every sweep
    drain(_all_sent)
    assert len(receiver.requests) == 1
