"""Notification e-mail: a reader who opted in hears of replies to their comments and of what a
moderator did with them, in at most one message every ``NOTIFY_EVERY_MINUTES``.

The comment and moderation actions call `comment_published` / `comment_moderated` inside their
transaction. They look the recipient up (one query; nothing happens for readers who did not opt
in or whose address is not confirmed) and store a `Notification`. The first one waiting for a
reader queues `send_notifications` on commit, to run when the reader's window allows; it sends
everything waiting by then as one message, with a signed one-click unsubscribe link and the
RFC 8058 headers (``List-Unsubscribe``, ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``).
`sweep` (run by the workers) queues it again for readers whose task was lost.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from civility.accounts.mail import absolute, compose
from civility.accounts.models import Notification, User
from civility.tasks.base import backlog, durable, enqueue_on_commit

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "civility.accounts.unsubscribe"
EXCERPT = 200


def _every() -> timedelta:
    return timedelta(minutes=float(settings.NOTIFY_EVERY_MINUTES))


def _minutes() -> float | int:
    """NOTIFY_EVERY_MINUTES as people write it (15, not 15.0)."""
    every = float(settings.NOTIFY_EVERY_MINUTES)
    return int(every) if every.is_integer() else every


def _wait(last_notified_at: Any, now: Any = None) -> float:
    """Seconds until this reader may get their next message."""
    if last_notified_at is None:
        return 0.0
    now = now or timezone.now()
    return max(0.0, (last_notified_at + _every() - now).total_seconds())


def _recipient(pk: Any, flag: str) -> tuple[int, Any] | None:
    """(id, last_notified_at) of the reader ``pk`` if they opted in to ``flag`` with a
    confirmed address."""
    if pk is None:
        return None
    return (
        User.objects.filter(pk=pk, is_active=True, email_verified_at__isnull=False, **{flag: True})
        .exclude(email="")
        .values_list("pk", "last_notified_at")
        .first()
    )


def _store(recipient: tuple[int, Any], kind: str, comment: Any, reason: str = "") -> None:
    user_id, last_notified_at = recipient
    waiting = Notification.objects.filter(user_id=user_id, sent_at=None).exists()
    Notification.objects.create(user_id=user_id, kind=kind, comment=comment, reason=reason[:500])
    if not waiting:  # else the task queued for the first one sends this one too
        # Never at once: a moderator may undo a decision within a minute, a replier delete a
        # reply; the task mails only what is still true when it runs.
        delay = max(_wait(last_notified_at), float(settings.NOTIFY_GRACE_SECONDS))
        enqueue_on_commit(send_notifications, user_id, delay=delay or None)


def comment_published(comment: Any) -> None:
    """``comment`` became public: if it is a reply, its parent's author may want to know. Call
    inside the transaction that published it."""
    if comment.parent_id is None:
        return
    parent = comment.parent if "parent" in comment._state.fields_cache else None
    if parent is not None:
        parent_author = parent.author_id
    else:
        parent_author = (
            type(comment)
            .objects.filter(pk=comment.parent_id)
            .values_list("author_id", flat=True)
            .first()
        )
    if parent_author is None or parent_author == comment.author_id:
        return
    recipient = _recipient(parent_author, "notify_replies")
    if recipient is not None:
        _store(recipient, Notification.Kind.REPLY, comment)


def comment_moderated(comment: Any, kind: str, reason: str = "") -> None:
    """A moderator approved, rejected or featured ``comment`` (``kind``: a Notification.Kind).
    Call inside the moderator's transaction."""
    recipient = _recipient(comment.author_id, "notify_moderation")
    if recipient is not None:
        _store(recipient, kind, comment, reason)


def comment_decided(comment: Any, before: str, reason: str = "") -> None:
    """A moderator set ``comment``'s status (it was ``before``): its author may want to know,
    and if it just became public, so may the author of the comment it replies to."""
    if comment.status == before:
        return
    if comment.status == "approved":
        comment_moderated(comment, Notification.Kind.APPROVED)
        comment_published(comment)
    elif comment.status == "rejected":
        comment_moderated(comment, Notification.Kind.REJECTED, reason)


