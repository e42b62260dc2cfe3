"""Whether a user may post on a site: platform-wide switches on User, then the site's own ban."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils import timezone

from civility.db.lookups import RowsOf, rows_for
from civility.moderation.models import SiteBan


@cache
def ban_rows() -> RowsOf:
    """A user's ban on the site (RowsOf's params: user), read with the site where a post reads
    it."""
    return RowsOf("fetched_ban", SiteBan, "site", ("until", "reason"), params=("user",))


def standing(site: Any, user: Any) -> dict[str, Any]:
    """{"banned", "reason", "suspended_until"} for ``user`` on ``site`` (now)."""
    if getattr(user, "banned", False):
        return {"banned": True, "reason": user.banned_reason, "suspended_until": None}
    now = timezone.now()
    until = user.suspended_until if user.is_suspended(now) else None
    # (site, user) is unique; checked on every post: read with the site there (`ban_rows`),
    # else without the ORM's compiler.
    ban = rows_for(site, ban_rows(), user=user) if site is not None else []
    for ban_until, reason in ban:
        if ban_until is None:
            return {"banned": True, "reason": reason, "suspended_until": None}
        if ban_until > now:
            until = ban_until if until is None else max(until, ban_until)
    return {"banned": False, "reason": "", "suspended_until": until}


def standing_json(site: Any, user: Any) -> dict[str, Any]:
    s = standing(site, user)
    until = s["suspended_until"]
    return {**s, "suspended_until": until.isoformat() if until else None}
