"""The desk's pages for background work: a site's webhooks (endpoints, secrets, the delivery
log with replay) under its settings, and what the latest re-score found. Thin views over
civility.webhooks.actions and civility.moderation.rescore; plain forms, no script."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from civility.comments.models import Site
from civility.errors import Refused
from civility.moderation import queries, rescore
from civility.moderation.views import _forbidden_page, staff_page
from civility.webhooks import actions as webhooks
from civility.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from civility.webhooks.outbox import include_text

LOG_SIZE = 100


def _post(request: HttpRequest, site: Site) -> str:
    """Do what the form asks; returns what to tell the admin."""
    op = request.POST.get("op", "")
    data = request.POST
    if op == "add":
        endpoint = webhooks.add_endpoint(
            request.user,
            site,
            url=data.get("url", ""),
            events=data.getlist("events"),
            description=data.get("description", ""),
        )
        return f"Endpoint added. Its signing secret: {endpoint.secret}"
    if op == "events":
        webhooks.update_endpoint(
            request.user, site, data.get("endpoint"), events=data.getlist("events")
        )
        return "Events saved."
    if op in {"pause", "resume"}:
        webhooks.update_endpoint(request.user, site, data.get("endpoint"), active=op == "resume")
        return "Endpoint paused." if op == "pause" else "Endpoint on again."
    if op == "rotate":
        endpoint = webhooks.rotate_secret(request.user, site, data.get("endpoint"))
        until = endpoint.previous_secret_until
        return (
            f"New secret: {endpoint.secret} (the old one also signs until"
            f" {until:%Y-%m-%d %H:%M} UTC)"
        )
    if op == "remove":
        webhooks.remove_endpoint(request.user, site, data.get("endpoint"))
        return "Endpoint removed."
    if op == "replay":
        delivery = webhooks.replay(request.user, site, data.get("delivery"))
        return f"Event {delivery.msg_id} queued again."
    if op == "text":
        webhooks.set_comment_text(request.user, site, data.get("include_text") == "on")
        return "Saved."
    raise Refused("bad_op", "Unknown operation.")


@require_http_methods(["GET", "POST"])
@staff_page
def webhooks_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    if role != "admin":
        return _forbidden_page(request, "Only this site's admins can change its webhooks.")
    errors: list[str] = []
    notice = ""
    if request.method == "POST":
        try:
            notice = _post(request, site)
        except Refused as exc:
            errors.append(exc.message)
        site.refresh_from_db()
    status = request.GET.get("status", "")
    log = WebhookDelivery.objects.filter(endpoint__site=site).select_related("endpoint")
    if status in WebhookDelivery.Status.values:
        log = log.filter(status=status)
    return render(
        request,
        "moderation/webhooks.html",
        {
            "site": site,
            "role": role,
            "errors": errors,
            "notice": notice,
            "endpoints": WebhookEndpoint.objects.filter(site=site),
            "event_types": EVENT_TYPES.items(),
            "include_text": include_text(site),
            "log": log.order_by("-id")[:LOG_SIZE],
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
            "audit": queries.audit_entries(site=site, action__startswith="webhook."),
        },
        status=400 if errors else 200,
    )


@require_GET
@staff_page
def rescore_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    """Published comments the current model would hold, from the latest re-score."""
    run = rescore.latest_run(site)
    rows = list(rescore.would_hold(run).filter(comment__story__site=site)) if run else []
    done, total = rescore.progress(run) if run else (0, 0)
    return render(
        request,
        "moderation/rescore.html",
        {"site": site, "role": role, "run": run, "rows": rows, "done": done, "total": total},
    )
