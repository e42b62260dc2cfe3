"""E-mail as background tasks.

`send_mail` sends one message through Django's e-mail backend (CIVILITY_EMAIL_URL), idempotent
by ``key`` (a message with a key already sent is not sent again), retried with backoff and
parked like every durable task. The account and notification e-mail are tasks of the apps that
know what to say: civility/accounts/mail.py (password reset, address verification) and
civility/accounts/notifications.py (replies and moderators' decisions, batched per reader), all
on the ``mail`` queue.
"""

from __future__ import annotations

import logging

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
