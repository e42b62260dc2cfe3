"""EU DSA in the reader's widget, in Debian's Chromium at 1280 and 390 px: a moderator rejects a
reader's comment; the reader opens "Why?" (the statement of reasons), appeals from the widget; a
second moderator reverses the rejection on the desk's appeals page (signed in, in the browser);
the reader sees the comment published and the appeal's outcome. axe-core finds no serious or
critical violation with the statement and the appeal form open. Screenshots land in
test-output/widget/appeal-*.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .helpers import approved, shot, sign_in_as_guest
from .test_widget_a11y import AXE, axe_violations, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_appeal_from_the_widget_reverses_a_rejection(
    widget, open_page, browser, width, settings
):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments.models import Comment
    from civility.moderation import actions
    from civility.moderation.models import Appeal, AuditEntry, SiteMembership, Statement

    # The demo article is served by Civility itself, so the reader's session survives the
    # reloads (see test_widget.test_own_comments_keep_edit_and_delete_after_reload).
    settings.PUBLIC_URL = widget["civility"]
    site = widget["site"]
    site.allowed_origins = [*site.allowed_origins, widget["civility"]]
    site.save()
    first = User.objects.create_user("maria_mod", password="desk-password-1")
    second = User.objects.create_user("omar_mod", password="desk-password-2")
    for m in (first, second):
        SiteMembership.objects.create(site=site, user=m, role="moderator")

    page, frame = open_page(f"{widget['civility']}/demo/article/news/")
    sign_in_as_guest(frame, "Jo Reader")
    reader = User.objects.get(display_name="Jo Reader")
    story = widget["story"]  # the demo article shows the site's first story
    body = "The council's plan is a scam, and the mayor knows it."
    comment = Comment.objects.create(
        story=story, author=reader, body=body, html=f"<p>{body}</p>", status="pending"
    )
    actions.reject(first, comment.pk, "Calling it a scam is an accusation.", ground="illegal")

    page.reload()
    frame = page.frame_locator("#civility-thread iframe")
    mine = frame.locator(f"#comment-{comment.pk}")
    expect(mine.locator(".civ-rejected-label")).to_be_visible()
    why = mine.get_by_role("button", name="Why?")
    expect(why).to_have_attribute("aria-expanded", "false")
    why.click()
    expect(why).to_have_attribute("aria-expanded", "true")
    panel = mine.locator(".civ-why-panel")
    expect(panel).to_contain_text("Removal of the comment")
    expect(panel).to_contain_text("Nothing unlawful")  # the site's guideline for the ground
    expect(panel).to_contain_text("Calling it a scam is an accusation.")
    expect(panel).to_contain_text("by a person")
    expect(panel).to_contain_text("News only")  # the decision's scope
    expect(panel).to_contain_text("You can appeal this decision")
    panel.get_by_role("button", name="Appeal this decision").click()
    panel.get_by_label("Why is the decision wrong? (optional)").fill(
        "It is an opinion about a public plan, not an accusation of a crime."
    )
    if AXE.exists():
        found = axe_violations(page, "appeal-form", width)
        assert serious(found) == [], found
    shot(page, "appeal-form", width)
    frame.locator(f"#comment-{comment.pk}").get_by_role("button", name="Send appeal").click()
    state = frame.locator(f"#comment-{comment.pk} .civ-appeal-state")
    expect(state).to_contain_text("received")
    shot(page, "appeal-sent", width)
    appeal = Appeal.objects.get(statement__comment=comment)
    assert appeal.status == "open" and appeal.author == reader

    # The moderator who rejected it may not decide; the other one reverses it on the desk.
    desk = browser.new_context(viewport={"width": width, "height": 900})
    try:
        dpage = desk.new_page()
        live = widget["civility"]
        dpage.goto(f"{live}/moderate/login/?next=/moderate/{site.slug}/appeals/")
        dpage.fill("input[name=username]", "omar_mod")
        dpage.fill("input[name=password]", "desk-password-2")
        dpage.press("input[name=password]", "Enter")
        dpage.wait_for_url(re.compile(rf".*/moderate/{site.slug}/appeals/$"))
        card = dpage.locator(f"#appeal-{appeal.pk}")
        expect(card).to_contain_text("not an accusation of a crime")
        expect(card).to_contain_text("maria_mod")
        if AXE.exists():
            found = _desk_axe(dpage)
            assert serious(found) == [], found
        shot(dpage, "appeal-desk", width)
        card.get_by_label("Your reason (the author reads it)").fill(
            "Fair comment on a public plan."
        )
        card.get_by_role("button", name=re.compile("^Reverse")).click()
        expect(dpage.get_by_role("status")).to_contain_text("reversed")
    finally:
        desk.close()

    comment.refresh_from_db()
    assert comment.status == "approved"
    entry = AuditEntry.objects.get(action="appeal.reversed")
    assert entry.actor == second and entry.data["first_decided_by"] == first.pk

    # Back in the widget: published, and the appeal's outcome is there for the author.
    page.reload()
    frame = page.frame_locator("#civility-thread iframe")
    mine = frame.locator(f"#comment-{comment.pk}")
    expect(mine.locator(".civ-body")).to_contain_text("the mayor knows it")
    expect(mine.locator(".civ-rejected-label")).to_have_count(0)
    seen = frame.locator("body")
    expect(seen).not_to_contain_text("This comment was removed")
    statement = Statement.objects.get(comment=comment)
    shown = _reader_api(widget, reader, f"/statements/{statement.pk}")
    assert shown["appeal"]["status"] == "reversed"
    assert shown["appeal"]["outcome_reason"] == "Fair comment on a public plan."
    shot(page, "appeal-reversed", width)


def _desk_axe(page: Any) -> list[dict[str, Any]]:
    from .test_widget_a11y import RUN_AXE

    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE)


def _reader_api(widget: dict[str, Any], user: Any, path: str) -> dict[str, Any]:
    from django.test import Client

    from civility.accounts.tokens import issue

    answer = Client().get("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {issue(user)}")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_banned_reader_appeals_from_the_account_panel(widget, open_page, width, settings):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.moderation import actions
    from civility.moderation.models import Appeal, SiteMembership

    settings.PUBLIC_URL = widget["civility"]
    site = widget["site"]
    site.allowed_origins = [*site.allowed_origins, widget["civility"]]
    site.save()
    mod = User.objects.create_user("maria_mod", password="desk-password-1")
    SiteMembership.objects.create(site=site, user=mod, role="moderator")

    page, frame = open_page(f"{widget['civility']}/demo/article/news/")
    sign_in_as_guest(frame, "Jo Banned")
    reader = User.objects.get(display_name="Jo Banned")
    approved(widget["story"], reader, "Read this: https://example.org/a https://example.org/b")
    actions.suspend_user(mod, site, reader.pk, 72, "Spamming links", ground="spam")

    frame.get_by_role("button", name="Your data").click()
    section = frame.get_by_role("region", name="Decisions about your account")
    expect(section).to_contain_text("Suspension of the account")
    expect(section).to_contain_text("Spamming links")
    section.get_by_role("button", name="Appeal this decision").click()
    section.get_by_label("Why is the decision wrong? (optional)").fill("Those were my sources.")
    if AXE.exists():
        found = axe_violations(page, "appeal-account", width)
        assert serious(found) == [], found
    section.get_by_role("button", name="Send appeal").click()
    expect(section.locator(".civ-appeal-state")).to_contain_text("received")
    shot(page, "appeal-account", width)
    appeal = Appeal.objects.get(author=reader)
    assert appeal.statement.decision == "account_suspension"
    assert appeal.text == "Those were my sources."
