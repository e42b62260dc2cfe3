"""Django's admin (/admin/) on a site that asks for the second factor as the desk does.

Signing in at /admin/login/ is Django's form (login lock-out applies: civility.accounts.lockout);
then a staff member with a device confirms a code at /moderate/verify/, and one who must have a
device (civility.moderation.second_factor) sets it up at /moderate/2fa/ before any admin page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class StaffAdminSite(AdminSite):
    def _pending_step(self, request: HttpRequest) -> str | None:
        from civility.moderation import second_factor

        user = request.user
        if not (user.is_active and user.is_staff):
            return None
        return second_factor.pending_step(request)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and self._pending_step(request) is None

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        from civility.moderation import second_factor

        step = self._pending_step(request) if request.method == "GET" else None
        if step is not None:
            next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return HttpResponseRedirect(second_factor.step_url(step, next_url))
        return super().login(request, extra_context)


class StaffAdminConfig(AdminConfig):
    default_site = "civility.moderation.admin_site.StaffAdminSite"
