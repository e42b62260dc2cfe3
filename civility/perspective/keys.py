"""API keys: creation (shown once), lookup by hash, per-second quotas and daily counts."""

from __future__ import annotations

import hashlib
import secrets
import time

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from civility.perspective.errors import ApiError
from civility.perspective.models import ApiKey, ApiKeyUsage
from civility.ratelimit import count_hits

KEY_PREFIX = "civ_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_key(name: str, qps: int = 1) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the raw key (never stored, print it once)."""
    if qps < 1:
        raise ValueError("qps must be at least 1")
    raw = KEY_PREFIX + secrets.token_urlsafe(30)
    key = ApiKey.objects.create(name=name, prefix=raw[:8], key_hash=hash_key(raw), qps=qps)
    return key, raw


def revoke_key(name_or_id: str) -> ApiKey | None:
    """Revoke by name, or by numeric id when no key has that name. None when nothing matches."""
    key = ApiKey.objects.filter(name=name_or_id).first()
    if key is None and name_or_id.isdigit():
        key = ApiKey.objects.filter(pk=int(name_or_id)).first()
    if key is None:
        return None
    if not key.revoked:
        key.revoked = True
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked", "revoked_at"])
    return key


def authenticate(raw: str | None) -> ApiKey:
    """The active key for `raw`, or ApiError 403 (Google's PERMISSION_DENIED)."""
    if not raw:
        raise ApiError(
            403,
            "The request is missing a valid API key.",
        )
    key = ApiKey.objects.filter(key_hash=hash_key(raw)).first()
    if key is None:
        raise ApiError(403, "API key not valid. Please pass a valid API key.")
    if key.revoked:
        raise ApiError(403, "API key has been revoked. Please pass a valid API key.")
    return key


def _count(key: ApiKey, method: str, field: str) -> None:
    today = timezone.now().date()
    rows = ApiKeyUsage.objects.filter(key=key, day=today, method=method)
    if rows.update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            ApiKeyUsage.objects.create(key=key, day=today, method=method, **{field: 1})
    except IntegrityError:  # another worker created today's row first
        rows.update(**{field: F(field) + 1})


def check_quota(key: ApiKey, method: str) -> None:
    """Count the request against the key's queries-per-second quota; 429 when over it.

    A fixed one-second window (civility.ratelimit): shared by every worker with Redis
    (CIVILITY_REDIS_URL), per process without it.
    """
    second = int(time.time())
    (used,) = count_hits([f"persp:qps:{key.key_hash[:24]}:{second}"], 1)
    if used > key.qps:
        _count(key, method, "over_quota")
        raise ApiError(
            429,
            f"Quota exceeded for quota metric 'Analysis requests' and limit "
            f"'Analysis requests per second' of key '{key.name}': {key.qps} per second.",
            headers={"Retry-After": "1"},
        )
    _count(key, method, "requests")
