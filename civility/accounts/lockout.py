"""Login lock-out, kept by django-axes; this module is the two hooks Civility gives it.

Every password check goes through ``django.contrib.auth.authenticate(request, ...)``: the
widget's ``POST /api/v1/auth/login``, the desk's ``/moderate/login/`` and ``/admin/login/``.
Axes counts failures per username and client address (``CIVILITY_LOGIN_FAILURE_LIMIT``, default
5); past the limit that pair is refused for ``CIVILITY_LOGIN_LOCKOUT_MINUTES`` (default 15) after
its last counted failure, even with the right password. A successful sign-in clears the count.
Staff unlock someone early with ``civility manage axes_reset_username NAME`` (or ``axes_reset``).

- ``client_address``: the address axes counts by, the same one rate limits use
  (civility.clientip, which honours CIVILITY_TRUSTED_PROXIES).
- ``lockout_response``: what a locked-out request gets: JSON 429 with ``Retry-After`` under the
  API paths (never an HTML page there), the desk's page with the same message elsewhere.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from civility.clientip import client_ip, pseudonymous_address
from civility.errors import Refused, is_api_path, json_error


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the reader's address behind the trusted proxies, stored as its
    salted pseudonym (axes keeps it in its lock-out rows; we keep no plain addresses)."""
    ip = client_ip(request.META)
    return pseudonymous_address(ip) if ip else None


def seconds_left(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """Seconds until this username and address may try again (for Retry-After)."""
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return max(1, math.ceil(cool_off))
    remaining = (last - timezone.now()).total_seconds() + cool_off
    return max(1, math.ceil(remaining))


def refusal(request: HttpRequest, credentials: dict[str, Any] | None = None) -> Refused:
    seconds = seconds_left(request, credentials)
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return Refused(
        "locked_out",
        f"Too many failed sign-ins for this account from your address: try again in {minutes} "
        f"{unit}.",
        429,
        retry_after=seconds,
    )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE."""
    refused = refusal(request, credentials)
    if is_api_path(request.path):
        return json_error(refused.code, refused.message, 429, refused.retry_after)
    response = render(
        request, "moderation/locked_out.html", {"message": refused.message}, status=429
    )
    response["Retry-After"] = str(refused.retry_after)
    return response


def is_locked_out(request: HttpRequest | None) -> bool:
    """Did axes refuse the last authenticate() on this request as locked out?"""
    return bool(getattr(request, "axes_locked_out", False))
