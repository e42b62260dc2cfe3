"""Account actions: local sign-up and login, guest identities, publisher SSO (Coral-style JWT);
password reset and change, address verification, signing out, notification preferences."""

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
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civility.accounts import lockout, tokens
from civility.accounts import mail as account_mail
from civility.accounts.models import UsedSsoToken
from civility.audit import record
from civility.errors import Refused
from civility.ratelimit import seconds_left, window_hits
from civility.tasks.base import enqueue_on_commit
from civility.textcheck import check_json_value

User = get_user_model()
HOUR = 3600


def _per_address_limit(kind: str, ip: str, limit: int) -> None:
    """At most ``limit`` new ``kind`` accounts an hour from one client address (hashed)."""
    if not ip:
        return
    from civility.clientip import hash_ip

    if window_hits(f"{kind}:ip:{hash_ip(ip)}", HOUR) > limit:
        message = (
            _("Too many sign-ups from your network: at most %(limit)s an hour.")
            if kind == "signup"
            else _("Too many guest sign-ins from your network: at most %(limit)s an hour.")
        )
        raise Refused(
            "rate_limited",
            message % {"limit": limit},
            429,
            retry_after=seconds_left(HOUR),
        )


def _clean_name(name: str, field: str = "name") -> str:
    name = " ".join((name or "").split())
    # Whole sentences per field, so that each language can say them.
    empty = {
        "display name": _("The display name is empty."),
        "username": _("The username is empty."),
    }.get(field, _("The name is empty."))
    long = {
        "display name": _("The display name is longer than 80 characters."),
        "username": _("The username is longer than 80 characters."),
    }.get(field, _("The name is longer than 80 characters."))
    if not name:
        raise Refused("invalid_name", empty)
    if len(name) > 80:
        raise Refused("invalid_name", long)
    return name


def signup(email: str, password: str, display_name: str = "", *, ip: str = "") -> Any:
    """A local account. ``ip``: the client address, for the sign-ups-per-address limit."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Refused("invalid_email", _("That is not a valid email address.")) from None
    display_name = _clean_name(display_name or email.split("@")[0], "display name")
    try:
        validate_password(password or "")
    except ValidationError as exc:
        raise Refused("weak_password", " ".join(exc.messages)) from None
    # Counted once the form is valid: typos cost nothing, probing for taken addresses does.
    _per_address_limit("signup", ip, settings.SIGNUPS_PER_HOUR)
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise Refused("email_taken", _("An account with this email already exists."), 409)
            user = User.objects.create_user(
                username=email, email=email, password=password, display_name=display_name
            )
            record("user.signup", actor=user, target_user=user, after="active")
            enqueue_on_commit(account_mail.send_verification, user.pk)
    except IntegrityError:
        raise Refused("email_taken", _("An account with this email already exists."), 409) from None
    return user


def login(request: HttpRequest, email: str, password: str) -> Any:
    """Email and password. Failures count towards the lock-out of this email from this address
    (civility.accounts.lockout); while locked out, even the right password is refused (429)."""
    email = (email or "").strip().lower()
    if len(email) > 254:  # no such account; and never a username axes cannot store
        raise Refused("bad_credentials", _("Wrong email or password."), 401)
    user = authenticate(request, username=email, password=password or "")
    if lockout.is_locked_out(request):
        raise lockout.refusal(request, {"username": email})
    if user is None:
        raise Refused("bad_credentials", _("Wrong email or password."), 401)
    # A sign-in without a session (the widget gets a bearer token): tell the same receivers
    # django.contrib.auth.login would (last_login; axes clears this pair's failures).
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user


def guest(site: Any, name: str, *, ip: str = "") -> Any:
    """A guest identity. ``ip``: the client address, for the guests-per-address limit."""
    if not site.allow_guests:
        raise Refused("guests_disabled", _("This site does not accept guest comments."), 403)
    name = _clean_name(name)
    _per_address_limit("guest", ip, settings.GUESTS_PER_HOUR)
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
        raise Refused("sso_disabled", _("This site has no single sign-on configured."), 403)
    try:
        claims = jwt.decode(
            token or "",
            site.sso_secret,
            algorithms=["HS256"],
            options={"require": ["jti", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise Refused("sso_expired", _("The sign-on token has expired."), 401) from None
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
        if email != user.email or user.email_verified_at is None:  # the publisher vouches
            user.email_verified_at = timezone.now() if email else None
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
            "sso_replayed",
            _("This sign-on token was used already: ask the site for a new one."),
            401,
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


# --- recovery, verification, signing out ---------------------------------------------------------

RESET_SENT = gettext_lazy(
    "If an account uses this address, we have sent it a link to choose a new password. "
    "It may take a few minutes to arrive; check the spam folder too."
)


def _email_limit(kind: str, email: str, ip: str) -> None:
    """At most EMAIL_REQUESTS_PER_HOUR requests of ``kind`` an hour for one address, and four
    times that from one client address (a household or office shares one). Counted whether or
    not an account has the address: a 429 tells nothing about who has an account."""
    limit = settings.EMAIL_REQUESTS_PER_HOUR
    salt = settings.IP_HASH_SALT
    keys = {f"{kind}:email:" + hashlib.sha256(f"{salt}:{email}".encode()).hexdigest()[:32]: limit}
    if ip:
        from civility.clientip import hash_ip

        keys[f"{kind}:ip:{hash_ip(ip)}"] = 4 * limit
    over = [window_hits(key, HOUR) > most for key, most in keys.items()]  # count every key
    if any(over):
        raise Refused(
            "rate_limited",
            _("Too many requests for e-mail: at most %(limit)s an hour. Try again later.")
            % {"limit": limit},
            429,
            retry_after=seconds_left(HOUR),
        )


def request_password_reset(*, email: str, ip: str = "") -> str:
    """Queue a reset link for the local accounts with ``email`` (the worker looks them up), and
    answer the same words whether or not there is one: nobody learns who has an account."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Refused("invalid_email", _("That is not a valid email address.")) from None
    _email_limit("reset", email, ip)
    with transaction.atomic():
        enqueue_on_commit(account_mail.send_password_reset, email)
    return str(RESET_SENT)


