"""Account actions: local sign-up and login, guest identities, publisher SSO (Coral-style JWT)."""

from __future__ import annotations

import secrets
from typing import Any

import jwt
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from civility.audit import record
from civility.errors import Refused
from civility.textcheck import check_json_value

User = get_user_model()


def _clean_name(name: str, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused("invalid_name", f"The {field} is empty.")
    if len(name) > 80:
        raise Refused("invalid_name", f"The {field} is longer than 80 characters.")
    return name


def signup(email: str, password: str, display_name: str = "") -> Any:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Refused("invalid_email", "That is not a valid email address.") from None
    display_name = _clean_name(display_name or email.split("@")[0], "display name")
    try:
        validate_password(password or "")
    except ValidationError as exc:
        raise Refused("weak_password", " ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise Refused("email_taken", "An account with this email already exists.", 409)
            user = User.objects.create_user(
                username=email, email=email, password=password, display_name=display_name
            )
            record("user.signup", actor=user, target_user=user, after="active")
    except IntegrityError:
        raise Refused("email_taken", "An account with this email already exists.", 409) from None
    return user


def login(email: str, password: str) -> Any:
    email = (email or "").strip().lower()
    user = authenticate(username=email, password=password or "")
    if user is None:
        raise Refused("bad_credentials", "Wrong email or password.", 401)
    return user


def guest(site: Any, name: str) -> Any:
    if not site.allow_guests:
        raise Refused("guests_disabled", "This site does not accept guest comments.", 403)
    name = _clean_name(name)
    with transaction.atomic():
        user = User.objects.create_user(
            username=f"guest-{secrets.token_hex(8)}",
            password=None,
            display_name=name,
            is_guest=True,
        )
        record("user.guest", site=site, target_user=user, after="guest")
    return user


def sso_login(site: Any, token: str) -> Any:
    """Create or update the user a publisher's signed JWT describes (Coral's SSO contract)."""
    if not site.sso_secret:
        raise Refused("sso_disabled", "This site has no single sign-on configured.", 403)
    try:
        claims = jwt.decode(
            token or "",
            site.sso_secret,
            algorithms=["HS256"],
            options={"require": ["jti", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise Refused("sso_expired", "The sign-on token has expired.", 401) from None
    except jwt.InvalidTokenError as exc:
        raise Refused("sso_invalid", f"The sign-on token is invalid: {exc}.", 401) from None
    check_json_value(claims, "token")  # NUL or unpaired surrogates in a claim: a 400
    info = claims.get("user")
    if not isinstance(info, dict) or not str(info.get("id") or "").strip():
        raise Refused("sso_invalid", "The sign-on token has no user.id claim.", 401)
    sso_id = str(info["id"]).strip()[:200]
    name = _clean_name(str(info.get("username") or info.get("email") or sso_id), "username")
    email = str(info.get("email") or "").strip().lower()[:254]
    badges = [str(b)[:40] for b in info.get("badges") or [] if isinstance(b, str | int)][:10]
    url = str(info.get("url") or "")[:200]
    if not url.startswith(("https://", "http://")):
        url = ""
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(
            sso_site=site,
            sso_id=sso_id,
            defaults={"username": f"sso-{site.pk}-{secrets.token_hex(6)}"},
        )
        user.display_name, user.email, user.badges, user.profile_url = name, email, badges, url
        if created:
            user.set_unusable_password()
        user.save()
        _sync_sso_role(site, user, str(info.get("role") or "").lower())
        if created:
            record("user.sso_created", site=site, target_user=user, data={"sso_id": sso_id})
    return user


def _sync_sso_role(site: Any, user: Any, role: str) -> None:
    """The publisher's token says who is staff of its own site, both ways: a moderator or admin
    role grants membership of this site (never another), any other role takes it away."""
    from civility.moderation.models import SiteMembership

    current = SiteMembership.objects.filter(site=site, user=user).first()
    if role in {"moderator", "admin"}:
        if current is not None and current.role == role:
            return
        SiteMembership.objects.update_or_create(site=site, user=user, defaults={"role": role})
        record(
            "membership.granted",
            site=site,
            target_user=user,
            before=current.role if current else "",
            after=role,
            reason="single sign-on role",
        )
    elif current is not None:
        current.delete()
        record(
            "membership.revoked",
            site=site,
            target_user=user,
            before=current.role,
            after="",
            reason="single sign-on role",
        )
