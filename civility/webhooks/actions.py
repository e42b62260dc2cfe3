"""Site admins' actions on webhooks. Each validates, writes in one transaction and audits
(never a secret: only that one was made or rotated); views call these and nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civility.audit import record
from civility.comments.models import Site
from civility.errors import Refused, whole_number
from civility.moderation.permissions import require_admin
from civility.tasks.base import enqueue_on_commit
from civility.webhooks.delivery import deliver
from civility.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from civility.webhooks.signing import new_secret

MAX_ENDPOINTS = 20


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 1000:
        raise Refused("bad_url", "The endpoint must be an absolute http(s) URL.")
    return url


def _clean_events(events: Any) -> list[str]:
    events = [str(e).strip() for e in (events or []) if str(e).strip()]
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise Refused("bad_event", f"Unknown events {unknown}; use some of {list(EVENT_TYPES)}.")
    return sorted(set(events))


def _endpoint(actor: Any, site: Site, endpoint_id: Any) -> WebhookEndpoint:
    require_admin(actor, site)
    pk = whole_number(endpoint_id, "bad_id", "The endpoint id must be a number.")
    endpoint = WebhookEndpoint.objects.filter(pk=pk, site=site).first()
    if endpoint is None:
        raise Refused("not_found", "No such webhook endpoint on this site.", 404)
    return endpoint


def add_endpoint(
    actor: Any, site: Site, *, url: str, events: Any = None, description: str = ""
) -> WebhookEndpoint:
    require_admin(actor, site)
    url, events = _clean_url(url), _clean_events(events)
    if WebhookEndpoint.objects.filter(site=site).count() >= MAX_ENDPOINTS:
        raise Refused("too_many", f"A site has at most {MAX_ENDPOINTS} webhook endpoints.")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            site=site,
            url=url,
            events=events,
            description=(description or "").strip()[:200],
            secret=new_secret(),
        )
        record(
            "webhook.added",
            site=site,
            actor=actor,
            data={"endpoint": endpoint.pk, "url": url, "events": events},
        )
    return endpoint


def update_endpoint(
    actor: Any,
    site: Site,
    endpoint_id: Any,
    *,
    url: str | None = None,
    events: Any = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    endpoint = _endpoint(actor, site, endpoint_id)
    with transaction.atomic():
        if url is not None:
            endpoint.url = _clean_url(url)
        if events is not None:
            endpoint.events = _clean_events(events)
        if active is not None:
            endpoint.active = bool(active)
        endpoint.save()
        record(
            "webhook.changed",
            site=site,
            actor=actor,
            data={
                "endpoint": endpoint.pk,
                "url": endpoint.url,
                "events": endpoint.events,
                "active": endpoint.active,
            },
        )
        if active:  # deliveries that waited while it was paused go out now
            for pk in WebhookDelivery.objects.filter(
                endpoint=endpoint, status=WebhookDelivery.Status.PENDING
            ).values_list("pk", flat=True)[:1000]:
                enqueue_on_commit(deliver, pk)
    return endpoint


def rotate_secret(actor: Any, site: Site, endpoint_id: Any) -> WebhookEndpoint:
    """A new secret signs from now on; the old one signs too for
    settings.WEBHOOK_SECRET_GRACE_HOURS, while the receiver switches."""
    endpoint = _endpoint(actor, site, endpoint_id)
    grace = timedelta(hours=float(settings.WEBHOOK_SECRET_GRACE_HOURS))
    with transaction.atomic():
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + grace
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        record(
            "webhook.secret_rotated",
            site=site,
            actor=actor,
            data={"endpoint": endpoint.pk, "old_secret_until": str(endpoint.previous_secret_until)},
        )
    return endpoint


def remove_endpoint(actor: Any, site: Site, endpoint_id: Any) -> None:
    endpoint = _endpoint(actor, site, endpoint_id)
    with transaction.atomic():
        gone = {"endpoint": endpoint.pk, "url": endpoint.url}
        record("webhook.removed", site=site, actor=actor, data=gone)
        endpoint.delete()


def replay(actor: Any, site: Site, delivery_id: Any) -> WebhookDelivery:
    """Send a logged event again (same webhook-id: receivers that have it already skip it)."""
    require_admin(actor, site)
    pk = whole_number(delivery_id, "bad_id", "The delivery id must be a number.")
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(pk=pk, endpoint__site=site).first()
        )
        if delivery is None:
            raise Refused("not_found", "No such delivery on this site.", 404)
        if delivery.status == WebhookDelivery.Status.PENDING:
            raise Refused("pending", "This event is still being delivered.", 409)
        before = delivery.status
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.leased_until = None
        delivery.delivered_at = None
        delivery.save()
        record(
            "webhook.replayed",
            site=site,
            actor=actor,
            before=before,
            after=delivery.status,
            data={"delivery": delivery.pk, "msg_id": delivery.msg_id, "event": delivery.event_type},
        )
        enqueue_on_commit(deliver, delivery.pk)
    return delivery


def set_comment_text(actor: Any, site: Site, include: bool) -> Site:
    """Whether this site's webhooks carry comment text (off: ids, status and metadata only)."""
    require_admin(actor, site)
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        site.settings = {**(site.settings or {}), "webhook_comment_text": bool(include)}
        site.save(update_fields=["settings"])
        record(
            "webhook.comment_text",
            site=site,
            actor=actor,
            after="on" if include else "off",
            data={"webhook_comment_text": bool(include)},
        )
    return site
