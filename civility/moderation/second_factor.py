"""A second factor for staff: TOTP (an authenticator app), kept by django-otp.

Who must give it:
- staff who enrolled a device, always: having one, a sign-in is confirmed with it;
- every staff member of a site whose admins ask for it (``Site.settings["require_staff_2fa"]``,
  on the desk's settings page);
- every staff member, the Django admin's included, when ``CIVILITY_REQUIRE_STAFF_2FA`` is on.

After the password (the desk's /moderate/login/ or /admin/login/), ``pending_step`` says what is
still missing: ``VERIFY`` (a code from the enrolled device) or ``ENROL`` (no device yet, but one
is required); the desk and the admin send the user there before anything else. Codes are checked
by django-otp, which refuses a code used once already and slows down repeated wrong codes.
"""

from __future__ import annotations

import io
from base64 import b32encode, b64encode
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from civility.audit import record
from civility.comments.models import Site
from civility.errors import Refused
from civility.moderation.permissions import is_global_admin, moderated_sites

VERIFY, ENROL = "verify", "enrol"
SITE_SETTING = "require_staff_2fa"  # a key of Site.settings
DEVICE_NAME = "Authenticator app"


def is_staff(user: Any) -> bool:
    """Moderators and admins of any site, global admins and Django admin users."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return bool(user.is_staff or is_global_admin(user) or moderated_sites(user).exists())


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def is_required(user: Any, site: Site | None = None) -> bool:
    """Must ``user`` give a second factor: for ``site``'s desk, or (no site) anywhere they are
    staff, the Django admin included?"""
    if settings.REQUIRE_STAFF_2FA:
        return True
    if site is not None:
        return site_requires(site)
    return moderated_sites(user).filter(**{f"settings__{SITE_SETTING}": True}).exists()


def site_requires(site: Site) -> bool:
    """The site's own rule, set by its admins on the desk's settings page."""
    return bool((site.settings or {}).get(SITE_SETTING, False))


def is_verified(user: Any) -> bool:
    """Did this session confirm its sign-in with a device (django_otp.middleware)?"""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def pending_step(request: HttpRequest, site: Site | None = None) -> str | None:
    """``VERIFY``, ``ENROL`` or None (nothing missing) for the signed-in user of ``request``."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or is_verified(user):
        return None
    if confirmed_device(user) is not None:
        return VERIFY
    if is_required(user, site):
        return ENROL
    return None


def step_url(step: str, next_url: str) -> str:
    name = "moderation-verify" if step == VERIFY else "moderation-enrol"
    return reverse(name) + "?" + urlencode({"next": next_url})


def refusal(step: str) -> Refused:
    """For the desk's JSON API: the page to go to, in words (pages redirect instead)."""
    if step == VERIFY:
        return Refused(
            "second_factor_required",
            "Confirm your sign-in with the code from your authenticator app.",
            403,
        )
    return Refused(
        "second_factor_enrolment_required",
        "This site asks its staff for a second factor: set up an authenticator app first.",
        403,
    )


# --- enrolment -----------------------------------------------------------------------------


def enrolment_device(user: Any) -> TOTPDevice:
    """The device being set up: the same one until it is confirmed, so reloading the page
    keeps the QR code that was scanned."""
    if not is_staff(user):
        raise Refused("forbidden", "Only moderators and admins set up a second factor.", 403)
    if confirmed_device(user) is not None:
        raise Refused("already_enrolled", "You have an authenticator app already.", 409)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code, for an <img src> (a data: URI: the key
    never leaves in a separate request, and the page's CSP allows data: images only)."""
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + b64encode(out.getvalue()).decode()


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed (base32, in groups of four)."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_enrolment(request: HttpRequest, token: str) -> TOTPDevice:
    """Turn the device on once the user proves it works with a current code; the session counts
    as verified from then on. Audited."""
    user = request.user
    with transaction.atomic():
        device = enrolment_device(user)
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        # A wrong code is counted (and slows the next try): committed, not rolled back.
        matched = device.verify_token((token or "").strip())
        if matched:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record("user.2fa_enrolled", actor=user, target_user=user, after="totp")
    if not matched:
        raise Refused("bad_code", "That code does not match: enter the 6 digits the app shows now.")
    otp_login(request, device)
    return device
