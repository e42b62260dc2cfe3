"""The desk's data-rights requests on a reader's page: hand over their data, erase them.

Plain HTML forms (POST with the CSRF token, no script needed); thin views over
civility.accounts.data_rights, whose actions check the role, act and audit.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from civility.accounts import data_rights
from civility.comments.models import Comment, Site
from civility.errors import Refused
from civility.moderation.views import _forbidden_page, staff_page


@require_POST
@staff_page
def user_export(request: HttpRequest, site: Site, role: str, user_id: int) -> HttpResponse:
    """The reader's data (this site's part; all of it for a platform admin) as a download."""
    try:
        data = data_rights.export_on_request(
            actor=request.user, site=site, user_id=user_id, reason=request.POST.get("reason", "")
        )
    except Refused as exc:
        return _forbidden_page(request, exc.message, exc.status)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    name = f"civility-user-{user_id}-{site.slug}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_page
def user_erase(request: HttpRequest, site: Site, role: str, user_id: int) -> HttpResponse:
    """Erase a reader on their request; back to their (now anonymous) page with the result."""
    if request.POST.get("confirm") != "yes":
        return _forbidden_page(
            request, "Tick the box confirming the request comes from this reader.", 400
        )
    try:
        result = data_rights.erase_on_request(
            actor=request.user, site=site, user_id=user_id, reason=request.POST.get("reason", "")
        )
    except Refused as exc:
        return _forbidden_page(request, exc.message, exc.status)
    messages.success(
        request,
        f"Erased: the account is now {result['pseudonym']}; {result['comments']} comments "
        "became placeholders.",
    )
    if Comment.objects.filter(author_id=user_id, story__site=site).exists():
        return HttpResponseRedirect(reverse("moderation-user", args=[site.slug, user_id]))
    return HttpResponseRedirect(reverse("moderation-queue", args=[site.slug]))
