"""The reader's widget in Debian's Chromium: a publisher page on one origin (127.0.0.1), the
Civility live server on another (localhost), so the iframe is cross-site as on a real news page.

Every flow runs at 1280 px and at 390 px (the `width` fixture); screenshots land in
test-output/widget/.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.mailserver
from tests import fixtures

from .helpers import WIDTHS, write_article

mailbox = tests.mailserver.mailbox  # a real SMTP server (aiosmtpd) the test starts


_clear_cache = fixtures.clear_cache


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> int:
    return WIDTHS[request.param]


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static news site on another origin: (origin, document root)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


@pytest.fixture
def widget(live_server: Any, publisher: tuple[str, Path]) -> dict[str, Any]:
    """A site (no pre-moderation, guests allowed), a story with Maria's comment, the article."""
    origin, root = publisher
    news = fixtures.news_with_maria(origin)
    write_article(root, live_server.url, "article.html")
    return {
        **news,
        "origin": origin,
        "root": root,
        "civility": live_server.url,
        "url": f"{origin}/article.html",
    }


@pytest.fixture
def seen_requests() -> list[str]:
    """Every URL any page opened by open_page asked for (all frames, all resource types)."""
    return []


@pytest.fixture
def open_page(browser: Any, width: int, seen_requests: list[str]) -> Iterator[Callable[..., Any]]:
    """open_page(url, **context options) -> (page, frame locator); page errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(url: str, **options: Any) -> tuple[Any, Any]:
        ctx = browser.new_context(viewport={"width": width, "height": 900}, **options)
        ctx.on("request", lambda r: seen_requests.append(r.url))
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        return page, page.frame_locator("#civility-thread iframe")

    yield open_
    for ctx in contexts:
        ctx.close()
    assert errors == [], errors