def _check_new_password(user: Any, password: str) -> None:
    try:
        validate_password(password or "", user)
    except ValidationError as exc:
        raise Refused("weak_password", " ".join(exc.messages)) from None


def reset_password(*, uidb64: str, token: str, new_password: str) -> Any:
    """Set a new password with a mailed link (Django's token). Every bearer token and session
    of the account signs out (the password is part of them); the link then no longer works."""
    user = account_mail.user_for_uid(uidb64)
    if user is None or not default_token_generator.check_token(user, token):
        raise Refused(
            "invalid_link",
            _("This link is invalid or has expired: ask for a new one."),
            400,
        )
    _check_new_password(user, new_password)
    with transaction.atomic():
        user.set_password(new_password)
        # The link reached the address: it is the reader's.
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        user.save(update_fields=["password", "email_verified_at"])
        record("user.password_reset", actor=user, target_user=user)
    return user


def reset_link_user(uidb64: str, token: str) -> Any | None:
    """The account a reset link names while it is still valid (for the reset page)."""
    user = account_mail.user_for_uid(uidb64)
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


PASSWORD_TRIES_PER_HOUR = 5


def change_password(*, user: Any, old_password: str, new_password: str) -> Any:
    """A signed-in reader's new password. Other devices sign out; the caller issues this one a
    new token."""
    if not user.has_usable_password():
        raise Refused(
            "no_password",
            _("This account signs in through the site: it has no password here."),
            409,
        )
    # A stolen bearer token must not become a password oracle: few tries an hour.
    if window_hits(f"password-change:{user.pk}", HOUR) > PASSWORD_TRIES_PER_HOUR:
        raise Refused(
            "rate_limited",
            _("Too many password attempts; try again later."),
            429,
            retry_after=seconds_left(HOUR),
        )
    if not user.check_password(old_password or ""):
        raise Refused("wrong_password", _("Your current password is not right."), 403)
    _check_new_password(user, new_password)
    if old_password == new_password:
        raise Refused("same_password", _("The new password is the same as the current one."))
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record("user.password_changed", actor=user, target_user=user)
    return user


