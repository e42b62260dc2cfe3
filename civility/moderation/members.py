"""A site's staff, managed by the site's admins on the desk (never Django admin): add an account
as moderator or admin, change its role, remove it. Audited; a site always keeps one admin.

Someone without an account is invited by e-mail: an account is made for the address (no
password yet) and a link to choose one is mailed from the ``mail`` queue (Django's reset token,
civility.accounts.mail: valid ``CIVILITY_EMAIL_LINK_HOURS``, dead once used). They then sign in at
the desk with the address. An admin can send the invitation again while no password is set.

Staff who sign in through the publisher's SSO get their role from the publisher's token at each
sign-in (civility.accounts.actions._sync_sso_role): the publisher's system stays the source of
truth for them, so a role changed here is changed again by their next token.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from civility.audit import record
from civility.comments.models import Site
from civility.errors import Refused, whole_number
from civility.moderation.models import SiteMembership
from civility.moderation.permissions import require_admin
from civility.tasks.base import durable, enqueue_on_commit

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
        raise Refused("bad_role", _('The role must be "moderator" or "admin".'))
    return role


def find_account(site: Site, who: Any) -> Any:
    """The account an admin means by an e-mail address or a username."""
    who = str(who or "").strip()
    if not who or len(who) > 254:
        raise Refused("bad_member", _("Give the person's e-mail address or username."))
    users = get_user_model().objects.filter(is_active=True, is_guest=False)
    found = list(users.filter(Q(username__iexact=who) | Q(email__iexact=who))[:3])
    by_name = [u for u in found if u.username.lower() == who.lower()]
    if by_name:
        found = by_name
    if not found:
        raise Refused(
            "unknown_account",
            _(
                "No account is called %(who)r or uses that e-mail address. Give their e-mail"
                " address to invite them."
            )
            % {"who": who},
            404,
        )
    if len(found) > 1:
        raise Refused(
            "ambiguous_account",
            _("Several accounts use this e-mail address: give the username instead."),
            409,
        )
    user = found[0]
    if user.sso_site_id is not None and user.sso_site_id != site.pk:
        raise Refused("wrong_site", _("This account signs in through another site's SSO."), 403)
    return user


def _membership(site: Site, user_id: Any) -> SiteMembership:
    pk = whole_number(user_id, "bad_member", "User ids must be numbers.")
    membership = SiteMembership.objects.select_for_update().filter(site=site, user_id=pk).first()
    if membership is None:
        raise Refused("not_found", _("This person is not staff of this site."), 404)
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
            _("This is the site's last admin: make someone else admin first."),
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
        message = (
            _("%(who)s is an admin here already.")
            if current is not None and current.role == ROLES.ADMIN
            else _("%(who)s is a moderator here already.")
        )
        raise Refused(
            "already_member",
            message % {"who": user.get_username()},
            409,
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


# --- invitations ------------------------------------------------------------------------------


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def invite_member(actor: Any, site: Site, who: Any, role: Any) -> tuple[SiteMembership, bool]:
    """Add the account ``who`` names; or, for an e-mail address without one, make an account
    for it and mail an invitation. Returns (membership, whether an invitation was mailed)."""
    require_admin(actor, site)
    role = _role(role)
    address = str(who or "").strip().lower()
    try:
        return add_member(actor, site, who, role), False
    except Refused as exc:
        if exc.code != "unknown_account" or not _is_email(address):
            raise
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=address,
            email=address,
            password=None,  # unusable until they choose one from the mailed link
            display_name=address.split("@", 1)[0][:80],
        )
        membership = SiteMembership.objects.create(site=site, user=user, role=role)
        record(
            "site.member.invited",
            site=site,
            actor=actor,
            target_user=user,
            after=role,
            data={"email": address},
        )
        enqueue_on_commit(send_invitation, membership.pk)
    return membership, True


def resend_invitation(actor: Any, site: Site, user_id: Any) -> SiteMembership:
    """Mail the invitation again (a lost or expired link) while no password is set."""
    require_admin(actor, site)
    with transaction.atomic():
        membership = _membership(site, user_id)
        if not invitation_pending(membership.user):
            raise Refused("not_invited", _("This person has set a password already."), 409)
        record(
            "site.member.invited",
            site=site,
            actor=actor,
            target_user=membership.user,
            after=membership.role,
            data={"email": membership.user.email, "again": True},
        )
        enqueue_on_commit(send_invitation, membership.pk)
    return membership


def invitation_pending(user: Any) -> bool:
    """A local account with an address and no password yet: an invitation not taken up."""
    return bool(user.email) and user.sso_site_id is None and not user.has_usable_password()


@durable(queue="mail")
def send_invitation(membership_id: int) -> dict[str, Any]:
    """The invitation: who invited them to which site as what, and the link to choose a
    password. Nothing once they have one, or if the membership is gone."""
    from civility.accounts import mail as account_mail

    membership = (
        SiteMembership.objects.filter(pk=membership_id).select_related("user", "site").first()
    )
    if membership is None or not invitation_pending(membership.user):
        return {"sent": 0}
    user, site = membership.user, membership.site
    context = {
        "site": site.name,
        "role": membership.role,
        "link": account_mail.reset_link(user),
        "desk": account_mail.absolute(reverse("moderation-login")),
        "username": user.get_username(),
        "hours": round(settings.PASSWORD_RESET_TIMEOUT / 3600),
    }
    # In the language of the account (the inviting admin's, when the invitation made it).
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("You are invited to moderate %(site)s's comments") % {"site": site.name}
        body = render_to_string("moderation/email/invitation.txt", context)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()
    return {"sent": 1}
