"""The reader's widget as issue 14 asks for it, in Debian's Chromium at 1280 and 390 px.

Each test here failed on the widget before (thread.js at 6e1bd9a): own comments lost Edit/Delete
after a reload, feedback went only to the off-screen live region, and there were no permalinks,
collapsing, Featured tab, profiles, avatars, preview, counter, relative times or dark theme.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from .helpers import approved, shot, sign_in_as_guest, write_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Nothing a reader or a screen reader gets may carry a score, a threshold or an attribute name.
SCORE_LIKE = re.compile(r"\d\.\d|>=|TOXICITY|IDENTITY_ATTACK|threshold", re.IGNORECASE)


def expect_plain(text: str) -> None:
    assert not SCORE_LIKE.search(text), text


def post(frame: Any, text: str, label: str = "Add a comment", button: str = "Post comment") -> None:
    frame.get_by_label(label).fill(text)
    frame.get_by_role("button", name=button).click()


def test_own_comments_keep_edit_and_delete_after_reload(widget, open_page, width, settings):
    from playwright.sync_api import expect

    # The demo article is served by Civility itself: the widget is first-party there, so its
    # session survives a reload (a browser that blocks third-party storage forgets it when the
    # widget is embedded on another site; SSO signs the reader in again there).
    settings.PUBLIC_URL = widget["civility"]
    site = widget["site"]
    site.allowed_origins = [*site.allowed_origins, widget["civility"]]
    site.save()
    page, frame = open_page(f"{widget['civility']}/demo/article/news/")
    sign_in_as_guest(frame)
    post(frame, "My own words on the bus lanes.")
    mine = frame.locator(".civ-comment", has_text="My own words")
    expect(mine.get_by_role("button", name="Edit", exact=True)).to_be_visible()

    page.reload()
    expect(frame.get_by_text("Signed in as")).to_be_visible()
    mine = frame.locator(".civ-comment", has_text="My own words")
    expect(mine.get_by_role("button", name="Edit", exact=True)).to_be_visible()
    expect(mine.get_by_role("button", name="Delete", exact=True)).to_be_visible()
    expect(mine.get_by_role("button", name="Report")).to_have_count(0)
    # Someone else's comment still offers Report, not Edit.
    theirs = frame.locator(f"#comment-{widget['seed'].pk}")
    expect(theirs.get_by_role("button", name="Report")).to_be_visible()
    expect(theirs.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    shot(page, "own-comment-after-reload", width)


def test_every_outcome_is_visible_and_in_plain_words(widget, open_page, width):
    from playwright.sync_api import expect

    from civility.comments.models import Comment
    from civility.moderation.models import WordRule

    WordRule.objects.create(site=widget["site"], phrase="scoundrel", action="hold")
    WordRule.objects.create(site=widget["site"], phrase="vermin", action="reject")
    page, frame = open_page(widget["url"])
    seed = frame.locator(f"#comment-{widget['seed'].pk}")
    live = frame.locator(".civ-live")

    # Signed out, a like says why nothing happened, next to the button.
    seed.locator(".civ-react").click()
    expect(seed.locator(".civ-toast")).to_have_text("Sign in to like comments.")
    expect(live).to_have_text("Sign in to like comments.")

    sign_in_as_guest(frame)
    # A report: the form goes, and a visible note says it was sent.
    seed.get_by_role("button", name="Report").click()
    frame.get_by_role("button", name="Send report").click()
    expect(seed.locator(".civ-toast")).to_contain_text("Report sent.")
    shot(page, "toast-report-sent", width)

    # Held by a word rule: the author is told why in plain words, visibly and in the live region.
    post(frame, "You scoundrel, Maria.")
    frame.get_by_role("button", name="Post anyway").click()
    held = frame.locator(".civ-comment", has_text="You scoundrel")
    reason = "Held for review: uses a word this site reviews before publishing."
    expect(held.locator(".civ-toast")).to_have_text(reason)
    expect(held.locator(".civ-pending-label")).to_have_text("Awaiting moderation")
    expect(held.locator(".civ-held-why")).to_have_text(reason)
    expect(live).to_have_text(reason)
    shot(page, "toast-held", width)

    # Rejected: the reason, not a bare "Rejected".
    post(frame, "They are vermin.")
    frame.get_by_role("button", name="Post anyway").click()
    rejected = frame.locator(".civ-comment", has_text="They are vermin")
    # (The model may add a reason of its own to the word rule's.)
    why = "Rejected: uses a word this site does not allow"
    expect(rejected.locator(".civ-toast")).to_contain_text(why)
    expect(live).to_contain_text(why)
    expect(rejected.locator(".civ-rejected-label")).to_contain_text(why)
    expect_plain(frame.locator("#civility").inner_text())
    shot(page, "toast-rejected", width)
    assert {c.body: c.status for c in Comment.objects.exclude(pk=widget["seed"].pk)} == {
        "You scoundrel, Maria.": "pending",
        "They are vermin.": "rejected",
    }


def test_are_you_sure_nudge_says_why_and_lets_the_author_edit(widget, open_page, width):
    from playwright.sync_api import expect

    from civility.comments.models import Comment

    # This site holds anything the model finds at all group-directed: every text, for the test.
    site = widget["site"]
    site.settings = {"thresholds": {"IDENTITY_ATTACK": {"hold": 0.0}}}
    site.save()
    page, frame = open_page(widget["url"])
    sign_in_as_guest(frame)
    post(frame, "People from that town are all the same.")
    nudge = frame.locator(".civ-nudge")
    expect(nudge).to_contain_text("Are you sure?")
    expect(nudge).to_contain_text("may be an attack on a group")
    expect_plain(nudge.inner_text())
    assert Comment.objects.count() == 1  # a dry run: nothing stored
    shot(page, "nudge", width)

    # Edit: back in the text box, the nudge gone; editing and posting again asks again.
    frame.get_by_role("button", name="Edit my comment").click()
    box = frame.get_by_label("Add a comment")
    expect(box).to_be_focused()
    expect(nudge).to_be_hidden()
    box.fill("People from that town were kind to me.")
    frame.get_by_role("button", name="Post comment").click()
    expect(nudge).to_be_visible()
    frame.get_by_role("button", name="Post anyway").click()
    mine = frame.locator(".civ-comment", has_text="were kind to me")
    expect(mine.locator(".civ-toast")).to_have_text("Held for review: may be an attack on a group.")
    live = frame.locator(".civ-live")
    expect(live).to_have_text("Held for review: may be an attack on a group.")
    expect_plain(frame.locator("#civility").inner_text())
    stored = Comment.objects.get(body="People from that town were kind to me.")
    assert stored.status == "pending"


def test_permalink_scrolls_and_highlights_also_on_a_cold_load(widget, open_page, width):
    from django.utils import timezone
    from playwright.sync_api import expect

    from civility.comments.models import Comment

    now = timezone.now()
    made = []
    for i in range(55):
        c = Comment.objects.create(
            story=widget["story"],
            author=widget["maria"],
            body=f"Comment number {i}",
            html=f"<p>Comment number {i}</p>",
            status="approved",
        )
        Comment.objects.filter(pk=c.pk).update(created_at=now - timedelta(minutes=60 - i))
        made.append(c)
    # Newest first: number 10 is near the bottom of the first page, number 0 on the second.
    near_bottom, second_page = made[10], made[0]
    page, frame = open_page(f"{widget['url']}#comment-{near_bottom.pk}")
    target = frame.locator(f"#comment-{near_bottom.pk}")
    expect(target).to_have_class(re.compile(r"\bciv-target\b"))
    page.wait_for_function("() => window.scrollY > 500")
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, box
    shot(page, "permalink-cold-load", width)

    # A comment's time is its permalink: clicking it sets the page's #comment-ID and highlights.
    other = frame.locator(f"#comment-{made[40].pk}")
    link = other.locator("a.civ-permalink")
    assert link.get_attribute("href") == f"{widget['url']}#comment-{made[40].pk}"
    link.click()
    page.wait_for_function(f"() => location.hash === '#comment-{made[40].pk}'")
    expect(other).to_have_class(re.compile(r"\bciv-target\b"))
    expect(target).not_to_have_class(re.compile(r"\bciv-target\b"))

    # A link to a comment that is not on the first page opens it on its own.
    page.evaluate(f"location.hash = '#comment-{second_page.pk}'")
    expect(frame.locator(f"#comment-{second_page.pk}")).to_have_class(re.compile(r"\bciv-target\b"))
    expect(frame.get_by_role("button", name="Back to all comments")).to_be_visible()


def test_collapse_and_expand_threads_with_counts_in_words(widget, open_page, width):
    from playwright.sync_api import expect

    from civility.accounts.models import User

    bob = User.objects.create_user(username="bob", display_name="Bob")
    story, seed = widget["story"], widget["seed"]
    first = approved(story, bob, "Reply one", seed)
    approved(story, bob, "Reply to reply", first)
    approved(story, bob, "Reply two", seed)
    page, frame = open_page(widget["url"])
    expect(frame.locator(".civ-count")).to_have_text("4 comments")
    top = frame.locator(f"#comment-{seed.pk}")
    expect(top.get_by_text("Reply two")).to_be_visible()

    collapse = top.get_by_role("button", name="Collapse the thread of Maria Lopez")
    expect(collapse).to_have_attribute("aria-expanded", "true")
    collapse.click()
    expect(top.get_by_text("Reply two")).to_have_count(0)
    expect(top.locator(".civ-collapsed-note")).to_have_text("3 replies hidden")
    shot(page, "collapsed", width)
    expand = top.get_by_role("button", name="Expand the thread of Maria Lopez")
    expect(expand).to_have_attribute("aria-expanded", "false")
    expect(expand).to_be_focused()
    expand.click()
    expect(top.get_by_text("Reply two")).to_be_visible()

    frame.locator(f"#comment-{first.pk}").get_by_role("button", name="Collapse").first.click()
    expect(frame.locator(f"#comment-{first.pk} .civ-collapsed-note")).to_have_text("1 reply hidden")


def test_featured_tab(widget, open_page, width):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.moderation import actions as moderation

    bob = User.objects.create_user(username="bob", display_name="Bob")
    approved(widget["story"], bob, "Not featured, just here.")
    editor = User.objects.create_superuser(username="editor", password="x" * 12)
    moderation.feature(editor, widget["seed"].pk)
    page, frame = open_page(widget["url"])
    featured = frame.get_by_role("tab", name="Featured (1)")
    expect(featured).to_have_attribute("aria-selected", "false")
    featured.click()
    expect(featured).to_have_attribute("aria-selected", "true")
    shown = frame.locator(".civ-list > .civ-comment")
    expect(shown).to_have_count(1)
    expect(shown.first).to_contain_text("Finally!")
    expect(frame.get_by_role("tabpanel")).to_be_visible()
    shot(page, "featured-tab", width)
    # Arrow keys move between the tabs.
    page.keyboard.press("ArrowLeft")
    expect(frame.get_by_role("tab", name="All comments")).to_have_attribute("aria-selected", "true")
    expect(shown).to_have_count(2)


def test_reader_profile_and_my_comments(widget, open_page, width):
    from playwright.sync_api import expect

    from civility.comments.models import Comment, Story
    from civility.moderation.models import WordRule

    other = Story.objects.create(
        site=widget["site"], url=f"{widget['origin']}/other.html", title="Parking fees"
    )
    elsewhere = Comment.objects.create(
        story=other,
        author=widget["maria"],
        body="Parking is too dear.",
        html="<p>Parking is too dear.</p>",
        status="approved",
    )
    WordRule.objects.create(site=widget["site"], phrase="scoundrel", action="hold")
    page, frame = open_page(widget["url"])
    seed = frame.locator(f"#comment-{widget['seed'].pk}")
    seed.get_by_role("button", name="Maria Lopez").click()
    profile = seed.locator(".civ-profile")
    expect(profile.get_by_role("heading", name="Maria Lopez")).to_be_visible()
    expect(profile).to_contain_text("2 published comments")
    link = profile.get_by_role("link", name="Parking is too dear.")
    expect(link).to_have_attribute("href", f"{widget['origin']}/other.html#comment-{elsewhere.pk}")
    shot(page, "profile", width)
    profile.get_by_role("button", name="Close").click()
    expect(profile).to_have_count(0)

    sign_in_as_guest(frame)
    post(frame, "Hello there, scoundrel.")
    frame.get_by_role("button", name="Post anyway").click()
    frame.get_by_role("button", name="My comments").click()
    mine = frame.locator(".civ-mine-slot .civ-profile")
    expect(mine.get_by_role("heading", name="My comments")).to_be_visible()
    expect(mine).to_contain_text("Hello there, scoundrel.")
    expect(mine).to_contain_text("Held for review: uses a word this site reviews")
    shot(page, "my-comments", width)


def test_avatars_preview_counter_times_and_no_third_party_requests(
    widget, open_page, width, seen_requests
):
    from django.utils import timezone
    from playwright.sync_api import expect

    from civility.comments.models import Comment

    when = timezone.now() - timedelta(hours=3)
    Comment.objects.filter(pk=widget["seed"].pk).update(created_at=when)
    page, frame = open_page(widget["url"])
    seed = frame.locator(f"#comment-{widget['seed'].pk}")
    # Initials avatars, drawn by the page itself.
    expect(seed.locator(".civ-avatar")).to_have_text("ML")
    expect(seed.locator(".civ-avatar")).to_have_attribute("aria-hidden", "true")
    # Relative time, the full date in the tooltip.
    time = seed.locator("time")
    expect(time).to_have_text("3 hours ago")
    expect(time).to_have_attribute("title", re.compile(str(when.year)))
    assert time.get_attribute("datetime")

    sign_in_as_guest(frame)
    box = frame.get_by_label("Add a comment")
    box.fill("Hello **world**")
    limit = widget["site"].max_comment_length
    expect(frame.locator(".civ-counter")).to_have_text(f"15 / {limit}")
    expect(frame.locator(".civ-counter")).to_have_attribute(
        "aria-label", f"{limit - 15} characters left"
    )
    frame.get_by_role("button", name="Preview").click()
    expect(frame.locator(".civ-preview .civ-body strong")).to_have_text("world")
    shot(page, "preview", width)
    frame.get_by_role("button", name="Post comment").click()
    expect(frame.locator(".civ-comment", has_text="Hello world").locator("strong")).to_have_text(
        "world"
    )
    expect(frame.locator(".civ-counter")).to_have_text(f"0 / {limit}")
    expect(frame.locator(".civ-count")).to_have_text("2 comments")

    # Every request of the whole visit went to the publisher or to Civility: nothing else.
    allowed = (widget["origin"] + "/", widget["civility"] + "/")
    assert seen_requests and all(u.startswith(allowed) for u in seen_requests), seen_requests
    assert any(u.startswith(widget["civility"] + "/api/v1/") for u in seen_requests)


def test_dark_theme_follows_the_reader_and_the_data_theme_attribute(widget, open_page, width):
    from playwright.sync_api import expect

    def background(frame: Any) -> str:
        expect(frame.locator(".civ-count")).to_have_text("1 comment")
        return frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")

    dark, light = "rgb(23, 24, 26)", "rgb(255, 255, 255)"
    page, frame = open_page(widget["url"], color_scheme="dark")
    assert background(frame) == dark
    shot(page, "dark", width)
    page, frame = open_page(widget["url"], color_scheme="light")
    assert background(frame) == light

    same_story = f'data-url="{widget["url"]}"'
    write_article(
        widget["root"], widget["civility"], "light.html", f'data-theme="light" {same_story}'
    )
    write_article(
        widget["root"], widget["civility"], "dark.html", f'data-theme="dark" {same_story}'
    )
    page, frame = open_page(f"{widget['origin']}/light.html", color_scheme="dark")
    assert background(frame) == light
    page, frame = open_page(f"{widget['origin']}/dark.html", color_scheme="light")
    assert background(frame) == dark
