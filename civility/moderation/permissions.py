"""Who may moderate what: per-site SiteMembership; superusers and role=admin are admins anywhere."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from civility.comments.models import Site
from civility.errors import Refused
from civility.moderation.models import SiteMembership


def is_global_admin(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and (user.is_superuser or getattr(user, "role", "") == "admin")
    )


def site_role(user: Any, site: Any) -> str | None:
    """'admin', 'moderator' or None for ``user`` on ``site``."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if is_global_admin(user):
        return "admin"
    site_id = site if isinstance(site, int) else site.pk
    return (
        SiteMembership.objects.filter(user=user, site_id=site_id)
        .values_list("role", flat=True)
        .first()
    )


def can_moderate(user: Any, site: Any) -> bool:
    return site_role(user, site) is not None


def can_admin(user: Any, site: Any) -> bool:
    return site_role(user, site) == "admin"


def require_moderator(user: Any, site: Any) -> None:
    if not getattr(user, "is_authenticated", False):
        raise Refused("login_required", "Sign in as a moderator to do this.", 403)
    if not can_moderate(user, site):
        raise Refused("forbidden", "You are not a moderator of this site.", 403)


def require_admin(user: Any, site: Any) -> None:
    require_moderator(user, site)
    if not can_admin(user, site):
        raise Refused("forbidden", "Only this site's admins can do this.", 403)


def moderated_sites(user: Any) -> QuerySet[Site]:
    """The sites ``user`` may moderate, by name."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Site.objects.none()
    if is_global_admin(user):
        return Site.objects.order_by("name")
    return Site.objects.filter(staff__user=user).order_by("name").distinct()
