"""End to end in Debian's Chromium: a held comment reaches the live queue, a moderator approves it
with the keyboard, the reader's page shows it without reloading; a ban blocks the next post.

The `browser` fixture (tests/conftest.py) is Debian's Chromium. The screenshot of the queue lands
in test-output/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output"))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(live_server, settings):
    from civility.accounts.models import User
    from civility.comments.models import Site, Story
    from civility.moderation.models import SiteMembership

    settings.PUBLIC_URL = live_server.url
    site = Site.objects.create(
        name="Daily News",
        slug="daily",
        allowed_origins=["*"],
        premoderation="all",
        rate_limit_per_minute=100,
    )
    story = Story.objects.create(
        site=site, url="https://news.example/war-report", title="War report, day 12"
    )
    moderator = User.objects.create_user("maria", password="desk-password-1")
    SiteMembership.objects.create(site=site, user=moderator, role="moderator")
    reader = User.objects.create_user("reader", password="reader-password-1")
    return {"site": site, "story": story, "moderator": moderator, "reader": reader}


def open_desk(browser, live_server, site):
    """A moderator's signed-in desk page for ``site`` (maria, from the desk fixture)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{live_server.url}/moderate/login/?next=/moderate/{site.slug}/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", "desk-password-1")
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(rf".*/moderate/{site.slug}/$"))
    return ctx, page


def test_held_comment_approved_by_keyboard_shows_live_and_ban_blocks(browser, live_server, desk):
    from civility.comments.actions import post_comment
    from civility.comments.models import Comment
    from civility.errors import Refused

    site, story, reader = desk["site"], desk["story"], desk["reader"]
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)

    # The reader's page: the publisher's article with the embedded thread.
    reader_ctx = browser.new_context()
    reader_page = reader_ctx.new_page()
    reader_page.goto(f"{live_server.url}/demo/article/{site.slug}/")
    thread = reader_page.frame_locator("iframe")
    thread.locator("body").wait_for()

    # The moderator signs in and opens the queue; it goes live (SSE) before anything is held.
    mod_ctx, desk_page = open_desk(browser, live_server, site)
    desk_page.locator("body[data-live='1'][data-loaded='1']").wait_for()
    desk_page.locator(".mod-empty").wait_for()

    # A reader posts: pre-moderation holds it. It appears in the open queue without a reload.
    held = post_comment(story=story, author=reader, body="Ceasefire talks resume tomorrow, idiot.")
    assert held.status == Comment.Status.PENDING
    card = desk_page.locator(f".mod-card[data-id='{held.pk}']")
    card.wait_for()
    assert "pre-moderation" in card.inner_text().lower() or "reviews every" in card.inner_text()
    assert desk_page.locator("#tabs [data-queue=pending] .mod-count").inner_text() == "1"
    desk_page.screenshot(path=str(TEST_OUTPUT / "moderation-queue.png"), full_page=True)
    assert thread.locator("text=Ceasefire talks resume tomorrow").count() == 0

    # Keyboard only: the first card has focus; "a" approves it.
    desk_page.keyboard.press("j")
    focused = desk_page.locator(".mod-card.mod-focused")
    assert focused.get_attribute("data-id") == str(held.pk)
    desk_page.keyboard.press("a")
    card.wait_for(state="detached")
    assert "Approved" in desk_page.locator("#status").inner_text()
    held.refresh_from_db()
    assert held.status == Comment.Status.APPROVED

    # The reader's page shows it live.
    thread.locator("text=Ceasefire talks resume tomorrow").wait_for()

    # Another held comment from the same reader: "b" bans the author from the keyboard.
    second = post_comment(story=story, author=reader, body="One more thing about the talks.")
    card2 = desk_page.locator(f".mod-card[data-id='{second.pk}']")
    card2.wait_for()
    desk_page.keyboard.press("j")
    desk_page.keyboard.press("b")
    dialog = desk_page.locator("#dialog")
    dialog.wait_for()
    desk_page.select_option("#dlg-period", "ban")
    desk_page.fill("#dlg-reason", "Insults other readers")
    desk_page.press("#dlg-reason", "Enter")
    desk_page.locator("#status", has_text="Banned").wait_for()
    from civility.moderation.bans import standing

    assert standing(site, reader)["reason"] == "Insults other readers"
    assert standing(site, reader)["banned"] is True

    # The ban blocks the next post, with a clear message.
    with pytest.raises(Refused) as exc:
        post_comment(story=story, author=reader, body="Let me post again.")
    assert exc.value.status == 403 and "banned" in exc.value.message

    mod_ctx.close()
    reader_ctx.close()


def test_a_long_queue_shows_more_on_request(browser, live_server, desk):
    from civility.comments.models import Comment

    site, story, reader = desk["site"], desk["story"], desk["reader"]
    for i in range(62):
        Comment.objects.create(
            story=story, author=reader, body=f"Held {i}", html=f"<p>Held {i}</p>", status="pending"
        )
    ctx, page = open_desk(browser, live_server, site)
    page.locator("body[data-loaded='1']").wait_for()
    assert page.locator(".mod-card").count() == 50
    button = page.locator("#show-more")
    assert button.inner_text() == "Show 12 more (12 not shown)"
    button.click()
    # A function, not an expression: the desk's CSP forbids the eval Playwright uses for those.
    page.wait_for_function("() => document.querySelectorAll('.mod-card').length === 62")
    assert page.locator("#show-more").count() == 0
    # Handling one keeps the page as long as it was (the reload asks for the grown page).
    page.keyboard.press("a")
    page.wait_for_function("() => document.querySelectorAll('.mod-card').length === 61")
    assert Comment.objects.filter(status="approved").count() == 1
    ctx.close()


def test_reject_with_a_standard_reason_and_a_note(browser, live_server, desk):
    from civility.comments.models import Comment

    site, story, reader = desk["site"], desk["story"], desk["reader"]
    held = Comment.objects.create(
        story=story, author=reader, body="Buy cheap watches", html="<p>Buy</p>", status="pending"
    )
    ctx, page = open_desk(browser, live_server, site)
    page.locator(f".mod-card[data-id='{held.pk}']").wait_for()
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    page.check("#dlg-ground-spam")
    page.fill("#dlg-note", "links to a shop")
    page.press("#dlg-note", "Enter")
    page.locator(".mod-empty").wait_for()
    held.refresh_from_db()
    assert held.status == "rejected"
    assert held.rejection_reason == "Spam or campaign: links to a shop"
    ctx.close()
