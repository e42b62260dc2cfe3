"""Fixtures for the desk's browser tests: a site with a moderator, a reader, comments held for
the reasons the pipeline gives, and a signed-in page at desktop or phone width."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output")) / "desk"
AXE = REPO_ROOT / "tests" / "widget" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 390}

RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ["violations"] });
  return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")) }));
}"""


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=list(WIDTHS.values()), ids=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def desk(live_server: Any, settings: Any) -> dict[str, Any]:
    from civility.accounts.models import User
    from civility.comments.models import Site, Story
    from civility.moderation.models import SiteMembership

    settings.PUBLIC_URL = live_server.url
    site = Site.objects.create(
        name="Daily News", slug="daily", allowed_origins=["*"], rate_limit_per_minute=1000
    )
    story = Story.objects.create(
        site=site,
        url="https://news.example/2026/11/30/a-very-long-article-address-that-would-not-wrap-nicely",
        title="Council approves the new bus lanes on Main Street after a long night",
    )
    moderator = User.objects.create_user("maria", password="desk-password-1")
    SiteMembership.objects.create(site=site, user=moderator, role="moderator")
    reader = User.objects.create_user("reader", password="reader-password-1")
    return {"site": site, "story": story, "moderator": moderator, "reader": reader}


def held(story: Any, author: Any, body: str, code: str = "premoderation", **fields: Any) -> Any:
    """A comment held for one reason, as the pipeline stores it (a model vote has its spans)."""
    from civility.comments.models import Comment

    reason: dict[str, Any] = {"action": "hold", "code": code, "message": f"held: {code}"}
    if code.startswith("model_"):
        attr = code.removeprefix("model_").upper()
        reason.update(
            message="Likely threatening" if attr == "THREAT" else f"Likely {attr.lower()}",
            attribute=attr,
            score=0.91,
            threshold=0.6,
            spans=[
                {
                    "start": 0,
                    "end": min(len(body), 12),
                    "attribute": attr,
                    "score": 0.91,
                    "text": body[:12],
                }
            ],
        )
    return Comment.objects.create(
        story=story,
        author=author,
        body=body,
        html=f"<p>{body}</p>",
        status=fields.pop("status", "pending"),
        moderation_reasons=[reason],
        **fields,
    )


@pytest.fixture
def open_desk(browser: Any, live_server: Any, width: int) -> Iterator[Callable[..., Any]]:
    """open_desk(path="") -> a signed-in page of the desk at the test's width."""
    contexts: list[Any] = []

    def open_(path: str = "", site_slug: str = "daily") -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": 844 if width < 800 else 900})
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(f"{live_server.url}/moderate/login/?next=/moderate/{site_slug}/{path}")
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", "desk-password-1")
        page.press("input[name=password]", "Enter")
        page.wait_for_url(re.compile(rf".*/moderate/{site_slug}/{re.escape(path)}$"))
        return page

    yield open_
    for ctx in contexts:
        ctx.close()


def loaded(page: Any) -> None:
    page.locator("body[data-loaded='1']").wait_for()


def page_width(page: Any) -> int:
    return int(page.evaluate("() => document.scrollingElement.scrollWidth"))


def shot(page: Any, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def axe_violations(page: Any, name: str, width: int) -> list[dict[str, Any]]:
    """axe-core's violations on the page (injected through DevTools: the desk's CSP allows no
    other script, and needs no change for this); the full list lands in test-output/desk/."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/widget")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(RUN_AXE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"axe-{name}-{width}.json").write_text(json.dumps(found, indent=2))
    return [v for v in found if v["impact"] in ("serious", "critical")]
