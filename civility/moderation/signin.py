"""The desk's sign-in: the password (with login lock-out, civility.accounts.lockout), then the
second factor when one is due (civility.moderation.second_factor): a code at /moderate/verify/,
or setting up an authenticator app at /moderate/2fa/. /admin/ sends its staff here too."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm

from civility.errors import Refused
from civility.moderation import second_factor

DESK = "/moderate/"


def _next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or DESK
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else DESK


def _sign_in_first(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(
        reverse("moderation-login") + "?" + urlencode({"next": _next(request)})
    )


class DeskLoginView(auth_views.LoginView):
    """Django's login form; a user with a second factor to give goes there next."""

    template_name = "moderation/login.html"
    next_page = DESK
    extra_context = {"failure_limit": settings.LOGIN_FAILURE_LIMIT}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        step = second_factor.pending_step(self.request)
        if step is not None:
            return HttpResponseRedirect(second_factor.step_url(step, self.get_success_url()))
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator app, once per sign-in."""
    if not request.user.is_authenticated:
        return _sign_in_first(request)
    next_url = _next(request)
    device = second_factor.confirmed_device(request.user)
    if device is None:
        step = second_factor.pending_step(request)
        if step == second_factor.ENROL:
            return HttpResponseRedirect(second_factor.step_url(step, next_url))
        return HttpResponseRedirect(next_url)
    if second_factor.is_verified(request.user):
        return HttpResponseRedirect(next_url)
    form = OTPTokenForm(
        request.user,
        request,
        data=request.POST if request.method == "POST" else None,
        initial={"otp_device": device.persistent_id},
    )
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.get_user().otp_device)
        return HttpResponseRedirect(next_url)
    return render(
        request,
        "moderation/verify.html",
        {"form": form, "device": device, "next": next_url},
        status=400 if form.is_bound else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), enter a code."""
    if not request.user.is_authenticated:
        return _sign_in_first(request)
    next_url = _next(request)
    context: dict[str, Any] = {"next": next_url, "errors": []}
    if second_factor.confirmed_device(request.user) is not None:
        if not second_factor.is_verified(request.user):
            return HttpResponseRedirect(second_factor.step_url(second_factor.VERIFY, next_url))
        return render(request, "moderation/enrol.html", {**context, "enrolled": True})
    if request.method == "POST":
        try:
            second_factor.confirm_enrolment(request, request.POST.get("otp_token", ""))
            return HttpResponseRedirect(next_url)
        except Refused as exc:
            if exc.code != "bad_code":
                return _refused_page(request, exc)
            context["errors"].append(exc.message)
    try:
        device = second_factor.enrolment_device(request.user)
    except Refused as exc:
        return _refused_page(request, exc)
    context.update(qr=second_factor.qr_data_uri(device), secret=second_factor.secret_text(device))
    return render(
        request, "moderation/enrol.html", context, status=400 if context["errors"] else 200
    )


def _refused_page(request: HttpRequest, exc: Refused) -> HttpResponse:
    return render(
        request,
        "moderation/forbidden.html",
        {"message": exc.message, "login_url": reverse("moderation-login")},
        status=exc.status,
    )
