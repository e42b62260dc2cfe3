"""A site's staff, managed by the site's admins on the desk (never Django admin): add an account
as moderator or admin, change its role, remove it. Audited; a site always keeps one admin.

Staff who sign in through the publisher's SSO get their role from the publisher's token at each
sign-in (civility.accounts.actions._sync_sso_role): the publisher's system stays the source of
truth for them, so a role changed here is changed again by their next token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from civility.audit import record
from civility.comments.models import Site
from civility.errors import Refused
from civility.moderation.models import SiteMembership
from civility.moderation.permissions import require_admin

ROLES = SiteMembership.Role


def members(site: Site) -> list[SiteMembership]:
    """The site's staff: admins first, then by name."""
    return list(
        SiteMembership.objects.filter(site=site)
        .select_related("user")
        .order_by("role", "user__username")  # "admin" < "moderator"
    )


def _role(raw: Any) -> str:
    role = str(raw or "")
    if role not in ROLES.values:
        raise Refused("bad_role", 'The role must be "moderator" or "admin".')
    return role


def find_account(site: Site, who: Any) -> Any:
    """The account an admin means by an e-mail address or a username."""
    who = str(who or "").strip()
    if not who or len(who) > 254:
        raise Refused("bad_member", "Give the person's e-mail address or username.")
    users = get_user_model().objects.filter(is_active=True, is_guest=False)
    found = list(users.filter(Q(username__iexact=who) | Q(email__iexact=who))[:3])
    by_name = [u for u in found if u.username.lower() == who.lower()]
    if by_name:
        found = by_name
    if not found:
        raise Refused(
            "unknown_account",
            f"No account is called {who!r} or uses that e-mail address. Ask them to create an"
            " account (or sign in once through your site's SSO), then add them here.",
            404,
        )
    if len(found) > 1:
        raise Refused(
            "ambiguous_account",
            "Several accounts use this e-mail address: give the username instead.",
            409,
        )
    user = found[0]
    if user.sso_site_id is not None and user.sso_site_id != site.pk:
        raise Refused("wrong_site", "This account signs in through another site's SSO.", 403)
    return user


def _membership(site: Site, user_id: Any) -> SiteMembership:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Refused("bad_member", "User ids must be numbers.") from None
    membership = SiteMembership.objects.select_for_update().filter(site=site, user_id=pk).first()
    if membership is None:
        raise Refused("not_found", "This person is not staff of this site.", 404)
    return membership


def _keep_one_admin(site: Site, membership: SiteMembership) -> None:
    """Refuse taking away the site's last admin (inside the change's transaction)."""
    if membership.role != ROLES.ADMIN:
        return
    # Locks the admins' rows (PostgreSQL refuses FOR UPDATE with COUNT): two admins demoting
    # each other at once cannot both pass.
    admins = SiteMembership.objects.select_for_update().filter(site=site, role=ROLES.ADMIN)
    if len(admins.values_list("pk", flat=True)) <= 1:
        raise Refused(
            "last_admin",
            "This is the site's last admin: make someone else admin first.",
            409,
        )


def add_member(actor: Any, site: Site, who: Any, role: Any) -> SiteMembership:
    """Make the account ``who`` names a moderator or admin of ``site``."""
    require_admin(actor, site)
    role = _role(role)
    user = find_account(site, who)
    try:
        with transaction.atomic():
            membership = SiteMembership.objects.create(site=site, user=user, role=role)
            record("site.member.added", site=site, actor=actor, target_user=user, after=role)
    except IntegrityError:
        current = SiteMembership.objects.filter(site=site, user=user).first()
        name = current.get_role_display().lower() if current else "member"
        raise Refused(
            "already_member", f"{user.get_username()} is a {name} here already.", 409
        ) from None
    return membership


def change_role(actor: Any, site: Site, user_id: Any, role: Any) -> SiteMembership:
    require_admin(actor, site)
    role = _role(role)
    with transaction.atomic():
        membership = _membership(site, user_id)
        if membership.role == role:
            return membership
        if role != ROLES.ADMIN:
            _keep_one_admin(site, membership)
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(
            "site.member.role",
            site=site,
            actor=actor,
            target_user=membership.user,
            before=before,
            after=role,
        )
    return membership


def remove_member(actor: Any, site: Site, user_id: Any) -> None:
    require_admin(actor, site)
    with transaction.atomic():
        membership = _membership(site, user_id)
        _keep_one_admin(site, membership)
        record(
            "site.member.removed",
            site=site,
            actor=actor,
            target_user=membership.user,
            before=membership.role,
        )
        membership.delete()
