"""`webhook_event`: the one helper action functions call to announce a change to the site's
webhook endpoints.

Called inside the action's transaction, it writes one WebhookDelivery row per subscribed endpoint
(the outbox: the event exists exactly when the change does) and queues their deliveries when the
transaction commits. A site without endpoints costs one indexed query.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

from django.utils import timezone

from civility.comments.models import Comment, Site
from civility.db.lookups import RowsOf, rows_for
from civility.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint


def include_text(site: Site) -> bool:
    """Site.settings["webhook_comment_text"]: False keeps comment text out of webhooks."""
    return bool((site.settings or {}).get("webhook_comment_text", True))


def _comment_data(comment: Comment, site: Site) -> dict[str, Any]:
    story = comment.story
    author = comment.author
    data: dict[str, Any] = {
        "id": comment.pk,
        "status": comment.status,
        "story": {"id": story.pk, "url": story.url, "title": story.title},
        "parent_id": comment.parent_id,
        "author": {"id": author.pk, "name": getattr(author, "display_name", "") or author.username},
        "created_at": comment.created_at.isoformat() if comment.created_at else None,
        "edited": comment.edited,
    }
    if include_text(site):
        data["body"] = comment.body
        if comment.status == Comment.Status.REJECTED:
            data["rejection_reason"] = comment.rejection_reason
    return data


@cache
def active_endpoints_rows() -> RowsOf:
    """The site's active endpoints (their ids), read with the site where a post reads it."""
    return RowsOf(
        "fetched_active_webhooks", WebhookEndpoint, "site", ("id",), equals=(("active", True),)
    )


def endpoints_for(site: Site, event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints of ``site`` that want ``event_type``."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    # Every post comes here, and most sites have no endpoint: answer that with what the post
    # read with its site, or a plain lookup (civility.db.lookups), not a queryset: its
    # compiling was a tenth of a post's CPU.
    if not rows_for(site, active_endpoints_rows()):
        return []
    active = WebhookEndpoint.objects.filter(site=site, active=True)
    return [endpoint for endpoint in active if endpoint.wants(event_type)]


def webhook_event(
    event_type: str,
    *,
    site: Site,
    comment: Comment | None = None,
    user: Any = None,
    extra: dict[str, Any] | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> int:
    """Write ``event_type`` for every endpoint of ``site`` that wants it; returns how many.
    ``endpoints``: `endpoints_for` asked before the transaction's first write (a post does, so
    the lookup does not lengthen its SQLite write turn).

    ``comment`` events carry the comment (its text only if the site allows), ``user`` events the
    user's id and name; ``extra`` adds fields (a report's reason, a ban's reason and end)."""
    if endpoints is None:
        endpoints = endpoints_for(site, event_type)
    if not endpoints:
        return 0
    from civility.tasks.base import enqueue_on_commit
    from civility.webhooks.delivery import deliver

    now = timezone.now()
    data: dict[str, Any] = {"site": site.slug}
    if comment is not None:
        data["comment"] = _comment_data(comment, site)
        order_key, user_id = f"comment:{comment.pk}", comment.author_id
    else:
        name = getattr(user, "display_name", "") or getattr(user, "username", "")
        erased = event_type == "user.deleted"
        data["user"] = {"id": user.pk} if erased else {"id": user.pk, "name": name}
        order_key, user_id = f"user:{user.pk}", user.pk
    data.update(extra or {})
    body = json.dumps(
        {"type": event_type, "timestamp": now.isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    msg_id = f"msg_{uuid.uuid4().hex}"
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            msg_id=msg_id,
            event_type=event_type,
            payload=body,
            order_key=order_key,
            user_id=user_id,
            next_attempt_at=now,
        )
        enqueue_on_commit(deliver, delivery.pk)
    return len(endpoints)


def forget_user(user_id: int) -> int:
    """Data rights: take an erased user's name and comment text out of the delivery log and of
    events not yet delivered (the user.deleted event itself carries only the id)."""
    changed = 0
    for delivery in WebhookDelivery.objects.filter(user_id=user_id).exclude(
        event_type="user.deleted"
    ):
        payload = json.loads(delivery.payload)
        data = payload.get("data", {})
        comment = data.get("comment") or {}
        if comment.get("author", {}).get("id") == user_id:
            comment["author"] = {"id": user_id, "name": ""}
            comment.pop("body", None)
            comment.pop("rejection_reason", None)
        if "user" in data:
            data["user"] = {"id": user_id, "name": ""}
        changed += WebhookDelivery.objects.filter(pk=delivery.pk).update(
            payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        )
    return changed
