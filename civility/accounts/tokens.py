"""Bearer tokens for the widget.

The thread runs in an iframe on the publisher's page, where our cookies are third-party (often
blocked, and SameSite=Lax withholds them anyway). So the widget authenticates with a signed token
kept in the iframe's own storage and sent as `Authorization: Bearer ...`; being no ambient
credential, it needs no CSRF token either. Changing the password invalidates old tokens;
signing out (`revoke`) invalidates the one token, by its digest, until it would have expired.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from civility.db.lookups import fetch_one_and_exists

SALT = "civility.api.token"
MAX_AGE = 60 * 60 * 24 * 30  # 30 days


def _fingerprint(user: Any) -> str:
    return user.get_session_auth_hash()[:16] if user.has_usable_password() else "-"


def issue(user: Any) -> str:
    # "n": two sign-ins in the same second get different tokens, so signing one out leaves
    # the other signed in.
    claims = {"u": user.pk, "f": _fingerprint(user), "n": secrets.token_urlsafe(6)}
    return signing.dumps(claims, salt=SALT, compress=True)


def verify(token: str) -> Any | None:
    """The user a token names, or None when it is forged, expired or revoked."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    pk = data.get("u")
    if not isinstance(pk, int):
        return None
    from civility.accounts.models import RevokedToken

    # On every write: one query, no ORM compile (civility.db.lookups).
    user, revoked = fetch_one_and_exists(
        get_user_model(), {"pk": pk, "is_active": True}, RevokedToken, "digest", _digest(token)
    )
    if user is None or revoked or _fingerprint(user) != data.get("f"):
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def revoke(token: str) -> bool:
    """Sign this token out for good; False if it was revoked already. Rows of tokens that have
    expired anyway are pruned on the way. Call inside the caller's transaction or alone."""
    from civility.accounts.models import RevokedToken

    now = timezone.now()
    # The token dies within MAX_AGE of now whenever it was issued: keep its row that long.
    expires = now + timedelta(seconds=MAX_AGE)
    RevokedToken.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            RevokedToken.objects.create(digest=_digest(token), expires_at=expires)
    except IntegrityError:
        return False
    return True
