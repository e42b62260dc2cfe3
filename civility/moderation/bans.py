"""Whether a user may post on a site: platform-wide switches on User, then the site's own ban."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from civility.db.lookups import fetch_one
from civility.moderation.models import SiteBan


def standing(site: Any, user: Any) -> dict[str, Any]:
    """{"banned", "reason", "suspended_until"} for ``user`` on ``site`` (now)."""
    if getattr(user, "banned", False):
        return {"banned": True, "reason": user.banned_reason, "suspended_until": None}
    now = timezone.now()
    until = user.suspended_until if user.is_suspended(now) else None
    # (site, user) is unique; checked on every post, so without the ORM's compiler.
    ban = fetch_one(SiteBan, site=site, user=user) if site is not None else None
    if ban is not None and ban.until is None:
        return {"banned": True, "reason": ban.reason, "suspended_until": None}
    if ban is not None and ban.until is not None and ban.until > now:
        until = ban.until if until is None else max(until, ban.until)
    return {"banned": False, "reason": "", "suspended_until": until}


def standing_json(site: Any, user: Any) -> dict[str, Any]:
    s = standing(site, user)
    until = s["suspended_until"]
    return {**s, "suspended_until": until.isoformat() if until else None}
