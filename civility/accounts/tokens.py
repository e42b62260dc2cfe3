"""Bearer tokens for the widget.

The thread runs in an iframe on the publisher's page, where our cookies are third-party (often
blocked, and SameSite=Lax withholds them anyway). So the widget authenticates with a signed token
kept in the iframe's own storage and sent as `Authorization: Bearer ...`; being no ambient
credential, it needs no CSRF token either. Changing the password invalidates old tokens.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing

from civility.db.lookups import fetch_one

SALT = "civility.api.token"
MAX_AGE = 60 * 60 * 24 * 30  # 30 days


def _fingerprint(user: Any) -> str:
    return user.get_session_auth_hash()[:16] if user.has_usable_password() else "-"


def issue(user: Any) -> str:
    return signing.dumps({"u": user.pk, "f": _fingerprint(user)}, salt=SALT, compress=True)


def verify(token: str) -> Any | None:
    """The user a token names, or None when it is forged, expired or revoked."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    pk = data.get("u")
    if not isinstance(pk, int):
        return None
    user = fetch_one(get_user_model(), pk=pk, is_active=True)  # on every write: no ORM compile
    if user is None or _fingerprint(user) != data.get("f"):
        return None
    return user
