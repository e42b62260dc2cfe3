"""Sending webhook deliveries: the `deliver` task, and the sweeps the worker runs.

One attempt: lock the row, check it is still pending, due and first in line for its comment
(or user) at this endpoint, lease it for the length of a request, send it signed outside any
transaction, then record the answer. A 2xx delivers it and queues the next in line; anything
else schedules another try with exponential backoff (settings.TASK_RETRY_SECONDS doubling, at
most TASK_RETRY_MAX_SECONDS) until WEBHOOK_MAX_ATTEMPTS, when it is parked in the log for a
replay (and the next in line goes on). The first success after a failure means the receiver is
back: the endpoint's other deliveries waiting for a retry go at once. Running `deliver` twice
for one row is harmless: the lease, the status and the row lock make the second a no-op, and a
receiver that sees a webhook-id twice (a worker died after sending) knows it is the same event.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from civility.tasks.base import backlog, backoff, durable, enqueue_on_commit
from civility.webhooks.models import WebhookDelivery
from civility.webhooks.signing import sign_headers

log = logging.getLogger("civility.webhooks")
PENDING = WebhookDelivery.Status.PENDING
USER_AGENT = "Civility-Webhooks/1"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer other than 2xx: the delivery is retried


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str, int]:
    """POST ``body``; returns (status code or None, error text, milliseconds)."""
    request = urllib.request.Request(  # noqa: S310 - the site admin's own http(s) endpoint
        url,
        data=body.encode(),
        method="POST",
        headers={"content-type": "application/json", "user-agent": USER_AGENT, **headers},
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=float(settings.WEBHOOK_TIMEOUT)) as response:
            response.read(4096)
            code, error = int(response.status), ""
    except urllib.error.HTTPError as exc:
        code, error = int(exc.code), f"HTTP {exc.code} {exc.reason}"
    except Exception as exc:  # refused, reset, timed out, DNS ...
        reason = getattr(exc, "reason", exc)
        code, error = None, f"{type(reason).__name__}: {reason}"
    ms = int((time.monotonic() - started) * 1000)
    return code, " ".join(error.split())[:500], ms


def lease_seconds() -> float:
    return float(settings.WEBHOOK_TIMEOUT) + 5.0


def _head(delivery: WebhookDelivery) -> WebhookDelivery | None:
    """The earliest undelivered delivery in the same line (endpoint and comment or user)."""
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            order_key=delivery.order_key,
            status=PENDING,
            id__lt=delivery.pk,
        )
        .order_by("id")
        .first()
    )


def _kick_next(delivery: WebhookDelivery, now: Any) -> None:
    nxt = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            order_key=delivery.order_key,
            status=PENDING,
            id__gt=delivery.pk,
        )
        .order_by("id")
        .first()
    )
    if nxt is not None:
        WebhookDelivery.objects.filter(pk=nxt.pk).update(next_attempt_at=now)
        enqueue_on_commit(deliver, nxt.pk)


def _wake_endpoint(delivery: WebhookDelivery, now: Any) -> None:
    """After an outage, send the endpoint's other deliveries waiting for a retry now, rather
    than each at the end of its own (by then long) wait."""
    waiting = list(
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            status=PENDING,
            attempts__gte=1,
            next_attempt_at__gt=now,
        )
        .exclude(pk=delivery.pk)
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    WebhookDelivery.objects.filter(pk__in=waiting).update(next_attempt_at=now)
    for pk in waiting:
        enqueue_on_commit(deliver, pk)


@durable(queue="webhooks")
def deliver(delivery_id: int) -> str:
    """One attempt at delivery ``delivery_id`` (see the module docstring)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != PENDING:
            return "done already"
        if not delivery.endpoint.active:
            return "endpoint paused"  # the sweep sends it once the endpoint is on again
        if delivery.leased_until and delivery.leased_until > now:
            # Another worker is sending it, or died doing so: look again when the lease ends.
            enqueue_on_commit(
                deliver, delivery.pk, delay=(delivery.leased_until - now).total_seconds()
            )
            return "in flight"
        if delivery.next_attempt_at > now + timedelta(seconds=1):
            return "not due"  # a stray copy; the task scheduled for the retry is on its way
        head = _head(delivery)
        if head is not None:
            # In order per comment: the one before goes first, and queues this one when done.
            delivery.next_attempt_at = max(head.next_attempt_at, now)
            delivery.save(update_fields=["next_attempt_at"])
            return f"waits for delivery {head.pk}"
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.leased_until = now + timedelta(seconds=lease_seconds())
        delivery.save(update_fields=["attempts", "last_attempt_at", "leased_until"])
        endpoint = delivery.endpoint
        url, keys = endpoint.url, endpoint.signing_secrets(now)
    headers = sign_headers(delivery.msg_id, delivery.payload, keys)
    code, error, ms = post(url, delivery.payload, headers)
    done = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.leased_until = None
        delivery.last_status_code, delivery.last_error, delivery.last_duration_ms = code, error, ms
        if code is not None and 200 <= code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = done
            delivery.last_error = ""
            _kick_next(delivery, done)
            if delivery.attempts > 1:  # the receiver is back: its other retries go now
                _wake_endpoint(delivery, done)
            outcome = "delivered"
        elif delivery.attempts >= int(settings.WEBHOOK_MAX_ATTEMPTS):
            delivery.status = WebhookDelivery.Status.PARKED
            _kick_next(delivery, done)
            log.error(
                "webhook %s to %s parked after %d tries: %s",
                delivery.msg_id,
                url,
                delivery.attempts,
                error,
            )
            outcome = "parked"
        else:
            wait = backoff(delivery.attempts)
            delivery.next_attempt_at = done + timedelta(seconds=wait)
            enqueue_on_commit(deliver, delivery.pk, delay=wait)
            outcome = f"retry in {wait:.1f} s"
        delivery.save()
    return outcome


def sweep(now: Any = None) -> int:
    """Queue deliveries that are due but were not sent long after (their task was lost: a crash
    between commit and enqueue, Redis away, a dead worker's lease run out)."""
    if backlog("webhooks"):
        return 0  # the workers are behind, not lost: deliveries in the backlog are queued
    now = now or timezone.now()
    late = now - timedelta(seconds=5 * float(settings.WORKER_LEASE_SECONDS))
    rows = list(
        WebhookDelivery.objects.filter(
            status=PENDING, next_attempt_at__lte=late, endpoint__active=True
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )
    if rows:
        WebhookDelivery.objects.filter(pk__in=rows).update(next_attempt_at=now)
        for pk in rows:
            enqueue_on_commit(deliver, pk)
    return len(rows)


_last_prune: float | None = None


def prune_log(now: Any = None) -> int:
    """Drop delivered events older than WEBHOOK_LOG_DAYS from the log (at most once an hour)."""
    global _last_prune
    if now is None and _last_prune is not None and time.monotonic() - _last_prune < 3600:
        return 0
    _last_prune = time.monotonic()
    now = now or timezone.now()
    before = now - timedelta(days=int(settings.WEBHOOK_LOG_DAYS))
    deleted, _ = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.DELIVERED, delivered_at__lt=before
    ).delete()
    return deleted
