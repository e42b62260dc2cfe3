"""The pages the links in account e-mail open: choosing a new password, confirming an address,
unsubscribing from notifications. Plain Django pages on Civility's own origin (with its CSRF
protection), styled like the widget; thin views over civility.accounts.actions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from civility.accounts import actions
from civility.errors import Refused

# No script, styles from this origin only, forms post here; the token in the URL never leaves
# this origin as a Referer ("same-origin", not "no-referrer": with that, the browser sends the
# form's POST with Origin: null, which Django's CSRF check refuses).
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> Any:
    response = render(request, f"accounts/{template}", context, status=status)
    response["Content-Security-Policy"] = POLICY
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Django's SetPasswordForm behind a mailed link (the token is Django's reset token)."""
    user = actions.reset_link_user(uidb64, token)
    if user is None:
        return _page(request, "reset.html", {"invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reset_password(
                uidb64=uidb64, token=token, new_password=form.cleaned_data["new_password1"]
            )
        except Refused as exc:
            form.add_error("new_password1", exc.message)
        else:
            return _page(request, "reset.html", {"done": True})
    return _page(request, "reset.html", {"form": form, "who": user.email}, status=200)


@never_cache
@require_http_methods(["GET"])
def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = actions.verify_email(uidb64=uidb64, token=token)
    except Refused as exc:
        return _page(request, "verify.html", {"error": exc.message}, status=400)
    return _page(request, "verify.html", {"email": user.email})


@csrf_exempt  # the signed link is the credential; mail providers post here without cookies
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (mail scanners follow links: a GET changes nothing). POST:
    the button, or the mail provider's one-click request (RFC 8058), unsubscribes."""
    from civility.accounts.notifications import user_for_unsubscribe

    if request.method == "GET":
        user = user_for_unsubscribe(token)
        if user is None:
            return _page(request, "unsubscribe.html", {"error": _("This link is not valid.")}, 400)
        return _page(request, "unsubscribe.html", {"email": user.email, "ask": True})
    try:
        user = actions.unsubscribe(token=token)
    except Refused as exc:
        return _page(request, "unsubscribe.html", {"error": exc.message}, status=400)
    return _page(request, "unsubscribe.html", {"email": user.email, "done": True})
