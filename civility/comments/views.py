"""HTML and script views: the embed loader, the thread iframe, the demo article and live events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import DjangoTranslation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from civility import events
from civility.comments import actions, queries
from civility.comments.models import Comment, Report, Site, Story
from civility.comments.serialize import comment_dict
from civility.errors import Refused, json_error
from civility.i18n import LOCALE_DIR


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


def widget_language(request: HttpRequest) -> str:
    """The widget's language: `lang` (the publisher page's lang or the script's data-lang), else
    the reader's browser (Accept-Language), else English. "de-AT" gets German."""
    asked = request.GET.get("lang", "").strip().replace("_", "-")
    if asked:
        try:
            return translation.get_supported_language_variant(asked[:16])
        except LookupError:
            pass
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def _catalog_version(lang: str) -> str:
    """Changes when the widget's catalogue is compiled again: the catalogue's URL busts caches."""
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / "djangojs.mo"
    return str(int(mo.stat().st_mtime)) if mo.exists() else "0"


class WidgetCatalog(JavaScriptCatalog):
    """The widget's strings in one language (djangojs.po), as Django's JavaScript catalogue: it
    defines django.gettext / ngettext / interpolate for thread.js. Only Civility's own strings
    (not the admin's), and cached by the browser: the URL carries the catalogue's version."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        lang = kwargs["lang"]
        if lang not in dict(settings.LANGUAGES):
            return json_error("unknown_language", _("No such language."), 404)
        with translation.override(lang):
            self.translation = DjangoTranslation(
                lang, domain="djangojs", localedirs=[str(LOCALE_DIR)]
            )
            response = self.render_to_response(self.get_context_data(**kwargs))
        response["Cache-Control"] = "public, max-age=86400"
        response["Access-Control-Allow-Origin"] = "*"
        return response


widget_catalog = require_GET(WidgetCatalog.as_view())


@xframe_options_exempt
@require_GET
def embed_thread(request: HttpRequest) -> HttpResponse:
    """The page inside the iframe: config for thread.js; all data comes from /api/v1/."""
    lang = widget_language(request)
    with translation.override(lang):
        response = _embed_thread(request, lang)
    response["Content-Language"] = lang
    return response


def _embed_thread(request: HttpRequest, lang: str) -> HttpResponse:
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
        "lang": lang,
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
            # English is the widget's own text: no catalogue to load.
            "catalog": f"/embed/i18n/{lang}.js?v={_catalog_version(lang)}" if lang != "en" else "",
            "lang": lang,
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
def home(request: HttpRequest) -> HttpResponse:
    """The start page: the demo article (when the demo site exists), the desk, the API docs."""
    return render(
        request,
        "comments/home.html",
        {
            "demo": Site.objects.filter(slug="demo").exists(),
            "languages": [(c, n) for c, n in settings.LANGUAGES if c != "en"],
        },
    )


@require_GET
def demo_article(request: HttpRequest, slug: str = "demo") -> HttpResponse:
    """A stand-in publisher article page that embeds the thread with the public snippet.
    ?lang=de sets the page's language, which the widget follows."""
    story = Story.objects.filter(site__slug=slug).order_by("id").first()
    lang = request.GET.get("lang", "")
    return render(
        request,
        "comments/demo_article.html",
        {
            "site": slug,
            "story": story,
            # The address this page was asked for: the widget comes from this same server.
            "base": f"{request.scheme}://{request.get_host()}",
            "lang": lang if lang in dict(settings.LANGUAGES) else "en",
        },
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