# --- unsubscribing -------------------------------------------------------------------------------


def unsubscribe_token(user: Any) -> str:
    """A signed token naming the reader; it does not expire (old messages keep working)."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def user_for_unsubscribe(token: str) -> Any | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    pk = data.get("u") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        return None
    return User.objects.filter(pk=pk).first()


def unsubscribe_url(user: Any) -> str:
    return absolute(reverse("account-unsubscribe", args=[unsubscribe_token(user)]))


# --- sending -------------------------------------------------------------------------------------


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "\u2026"


def _still_true(item: Notification, user: Any) -> bool:
    """Whether a waiting notification still says something true, and is still wanted."""
    comment = item.comment
    if item.kind == Notification.Kind.REPLY:
        return user.notify_replies and comment.status == "approved"
    if not user.notify_moderation or comment.status == "deleted":
        return False
    wanted: dict[str, str] = {
        Notification.Kind.APPROVED: "approved",
        Notification.Kind.REJECTED: "rejected",
        Notification.Kind.FEATURED: "approved",
    }
    return comment.status == wanted.get(item.kind)


def _entry(item: Notification) -> dict[str, Any]:
    comment = item.comment
    story = comment.story
    return {
        "kind": item.kind,
        "who": comment.author.public_name if item.kind == Notification.Kind.REPLY else "",
        "title": story.title or story.url,
        "site": story.site.name,
        "excerpt": _excerpt(comment.body),
        "reason": item.reason,
        "link": f"{story.url.split('#')[0]}#comment-{comment.pk}",
    }


@durable(queue="mail")
def send_notifications(user_id: int) -> dict[str, Any]:
    """Send ``user_id`` everything waiting for them as one message, unless their last one went
    less than NOTIFY_EVERY_MINUTES ago (then come back when it may). Idempotent: what was sent
    is marked sent in the same transaction; an SMTP failure rolls it back for the retry."""
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            return {"sent": 0}
        waiting = list(
            Notification.objects.filter(user=user, sent_at=None)
            .select_related("comment__story__site", "comment__author")
            .order_by("created_at", "id")
        )
        if not waiting:
            return {"sent": 0}
        wait = _wait(user.last_notified_at, now)
        if wait > 0:
            enqueue_on_commit(send_notifications, user_id, delay=wait)
            return {"sent": 0, "deferred": round(wait, 1)}
        can_mail = user.is_active and bool(user.email) and user.email_verified_at is not None
        items = [n for n in waiting if can_mail and _still_true(n, user)]
        Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(sent_at=now)
        if not items:
            return {"sent": 0, "dropped": len(waiting)}
        link = unsubscribe_url(user)
        context = {
            "name": user.public_name,
            "entries": [_entry(n) for n in items],
            "count": len(items),
            "unsubscribe": link,
            "every": _minutes(),
        }
        headers = {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",  # RFC 3834: no out-of-office replies
        }
        compose(user.email, "notifications", context, headers, language=user.language).send()
        user.last_notified_at = now
        user.save(update_fields=["last_notified_at"])
    return {"sent": 1, "items": len(items)}


_last_sweep: float | None = None


def sweep(force: bool = False) -> int:
    """Queue `send_notifications` for readers whose notifications wait longer than their window
    and a margin (the task was lost with Redis or a crash); at most once a minute."""
    global _last_sweep
    if not force and _last_sweep is not None and time.monotonic() - _last_sweep < 60:
        return 0
    if backlog("mail"):
        return 0  # the workers are behind: what waits in the queue is not lost
    _last_sweep = time.monotonic()
    now = timezone.now()
    # What was sent is kept a while (what a reader was told), then forgotten.
    Notification.objects.filter(sent_at__lt=now - timedelta(days=30)).delete()
    overdue = now - _every() - timedelta(minutes=5)
    users = list(
        Notification.objects.filter(sent_at=None, created_at__lt=overdue)
        .values_list("user_id", flat=True)
        .distinct()[:1000]
    )
    for user_id in users:
        enqueue_on_commit(send_notifications, user_id)
    return len(users)
