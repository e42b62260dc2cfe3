"""The e-mail readers get about their account: password reset and address verification.

Links carry Django's own tokens (`default_token_generator` for resets; a generator of the same
kind, with its own salt, for verification), made in the worker that sends the message, so no
token is ever stored, not even in the task queue. Each link stays valid
``PASSWORD_RESET_TIMEOUT`` seconds (``CIVILITY_EMAIL_LINK_HOURS``); a reset link dies once the
password changes or the reader signs in, a verification link once the address is verified or
changed. Messages go through Django's e-mail backend (``CIVILITY_EMAIL_URL``), from the
``mail`` queue, never in the request: a request for a reset takes the same path whether or not
the address has an account.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from civility.tasks.base import durable

log = logging.getLogger(__name__)


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, for proving an address: the token names the address it was sent
    to, so it dies when the address changes. Using it twice is harmless (a second click, a mail
    scanner's visit): it stays valid until it expires."""

    key_salt = "civility.accounts.mail.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.email}{timestamp}"


verification_tokens = EmailVerificationTokenGenerator()


def uid_for(user: Any) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_for_uid(uidb64: str) -> Any | None:
    """The active user a link's uid names, or None."""
    try:
        text = urlsafe_base64_decode(uidb64).decode()
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 19:  # int() would take " 5\n"
        return None
    pk = int(text)
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def absolute(path: str) -> str:
    return settings.PUBLIC_URL.rstrip("/") + path


def reset_link(user: Any) -> str:
    token = default_token_generator.make_token(user)
    return absolute(reverse("account-reset", args=[uid_for(user), token]))


def verify_link(user: Any) -> str:
    token = verification_tokens.make_token(user)
    return absolute(reverse("account-verify", args=[uid_for(user), token]))


def compose(
    to: str,
    template: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
    language: str = "",
) -> EmailMultiAlternatives:
    """A plain-text message from ``accounts/email/<template>_subject.txt`` and ``_body.txt``,
    written in ``language`` (the reader's, User.language; "" = the default)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject_text = render_to_string(f"accounts/email/{template}_subject.txt", context)
        subject = " ".join(subject_text.split())
        body = render_to_string(f"accounts/email/{template}_body.txt", context)
    return EmailMultiAlternatives(
        subject=subject, body=body, from_email=None, to=[to], headers=headers or {}
    )


def resettable_users(email: str) -> list[Any]:
    """Local accounts (not guests, not the publisher's sign-on) with this address."""
    users = get_user_model().objects.filter(
        email__iexact=email, is_active=True, is_guest=False, sso_site__isnull=True
    )
    return [u for u in users if u.has_usable_password()]


@durable(queue="mail")
def send_password_reset(email: str) -> dict[str, Any]:
    """Mail a reset link to each local account with ``email``; nothing when there is none (the
    requester is told the same either way)."""
    sent = 0
    for user in resettable_users(email):
        context = {"user": user, "name": user.public_name, "link": reset_link(user)}
        context["hours"] = round(settings.PASSWORD_RESET_TIMEOUT / 3600)
        compose(user.email, "password_reset", context, language=user.language).send()
        sent += 1
    return {"sent": sent}


@durable(queue="mail")
def send_verification(user_id: int) -> dict[str, Any]:
    """Mail a link that proves ``user_id``'s address; nothing once it is verified."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or user.email_verified_at is not None:
        return {"sent": 0}
    context = {"user": user, "name": user.public_name, "link": verify_link(user)}
    context["hours"] = round(settings.PASSWORD_RESET_TIMEOUT / 3600)
    compose(user.email, "verify_email", context, language=user.language).send()
    return {"sent": 1}
