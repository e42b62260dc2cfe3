"""Account actions: local sign-up and login, guest identities, publisher SSO (Coral-style JWT)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from civility.accounts import lockout
from civility.accounts.models import UsedSsoToken
from civility.audit import record
from civility.errors import Refused
from civility.ratelimit import seconds_left, window_hits
from civility.textcheck import check_json_value

User = get_user_model()
HOUR = 3600


def _per_address_limit(kind: str, ip: str, limit: int, what: str) -> None:
    """At most ``limit`` new ``kind`` accounts an hour from one client address (hashed)."""
    if not ip:
        return
    from civility.comments.actions import hash_ip

    if window_hits(f"{kind}:ip:{hash_ip(ip)}", HOUR) > limit:
        raise Refused(
            "rate_limited",
            f"Too many {what} from your network: at most {limit} an hour.",
            429,
            retry_after=seconds_left(HOUR),
        )


def _clean_name(name: str, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused("invalid_name", f"The {field} is empty.")
    if len(name) > 80:
        raise Refused("invalid_name", f"The {field} is longer than 80 characters.")
    return name


def signup(email: str, password: str, display_name: str = "", *, ip: str = "") -> Any:
    """A local account. ``ip``: the client address, for the sign-ups-per-address limit."""
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
    # Counted once the form is valid: typos cost nothing, probing for taken addresses does.
    _per_address_limit("signup", ip, settings.SIGNUPS_PER_HOUR, "sign-ups")
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


def login(request: HttpRequest, email: str, password: str) -> Any:
    """Email and password. Failures count towards the lock-out of this email from this address
    (civility.accounts.lockout); while locked out, even the right password is refused (429)."""
    email = (email or "").strip().lower()
    if len(email) > 254:  # no such account; and never a username axes cannot store
        raise Refused("bad_credentials", "Wrong email or password.", 401)
    user = authenticate(request, username=email, password=password or "")
    if lockout.is_locked_out(request):
        raise lockout.refusal(request, {"username": email})
    if user is None:
        raise Refused("bad_credentials", "Wrong email or password.", 401)
    # A sign-in without a session (the widget gets a bearer token): tell the same receivers
    # django.contrib.auth.login would (last_login; axes clears this pair's failures).
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user


def guest(site: Any, name: str, *, ip: str = "") -> Any:
    """A guest identity. ``ip``: the client address, for the guests-per-address limit."""
    if not site.allow_guests:
        raise Refused("guests_disabled", "This site does not accept guest comments.", 403)
    name = _clean_name(name)
    _per_address_limit("guest", ip, settings.GUESTS_PER_HOUR, "guest sign-ins")
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
    """Create or update the user a publisher's signed JWT describes (Coral's SSO contract).

    Each token signs in once: its ``jti`` is kept until it expires, and a token may live at
    most ``CIVILITY_SSO_MAX_TOKEN_SECONDS`` (exp - iat), so a leaked token is short-lived and
    cannot be replayed."""
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
    jti, expires = _sso_token_id(claims)
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
        _use_sso_token(site, jti, expires)
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


def _sso_token_id(claims: dict[str, Any]) -> tuple[str, datetime]:
    """The token's jti and expiry, once its lifetime is checked."""
    jti, exp, iat = claims.get("jti"), claims.get("exp"), claims.get("iat")
    if not isinstance(jti, str | int) or not str(jti).strip():
        raise Refused("sso_invalid", "The sign-on token has no jti (a unique token id).", 401)
    longest = settings.SSO_MAX_TOKEN_SECONDS
    if not isinstance(exp, int | float) or not isinstance(iat, int | float) or exp - iat > longest:
        raise Refused(
            "sso_invalid",
            f"The sign-on token lives too long: exp - iat may be at most {longest} seconds.",
            401,
        )
    return str(jti), datetime.fromtimestamp(exp, tz=UTC)


def _use_sso_token(site: Any, jti: str, expires: datetime) -> None:
    """Record the token as used; refused if it was used before (inside the sign-in's
    transaction: a sign-in that fails leaves the token usable)."""
    digest = hashlib.sha256(jti.encode()).hexdigest()
    UsedSsoToken.objects.filter(site=site, expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            UsedSsoToken.objects.create(site=site, jti_digest=digest, expires_at=expires)
    except IntegrityError:
        raise Refused(
            "sso_replayed", "This sign-on token was used already: ask the site for a new one.", 401
        ) from None


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