def sign_out(*, user: Any, token: str) -> None:
    """Revoke this bearer token on the server: it no longer works anywhere, even if copied."""
    with transaction.atomic():
        if tokens.revoke(token):
            record("user.signed_out", actor=user, target_user=user)


def request_verification(*, user: Any, ip: str = "") -> str:
    """Mail a link proving the reader's address (again)."""
    if user.is_guest or not user.email:
        raise Refused("no_email", _("This account has no e-mail address."), 409)
    if user.email_verified_at is not None:
        return _("Your e-mail address is already confirmed.")
    _email_limit("verify", user.email.lower(), ip)
    with transaction.atomic():
        enqueue_on_commit(account_mail.send_verification, user.pk)
    return f"We have sent a confirmation link to {user.email}."


def verify_email(*, uidb64: str, token: str) -> Any:
    """Mark the address verified with the mailed link."""
    user = account_mail.user_for_uid(uidb64)
    if user is None or not account_mail.verification_tokens.check_token(user, token):
        raise Refused("invalid_link", _("This link is invalid or has expired: ask for a new one."))
    if user.email_verified_at is not None:
        return user  # a second click (or a mail scanner's visit) on the link
    with transaction.atomic():
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        record("user.email_verified", actor=user, target_user=user, after=user.email)
    return user


# --- notification preferences --------------------------------------------------------------------


def notification_settings(user: Any) -> dict[str, Any]:
    return {
        "replies": user.notify_replies,
        "moderation": user.notify_moderation,
        "email": user.email,
        "email_verified": user.email_verified_at is not None,
        "every_minutes": settings.NOTIFY_EVERY_MINUTES,
    }


def set_notifications(
    *, user: Any, replies: bool | None = None, moderation: bool | None = None, ip: str = ""
) -> dict[str, Any]:
    """Opt in or out of notification e-mail. Opting in with an address not yet confirmed sends
    the confirmation link: nothing is mailed to an unconfirmed address."""
    wants_mail = bool(replies) or bool(moderation)
    if wants_mail and (user.is_guest or not user.email):
        raise Refused(
            "no_email",
            _("Guest accounts have no e-mail address: create an account first."),
            409,
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = f"replies={user.notify_replies},moderation={user.notify_moderation}"
        if replies is not None:
            user.notify_replies = bool(replies)
        if moderation is not None:
            user.notify_moderation = bool(moderation)
        user.save(update_fields=["notify_replies", "notify_moderation"])
        after = f"replies={user.notify_replies},moderation={user.notify_moderation}"
        if before != after:
            record("user.notifications", actor=user, target_user=user, before=before, after=after)
    answer = notification_settings(user)
    answer["message"] = "Your notification settings are saved."
    if wants_mail and user.email_verified_at is None:
        try:
            answer["message"] = (
                "Saved. " + request_verification(user=user, ip=ip) + " Notifications start "
                "once you confirm it."
            )
        except Refused as exc:
            if exc.status != 429:
                raise
            answer["message"] = (
                "Saved. Confirm your e-mail address with the link we sent you: notifications "
                "start once you do."
            )
    return answer


def unsubscribe(*, token: str) -> Any:
    """The one-click unsubscribe of a notification e-mail (RFC 8058): no sign-in, the signed
    link names the reader."""
    from civility.accounts.notifications import user_for_unsubscribe

    user = user_for_unsubscribe(token)
    if user is None:
        raise Refused("invalid_link", "This unsubscribe link is not valid.", 400)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.notify_replies or user.notify_moderation:
            user.notify_replies = user.notify_moderation = False
            user.save(update_fields=["notify_replies", "notify_moderation"])
            record(
                "user.notifications",
                actor=None,
                target_user=user,
                after="replies=False,moderation=False",
                reason="one-click unsubscribe",
            )
    return user


def remember_language(*, user: Any, language: str) -> None:
    """Keep the language a reader uses the widget in, so e-mail to them is written in it. A
    preference, like last_login: written only when it changes, not audited."""
    if not language or language == user.language or language not in dict(settings.LANGUAGES):
        return
    get_user_model().objects.filter(pk=user.pk).update(language=language)
    user.language = language
