"""The moderation desk at /moderate/: thin views over queries.py (read) and actions.py (write).

Pages are Django templates; the queue is rendered by moderation.js from the JSON API below.
Every endpoint checks the per-site role first: anonymous users, commenters and moderators of
other sites get 403 (JSON for the API, a page with a sign-in link for pages).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civility import events
from civility.audit import collecting
from civility.comments.models import Comment, Site, Story
from civility.errors import Refused, json_error, refusal_response
from civility.moderation import actions, queries, second_factor
from civility.moderation.bans import standing_json
from civility.moderation.models import UserNote
from civility.moderation.permissions import moderated_sites, site_role
from civility.sqlite_backend.base import WriteQueueBusy
from civility.textcheck import loads_checked


def error(status: int, code: str, message: str) -> JsonResponse:
    return json_error(code, message, status)


def _forbidden_page(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    login = reverse("moderation-login") + "?next=" + request.get_full_path()
    return render(
        request,
        "moderation/forbidden.html",
        {"message": message, "login_url": login},
        status=status,
    )


def _role_or_refusal(request: HttpRequest, slug: str) -> tuple[Site | None, str, Refused | None]:
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        return None, "", Refused("unknown_site", _("No such site."), 404)
    if not request.user.is_authenticated:
        return site, "", Refused("login_required", _("Sign in as a moderator of this site."), 403)
    role = site_role(request.user, site)
    if role is None:
        return site, "", Refused("forbidden", _("You are not a moderator of this site."), 403)
    return site, role, None


def _second_factor_page(request: HttpRequest, site: Site | None = None) -> HttpResponse | None:
    """Staff with a second factor still to give go to that page first (None: nothing due)."""
    step = second_factor.pending_step(request, site)
    if step is None:
        return None
    return HttpResponseRedirect(second_factor.step_url(step, request.get_full_path()))


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        site, role, refused = _role_or_refusal(request, slug)
        if refused is not None or site is None:
            assert refused is not None
            return _forbidden_page(request, refused.message, refused.status)
        return _second_factor_page(request, site) or view(request, site, role, *args, **kwargs)

    return wrapper


def staff_api(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> Any:
        site, role, refused = _role_or_refusal(request, slug)
        if refused is not None or site is None:
            assert refused is not None
            return error(refused.status, refused.code, refused.message)
        step = second_factor.pending_step(request, site)
        if step is not None:
            return refusal_response(second_factor.refusal(step))
        try:
            return view(request, site, role, *args, **kwargs)
        except Refused as exc:
            return error(exc.status, exc.code, exc.message)
        except WriteQueueBusy as exc:  # SQLite: an import holds the write turn
            return json_error("busy", exc.advice, 503, exc.retry_after)

    return wrapper


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    data = loads_checked(request.body)  # NUL, unpaired surrogates, deep nesting: a 400
    if not isinstance(data, dict):
        raise Refused("bad_json", "The request body must be a JSON object.")
    return data


def _comment_of(site: Site, comment_id: int) -> Comment:
    comment = Comment.objects.filter(pk=comment_id, story__site=site).first()
    if comment is None:
        raise Refused("not_found", _("No such comment on this site."), 404)
    return comment


def _story_id(request: HttpRequest, site: Site) -> int | None:
    raw = request.GET.get("story")
    if not raw:
        return None
    if not raw.isdigit() or not Story.objects.filter(pk=int(raw), site=site).exists():
        raise Refused("not_found", _("No such story on this site."), 404)
    return int(raw)


# --- pages ---------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _forbidden_page(request, "Sign in as a moderator.")
    sites = list(moderated_sites(request.user))
    if not sites:
        return _forbidden_page(request, "You are not a moderator of any site.")
    gate = _second_factor_page(request)
    if gate is not None:
        return gate
    if len(sites) == 1:
        return HttpResponseRedirect(reverse("moderation-queue", args=[sites[0].slug]))
    counts = {s.pk: queries.queue_queryset(s, "pending").count() for s in sites}
    return render(
        request,
        "moderation/index.html",
        {"sites": [(s, counts[s.pk]) for s in sites]},
    )


@require_GET
@staff_page
def queue_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    name = request.GET.get("queue", "pending")
    if name not in queries.QUEUES:
        name = "pending"
    try:
        story_id = _story_id(request, site)
    except Refused as exc:
        return _forbidden_page(request, exc.message, exc.status)
    story = Story.objects.filter(pk=story_id).first() if story_id else None
    stories = Story.objects.filter(site=site).order_by("-created_at")[:30]
    config = {
        "site": site.slug,
        "siteId": site.pk,
        "queue": name,
        "story": story_id,
        "api": reverse("moderation-queue", args=[site.slug]) + "api/",
        "queues": queries.QUEUES,
        "role": role,
        "grounds": queries.moderator_grounds(),
    }
    return render(
        request,
        "moderation/queue.html",
        {
            "site": site,
            "role": role,
            "config": config,
            "story": story,
            "stories": stories,
            "queues": queries.QUEUES,
            "queue": name,
        },
    )


@require_GET
@staff_page
def comment_page(request: HttpRequest, site: Site, role: str, comment_id: int) -> HttpResponse:
    try:
        comment = _comment_of(site, comment_id)
    except Refused as exc:
        return _forbidden_page(request, exc.message, exc.status)
    [card] = queries.cards(site, [comment])
    return render(
        request,
        "moderation/comment.html",
        {
            "site": site,
            "role": role,
            "card": card,
            "audit": queries.audit_entries(comment=comment),
            "config": {
                "site": site.slug,
                "api": reverse("moderation-queue", args=[site.slug]) + "api/",
                "comment": card,
                "grounds": queries.moderator_grounds(),
            },
        },
    )


@require_GET
@staff_page
def user_page(request: HttpRequest, site: Site, role: str, user_id: int) -> HttpResponse:
    history = queries.author_history(site, [user_id]).get(user_id)
    if history is None or not (
        Comment.objects.filter(author_id=user_id, story__site=site).exists()
        or site_role(request.user, site) == "admin"
    ):
        return _forbidden_page(request, "This user has not commented on this site.", 404)
    recent = list(
        Comment.objects.filter(author_id=user_id, story__site=site)
        .select_related("story", "author", "parent", "parent__author")
        .order_by("-created_at")[:30]
    )
    notes = UserNote.objects.filter(site=site, user_id=user_id).select_related("author")
    return render(
        request,
        "moderation/user.html",
        {
            "site": site,
            "role": role,
            "profile": history,
            "cards": queries.cards(site, recent),
            "notes": notes.order_by("-created_at"),
            "audit": queries.audit_entries(target_user_id=user_id, site=site),
            "config": {
                "site": site.slug,
                "api": reverse("moderation-queue", args=[site.slug]) + "api/",
            },
        },
    )


# --- JSON API ------------------------------------------------------------------------------


@require_GET
@staff_api
def queue_api(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    name = request.GET.get("queue", "pending")
    if name not in queries.QUEUES:
        choices = ", ".join(queries.QUEUES)
        raise Refused("bad_queue", f"Unknown queue {name!r}; use one of {choices}.")
    story_id = _story_id(request, site)
    try:
        limit = int(request.GET.get("limit", queries.PAGE))
    except ValueError:
        limit = 0
    if not 1 <= limit <= queries.MAX_PAGE:
        raise Refused("bad_limit", f"limit must be 1..{queries.MAX_PAGE}.")
    comments = list(queries.queue_queryset(site, name, story_id)[:limit])
    return JsonResponse(
        {
            "queue": name,
            "counts": queries.queue_counts(site, story_id),
            "cards": queries.cards(site, comments),
            "limit": limit,
        }
    )


COMMENT_ACTIONS = {"approve", "reject", "feature", "unfeature", "dismiss"}


@require_POST
@staff_api
def comment_action(
    request: HttpRequest, site: Site, role: str, comment_id: int, action: str
) -> HttpResponse:
    if action not in COMMENT_ACTIONS:
        raise Refused("bad_action", f"Unknown action {action!r}.", 404)
    data = _json_body(request)
    comment = _comment_of(site, comment_id)
    expected = data.get("expected_status") or None
    user = request.user
    with collecting() as entries:
        result = _comment_action(user, comment, action, data, expected)
    return JsonResponse({"ok": True, **result, "undo": _undo_ids(entries)})


def _undo_ids(entries: list[Any]) -> list[int]:
    """The audit entries of this request an undo takes back (actions.undo)."""
    return [e.pk for e in entries if e.action in actions.UNDOABLE]


def _comment_action(
    user: Any, comment: Comment, action: str, data: dict[str, Any], expected: str | None
) -> dict[str, Any]:
    if action == "approve":
        comment = actions.approve(user, comment.pk, expected_status=expected)
    elif action == "reject":
        comment = actions.reject(
            user,
            comment.pk,
            str(data.get("reason", "")),
            expected_status=expected,
            ground=data.get("ground") or None,  # the statement of reasons' guideline code
        )
    elif action == "feature":
        comment = actions.feature(user, comment.pk)
    elif action == "unfeature":
        comment = actions.unfeature(user, comment.pk)
    else:
        return {"dismissed": actions.remove_reports(user, comment.pk)}
    return {"comment": {"id": comment.pk, "status": comment.status}}


@require_POST
@staff_api
def bulk_action(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    data = _json_body(request)
    ids = data.get("ids")
    if isinstance(ids, list):
        try:
            known = set(
                Comment.objects.filter(pk__in=[int(i) for i in ids], story__site=site).values_list(
                    "pk", flat=True
                )
            )
        except (TypeError, ValueError):
            raise Refused("bad_ids", "Comment ids must be numbers.") from None
        if len(known) != len({int(i) for i in ids}):
            raise Refused("not_found", _("Some of these comments are not on this site."), 404)
    with collecting() as entries:
        if data.get("action") == "approve":
            results = actions.bulk_approve(request.user, ids)
        elif data.get("action") == "reject":
            results = actions.bulk_reject(
                request.user, ids, str(data.get("reason", "")), ground=data.get("ground") or None
            )
        else:
            raise Refused("bad_action", 'The action must be "approve" or "reject".')
    return JsonResponse(
        {
            "ok": True,
            "results": {str(k): v for k, v in results.items()},
            "undo": _undo_ids(entries),
        }
    )


@require_POST
@staff_api
def undo_action(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    """Take back this moderator's own last action: {"undo": [ids]} from an action's answer."""
    data = _json_body(request)
    results = actions.undo(request.user, site, data.get("undo"))
    done = [pk for pk, r in results.items() if r["ok"]]
    if not done:
        first = next(iter(results.values()))
        raise Refused(first["code"], first["message"], first["status"])
    return JsonResponse(
        {"ok": True, "undone": len(done), "results": {str(k): v for k, v in results.items()}}
    )


USER_ACTIONS = {"ban", "suspend", "unban", "note"}


@require_POST
@staff_api
def user_action(
    request: HttpRequest, site: Site, role: str, user_id: int, action: str
) -> HttpResponse:
    if action not in USER_ACTIONS:
        raise Refused("bad_action", f"Unknown action {action!r}.", 404)
    data = _json_body(request)
    reason = str(data.get("reason", ""))
    ground = data.get("ground") or None  # the statement of reasons' guideline code
    reject_pending = data.get("reject_pending", True)
    if not isinstance(reject_pending, bool):
        raise Refused("bad_request", "reject_pending must be true or false.")
    with collecting() as entries:
        if action == "ban":
            user = actions.ban_user(
                request.user, site, user_id, reason, reject_pending=reject_pending, ground=ground
            )
        elif action == "suspend":
            hours = data.get("hours")
            user = actions.suspend_user(
                request.user,
                site,
                user_id,
                hours,
                reason,
                reject_pending=reject_pending,
                ground=ground,
            )
        elif action == "unban":
            user = actions.unban_user(request.user, site, user_id)
        else:
            note = actions.add_user_note(request.user, site, user_id, str(data.get("text", "")))
            return JsonResponse({"ok": True, "note": {"id": note.pk, "text": note.text}})
    return JsonResponse(
        {
            "ok": True,
            "user": {"id": user.pk, **standing_json(site, user)},
            "undo": _undo_ids(entries),
        }
    )


@require_POST
@staff_api
def story_action(
    request: HttpRequest, site: Site, role: str, story_id: int, action: str
) -> HttpResponse:
    if not Story.objects.filter(pk=story_id, site=site).exists():
        raise Refused("not_found", _("No such story on this site."), 404)
    with collecting() as entries:
        if action == "close":
            story = actions.close_story(request.user, story_id)
        elif action == "open":
            story = actions.open_story(request.user, story_id)
        else:
            raise Refused("bad_action", f"Unknown action {action!r}.", 404)
    return JsonResponse(
        {
            "ok": True,
            "story": {"id": story.pk, "closed": story.closed},
            "undo": _undo_ids(entries),
        }
    )


@require_GET
@staff_api
def comment_audit(request: HttpRequest, site: Site, role: str, comment_id: int) -> HttpResponse:
    comment = _comment_of(site, comment_id)
    return JsonResponse({"entries": queries.audit_entries(comment=comment)})


@require_GET
@staff_api
def user_audit(request: HttpRequest, site: Site, role: str, user_id: int) -> HttpResponse:
    return JsonResponse({"entries": queries.audit_entries(target_user_id=user_id, site=site)})


@require_GET
@staff_api
def queue_events(request: HttpRequest, site: Site, role: str) -> StreamingHttpResponse:
    """Server-sent events for the desk: queue changes by moderators and new/reported comments."""

    def render(payload: dict[str, Any]) -> bytes:
        return f"event: queue\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()

    return events.sse_response(
        [f"site:{site.pk}:queue", f"site:{site.pk}"],
        render,
        preamble=lambda: (b"retry: 2000\n\nevent: ready\ndata: {}\n\n",),
    )
