"""E-mail as background tasks: the shape reply and moderation e-mails will take.

Civility sends no e-mail yet (the reader-experience work adds the settings, templates and
opt-outs). `send_mail` is the one task they will queue: idempotent by ``key`` (a message with a
key already sent is not sent again), retried with backoff and parked like every durable task.
`reply_notification` and `moderation_notification` are the stubs the actions will queue with
`enqueue_on_commit(...)`; until e-mail exists they only say so.
"""

from __future__ import annotations

import logging
from typing import Any

from civility.tasks.base import already_done, durable, mark_done

log = logging.getLogger("civility.tasks")


@durable(queue="mail")
def send_mail(key: str, to: list[str], subject: str, body: str) -> str:
    """Send one message through Django's e-mail backend, once per ``key``. A worker that dies
    between sending and recording the key sends it again when the task is retried: e-mail is
    at least once, everything else here exactly once."""
    from django.core.mail import send_mail as django_send_mail

    if already_done(f"mail:{key}"):
        return "already sent"
    django_send_mail(subject, body, None, to)
    mark_done(f"mail:{key}")
    return "sent"


@durable(queue="mail")
def reply_notification(comment_id: int) -> dict[str, Any]:
    """Tell the parent comment's author about a reply (stub until e-mail settings exist)."""
    log.info("reply e-mail for comment %s: e-mail is not set up yet", comment_id)
    return {"comment": comment_id, "sent": False, "why": "e-mail is not set up"}


@durable(queue="mail")
def moderation_notification(comment_id: int, decision: str) -> dict[str, Any]:
    """Tell an author their comment was approved or rejected (stub until e-mail exists)."""
    log.info("moderation e-mail (%s) for comment %s: not set up yet", decision, comment_id)
    return {"comment": comment_id, "decision": decision, "sent": False, "why": "no e-mail yet"}
