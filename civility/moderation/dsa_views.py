"""Desk pages for the EU Digital Services Act: the appeals queue, the transparency report, the
statements export, the site's community guidelines; and the queue's campaign cards (JSON).

Thin views over appeals.py, transparency.py, dsa.py and campaigns.py. Pages are forms that post
back (CSRF-protected, no script needed); the campaign cards are read and acted on by
the queue (moderation.js), one item each.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from civility.audit import collecting
from civility.comments.models import Site, Story
from civility.errors import Refused
from civility.moderation import appeals, campaigns, dsa, queries, transparency
from civility.moderation.models import Appeal, Statement
from civility.moderation.views import (
    _forbidden_page,
    _json_body,
    _undo_ids,
    staff_api,
    staff_page,
)
from civility.verdicts import GROUND_GUIDELINES, GROUND_LABELS, MODERATOR_GROUNDS


def _appeal_row(actor: Any, appeal: Appeal) -> dict[str, Any]:
    st = appeal.statement
    allowed, why = appeals.may_decide(actor, appeal)
    return {
        "appeal": appeal,
        "statement": st,
        "decision_label": Statement.Decision(st.decision).label,
        "ground_label": GROUND_LABELS.get(st.ground, st.ground),
        "first": st.decided_by.get_username() if st.decided_by else "the automatic moderation",
        "may_decide": allowed,
        "why_not": why,
        "author": appeal.author.public_name if appeal.author else "(erased)",
    }


@require_http_methods(["GET", "POST"])
@staff_page
def appeals_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    errors: list[str] = []
    notice = ""
    if request.method == "POST":
        try:
            decided = appeals.decide_appeal(
                actor=request.user,
                appeal_id=request.POST.get("appeal"),
                outcome=request.POST.get("outcome", ""),
                reason=request.POST.get("reason", ""),
            )
            verb = "reversed" if decided.status == Appeal.Status.REVERSED else "upheld"
            notice = f"Appeal {decided.pk}: the decision is {verb}; the author is told."
        except Refused as exc:
            errors.append(exc.message)
    open_ = [_appeal_row(request.user, a) for a in appeals.open_appeals(site)]
    recent = (
        Appeal.objects.filter(site=site)
        .exclude(status=Appeal.Status.OPEN)
        .select_related("statement", "decided_by", "author")
        .order_by("-decided_at")[:30]
    )
    return render(
        request,
        "moderation/appeals.html",
        {
            "site": site,
            "role": role,
            "open": open_,
            "recent": recent,
            "errors": errors,
            "notice": notice,
        },
        status=400 if errors else 200,
    )


@require_GET
@staff_page
def transparency_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    try:
        first, last = transparency.period(request.GET.get("from"), request.GET.get("to"))
    except Refused as exc:
        if request.GET.get("format") in {"json", "csv"}:
            return JsonResponse(
                {"error": {"code": exc.code, "message": exc.message}}, status=exc.status
            )
        return _forbidden_page(request, exc.message, exc.status)
    data = transparency.report(site, first, last)
    fmt = request.GET.get("format")
    name = f"civility-transparency-{site.slug}-{first}-{last}"
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    if fmt == "csv":
        response = HttpResponse(transparency.as_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return render(
        request,
        "moderation/transparency.html",
        {"site": site, "role": role, "report": data, "first": first, "last": last},
    )


@require_GET
@staff_page
def statements_export(request: HttpRequest, site: Site, role: str, fmt: str) -> HttpResponse:
    """Every statement of reasons of the site in a period, as JSON or CSV."""
    try:
        first, last = transparency.period(request.GET.get("from"), request.GET.get("to"))
    except Refused as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=400)
    start, end = transparency.bounds(first, last)
    rows = dsa.export_rows(site, start, end)
    name = f"civility-statements-{site.slug}-{first}-{last}"
    if fmt == "json":
        body = json.dumps(
            {"site": site.slug, "from": str(first), "to": str(last), "statements": rows},
            indent=2,
            ensure_ascii=False,
        )
        response = HttpResponse(body, content_type="application/json")
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=dsa.EXPORT_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "spans": json.dumps(row["spans"], ensure_ascii=False)})
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_http_methods(["GET", "POST"])
@staff_page
def guidelines_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    if role != "admin":
        return _forbidden_page(request, "Only this site's admins can change its guidelines.")
    errors: list[str] = []
    if request.method == "POST":
        try:
            dsa.update_guidelines(request.user, site, request.POST)
            return HttpResponseRedirect(
                reverse("moderation-guidelines", args=[site.slug]) + "?saved=1"
            )
        except Refused as exc:
            errors.append(exc.message)
    current = dsa.guidelines(site)
    own = (site.settings or {}).get("guidelines") or {}
    rows = [
        {
            "code": code,
            "label": gettext(GROUND_LABELS[code]),
            "text": current[code],
            "default": default,
            "own": code in own,
        }
        for code, default in GROUND_GUIDELINES.items()
    ]
    return render(
        request,
        "moderation/guidelines.html",
        {
            "site": site,
            "role": role,
            "rows": rows,
            "hold_hours": dsa.hold_hours(site),
            "own_hours": "statement_hold_hours" in (site.settings or {}),
            "errors": errors,
            "saved": request.GET.get("saved") == "1" and not errors,
        },
        status=400 if errors else 200,
    )


# --- campaign cards (JSON, read and acted on by moderation.js) ------------------------------


def _campaign_story(request: HttpRequest, site: Site) -> int | None:
    raw = request.GET.get("story")
    if not raw:
        return None
    if not raw.isdigit() or not Story.objects.filter(pk=int(raw), site=site).exists():
        raise Refused("not_found", gettext("No such story on this site."), 404)
    return int(raw)


@require_http_methods(["GET", "POST"])
@staff_api
def campaigns_api(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    if request.method == "GET":
        name = request.GET.get("queue", "pending")
        if name not in queries.QUEUES:
            raise Refused("bad_queue", f"Unknown queue {name!r}.")
        story_id = _campaign_story(request, site)
        # Grouped over the whole site's queue: a campaign crosses stories.
        comments = list(
            queries.queue_queryset(site, name).select_related("author", "story")[: queries.MAX_PAGE]
        )
        return JsonResponse(
            {
                "queue": name,
                "story": story_id,
                "campaigns": campaigns.campaign_cards(comments, story_id),
                "grounds": [
                    {"code": c, "label": gettext(GROUND_LABELS[c])} for c in MODERATOR_GROUNDS
                ],
            }
        )
    data = _json_body(request)
    with collecting() as entries:  # the desk's toast can undo the campaign's decisions
        results = campaigns.moderate_campaign(
            request.user,
            site,
            data.get("ids"),
            str(data.get("action", "")),
            str(data.get("reason", "")),
            data.get("ground") or None,
        )
    return JsonResponse(
        {
            "ok": True,
            "results": {str(k): v for k, v in results.items()},
            "undo": _undo_ids(entries),
        }
    )
