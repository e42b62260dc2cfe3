"""A WSGI layer in front of Django for the hottest requests: thread pages, counts, new comments.

Thread pages and comment counts are what every article view asks for. Served through Django
they pay for the whole middleware stack and request parsing; here a cached thread page costs
one cache read of the story's version (shared through Redis when configured) plus an
in-process copy of the page, and counts go straight to `queries.counts`. Anything unusual
(bad parameters, cache miss, errors) falls through to Django, which gives the normal answer,
including the JSON error shape, and fills the cache for next time.

A new comment with a valid bearer token and a plain JSON body goes straight to
`api.comments.create_comment`, the function the API view calls: Django's stack and ninja's
parsing were a sixth of a post's cost. Anything else (no or bad token, malformed JSON, unknown
fields) falls through to Django before anything is written; once the comment is handed over,
the answer (201, or the refusal's 4xx in the API's error shape) comes from here.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from civility.comments import cache as thread_cache

THREAD_PATH = re.compile(r"/api/v1/stories/(\d{1,18})/comments")
COUNTS_PATH = "/api/v1/counts"
MAX_LOCAL = 2000  # pages kept per process; cleared wholesale when full (versions move on)
SITE_TTL = 60.0
COUNTS_MEMO_SECONDS = 1.0  # on top of the shared 5 s count cache: repeat asks skip the network
HEADERS = [
    ("Content-Type", "application/json; charset=utf-8"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]

StartResponse = Callable[..., Any]
log = logging.getLogger(__name__)
MAX_POST_BYTES = 400_000  # past this, Django refuses it (the API's own length check is lower)


class FastPath:
    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.pages: dict[str, bytes] = {}
        self.sites: dict[str, tuple[int, float]] = {}
        self.count_memo: dict[bytes, tuple[bytes, float]] = {}
        self.hosts: dict[str, bool] = {}

    def host_allowed(self, environ: dict[str, Any]) -> bool:
        """Django's ALLOWED_HOSTS check, which its middleware would have made (remembered per
        Host header; an unknown host falls through to Django's 400)."""
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        allowed = self.hosts.get(host)
        if allowed is None:
            from django.conf import settings
            from django.http.request import split_domain_port, validate_host

            domain, _ = split_domain_port(host)
            allowed = bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)
            if len(self.hosts) < 1000:
                self.hosts[host] = allowed
        return allowed

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        body: bytes | None = None
        try:
            if not self.host_allowed(environ):
                method = None  # Django answers (400 DisallowedHost)
            if method == "GET":
                m = THREAD_PATH.fullmatch(path)
                if m:
                    body = self.thread(int(m.group(1)), environ.get("QUERY_STRING", ""))
            elif method == "POST" and path == COUNTS_PATH:
                body = self.counts(environ)
            elif method == "POST":
                m = THREAD_PATH.fullmatch(path)
                parsed = self.parse_new_comment(environ) if m else None
                if m and parsed is not None:
                    return self.new_comment(int(m.group(1)), *parsed, environ, start_response)
        except Exception:  # noqa: BLE001 - Django answers instead, with its own error handling
            body = None
        if body is None:
            return self.app(environ, start_response)
        start_response("200 OK", [*HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    def thread(self, story_id: int, query: str) -> bytes | None:
        from civility.comments.queries import MAX_PAGE, SORTS

        params = parse_qs(query, keep_blank_values=True)
        if set(params) - {"sort", "offset", "limit"} or any(len(v) != 1 for v in params.values()):
            return None
        sort = params.get("sort", ["newest"])[0]
        offset = int(params.get("offset", ["0"])[0])
        limit = int(params.get("limit", ["50"])[0])
        if sort not in SORTS or offset < 0 or not 1 <= limit <= MAX_PAGE:
            return None
        key = thread_cache.page_key(story_id, sort, offset, limit)
        page = self.pages.get(key)
        if page is None:
            page = thread_cache.get(key)
            if page is None:
                return None
            if len(self.pages) >= MAX_LOCAL:
                self.pages.clear()
            self.pages[key] = page
        return page

    def parse_new_comment(self, environ: dict[str, Any]) -> tuple[Any, str, int | None] | None:
        """(author, body, parent_id) of a plain, authenticated new comment; None for Django.

        Reads only: nothing is written before this returns.
        """
        from django.db import close_old_connections

        from civility.accounts import tokens

        header = environ.get("HTTP_AUTHORIZATION", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if (
            not header.lower().startswith("bearer ")
            or not 0 < length <= MAX_POST_BYTES
            or "json" not in environ.get("CONTENT_TYPE", "")
        ):
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)  # consumed: Django may have to answer after all
        data = json.loads(raw)
        if not isinstance(data, dict) or set(data) - {"body", "parent_id"}:
            return None
        body, parent_id = data.get("body"), data.get("parent_id")
        if not isinstance(body, str) or not (
            parent_id is None or (type(parent_id) is int and parent_id >= 0)
        ):
            return None
        close_old_connections()
        author = tokens.verify(header[7:].strip())
        if author is None:
            return None
        return author, body, parent_id

    def new_comment(
        self,
        story_id: int,
        author: Any,
        body: str,
        parent_id: int | None,
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        from ninja.responses import NinjaJSONEncoder

        from civility.api.comments import create_comment
        from civility.moderation.pipeline import Refused

        ip = environ.get("REMOTE_ADDR", "")
        try:
            status, payload = 201, create_comment(story_id, author, body, parent_id, ip)
        except Refused as exc:
            status, payload = exc.status, {"error": {"code": exc.code, "message": exc.message}}
        except Exception:  # noqa: BLE001 - the comment may be stored: answer, do not retry it
            log.exception("posting a comment to story %s failed", story_id)
            status = 500
            payload = {"error": {"code": "server_error", "message": "Something went wrong."}}
        out = json.dumps(payload, cls=NinjaJSONEncoder).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [*HEADERS, ("Content-Length", str(len(out)))],
        )
        return [out]

    def counts(self, environ: dict[str, Any]) -> bytes | None:
        from django.db import close_old_connections

        from civility.comments.models import Site
        from civility.comments.queries import counts

        length = int(environ.get("CONTENT_LENGTH") or 0)
        if not 0 < length <= 65536 or "json" not in environ.get("CONTENT_TYPE", ""):
            return None
        raw = environ["wsgi.input"].read(length)
        # The body is consumed: hand Django a fresh stream in case it has to answer after all.
        environ["wsgi.input"] = io.BytesIO(raw)
        memo = self.count_memo.get(raw)
        if memo is not None and memo[1] > time.monotonic():
            return memo[0]
        data = json.loads(raw)
        site, urls = data.get("site"), data.get("urls")
        if (
            not isinstance(site, str)
            or not isinstance(urls, list)
            or len(urls) > 200
            or not all(isinstance(u, str) for u in urls)
        ):
            return None
        cached = self.sites.get(site)
        close_old_connections()
        if cached is None or cached[1] < time.monotonic():
            site_id = Site.objects.filter(slug=site).values_list("id", flat=True).first()
            if site_id is None:
                return None
            cached = (site_id, time.monotonic() + SITE_TTL)
            self.sites[site] = cached
        body = json.dumps({"counts": counts(cached[0], urls)}, separators=(",", ":")).encode()
        if len(self.count_memo) > 10_000:
            self.count_memo.clear()
        self.count_memo[raw] = (body, time.monotonic() + COUNTS_MEMO_SECONDS)
        return body


def application() -> FastPath:
    from django.core.wsgi import get_wsgi_application

    return FastPath(get_wsgi_application())
