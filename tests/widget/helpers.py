"""Helpers for the widget's browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output")) / "widget"
WIDTHS = {"desktop": 1280, "phone": 390}


def write_article(root: Path, civility_url: str, name: str, extra: str = "") -> None:
    # A favicon of our own, so the browser's automatic request is answered by the publisher.
    (root / "favicon.ico").write_bytes(b"")
    (root / name).write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Bus lanes approved</title></head><body style="margin:0 auto;max-width:48rem;padding:0 8px">
<h1>Bus lanes approved on Main Street</h1><p>Article text.</p>
<div id="civility-thread"></div>
<script src="{civility_url}/embed.js" data-site="news" {extra} async></script>
</body></html>"""
    )


def shot(page: Any, name: str, width: int) -> None:
    page.wait_for_timeout(250)  # the iframe's height message lands before the picture
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def sign_in_as_guest(frame: Any, name: str = "Jo Reader") -> None:
    from playwright.sync_api import expect

    frame.get_by_role("button", name="Comment as guest").click()
    frame.get_by_label("Your name").fill(name)
    frame.get_by_role("button", name="Comment as guest").last.click()
    expect(frame.get_by_text("Signed in as")).to_be_visible()


def approved(story: Any, author: Any, body: str, parent: Any = None) -> Any:
    """A published comment, stored directly (the model's verdict is not what these tests
    are about, and a loaded machine may leave a post waiting for its score)."""
    from civility.comments.models import Comment
    from civility.comments.render import render

    return Comment.objects.create(
        story=story,
        author=author,
        body=body,
        html=render(body),
        status="approved",
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
    )
