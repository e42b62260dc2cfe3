"""HTML and script views: the embed loader, the thread iframe, the demo article and live events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from civility import events
from civility.comments import actions, queries
from civility.comments.models import Comment, Report, Site, Story
from civility.comments.serialize import comment_dict
from civility.errors import Refused, json_error


@require_GET
def embed_js(request: HttpRequest) -> HttpResponse:
    return _script("embed.js")


@require_GET
def count_js(request: HttpRequest) -> HttpResponse:
    return _script("count.js")


def _script(name: str) -> HttpResponse:
    path = settings.BASE_DIR / "static" / "civility" / name
    response = HttpResponse(path.read_bytes(), content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _frame_ancestors(site: Site) -> str:
    origins = [o for o in site.allowed_origins or [] if isinstance(o, str)]
    if "*" in origins:
        return "*"
    return " ".join(o.rstrip("/") for o in origins if o.startswith(("http://", "https://")))


THEMES = ("light", "dark")
FIRST_PAGE = 50  # top-level comments in the first page (thread.js asks for the same size)


@xframe_options_exempt
@require_GET
def embed_thread(request: HttpRequest) -> HttpResponse:
    """The page inside the iframe: config for thread.js; all data comes from /api/v1/."""
    try:
        site = actions.get_site(request.GET.get("site", ""))
        story = actions.get_or_create_story(
            site, request.GET.get("url", ""), request.GET.get("title", "")
        )
    except Refused as exc:
        response = render(
            request, "comments/embed_error.html", {"message": exc.message}, status=exc.status
        )
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'self'"
        return response
    config = {
        "api": "/api/v1",
        "site": site.slug,
        "story": {"id": story.pk, "url": story.url, "title": story.title, "closed": story.closed},
        "allowGuests": site.allow_guests,
        "allowLocalAccounts": site.allow_local_accounts,
        "sso": bool(site.sso_secret),
        "editWindowSeconds": site.edit_window_seconds,
        "maxLength": site.max_comment_length,
        "visualDepth": 4,
        "reportReasons": [[value, str(label)] for value, label in Report.Reason.choices],
        # The first page of the thread rides along (the same cached page the API serves): the
        # widget paints the comments without waiting for another round trip.
        "firstPage": json.loads(queries.thread_page(story, "newest", 0, FIRST_PAGE)),
    }
    response = render(
        request,
        "comments/embed.html",
        {
            "config": config,
            "script": "/embed/assets/thread.js",
            "story": story,
            # data-theme on the embed script: light or dark; otherwise the reader's preference.
            "theme": request.GET.get("theme") if request.GET.get("theme") in THEMES else "",
        },
    )
    # No inline script can run here: a comment that slipped past the sanitizer still can't.
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        f"img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {_frame_ancestors(site) or 'none'}"
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def demo_article(request: HttpRequest, slug: str = "demo") -> HttpResponse:
    """A stand-in publisher article page that embeds the thread with the public snippet."""
    story = Story.objects.filter(site__slug=slug).order_by("id").first()
    return render(
        request,
        "comments/demo_article.html",
        {"site": slug, "story": story, "base": settings.PUBLIC_URL},
    )


def _sse(event: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@require_GET
def story_events(request: HttpRequest, story_id: int) -> HttpResponse | StreamingHttpResponse:
    """Server-sent events for one story: new approved comments, edits, deletions, reactions."""
    story = Story.objects.filter(pk=story_id).first()
    if story is None:
        return json_error("unknown_story", "No such story.", 404)
    try:
        last_id = int(request.headers.get("Last-Event-ID") or request.GET.get("after") or 0)
    except ValueError:
        last_id = 0

    def catch_up() -> Iterator[bytes]:
        yield b"retry: 2000\n\n"
        if last_id:
            # What was published while the reader was reconnecting.
            missed = (
                Comment.objects.filter(
                    story_id=story_id, status=Comment.Status.APPROVED, id__gt=last_id
                )
                .select_related("author")
                .order_by("id")[:200]
            )
            for c in missed:
                yield _sse("comment.created", {"comment": comment_dict(c)}, c.pk)

    def render(payload: dict[str, Any]) -> bytes:
        kind = payload.get("type", "message")
        cid = payload.get("comment", {}).get("id")
        return _sse(kind, payload, cid if kind == "comment.created" else None)

    return events.sse_response(
        [f"story:{story_id}"],
        render,
        preamble=catch_up,
    )
