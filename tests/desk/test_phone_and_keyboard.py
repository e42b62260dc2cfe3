"""The moderation desk in Debian's Chromium at 1280 px and at 390 px (a phone): no sideways
scroll, the key list behind "?", `r` + Enter rejecting with the flagged reason, undo by toast
and by `u` for single and bulk actions, a key for every queue, actions on the comment page,
relative dates and plurals, and axe-core with no serious or critical violations.

Screenshots and axe results land in test-output/desk/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import axe_violations, held, loaded, page_width, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str | None:
    return page.locator(".mod-card.mod-focused").get_attribute("data-id")


def wait_status(comment, status: str, page) -> None:
    """Wait until the comment's stored status is ``status`` (the desk answers first)."""
    for _ in range(100):
        comment.refresh_from_db()
        if comment.status == status:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"comment {comment.pk} is {comment.status}, not {status}")


def test_desk_pages_fit_the_screen_and_pass_axe(desk, open_desk, width):
    from civility.comments.models import Report

    story, reader = desk["story"], desk["reader"]
    long_word = "Unbelievable" * 12  # no break opportunity: must wrap, not widen the page
    first = held(story, reader, f"{long_word} and https://example.com/{'x' * 120}", "model_insult")
    held(story, reader, "Another held comment about the bus lanes", "model_threat")
    published = held(story, reader, "A published one", status="approved")
    Report.objects.create(comment=published, reporter=desk["moderator"], reason="spam")

    page = open_desk()
    loaded(page)
    assert page.locator(".mod-card").count() == 2
    assert page_width(page) <= width
    # Every queue has a tab; on a phone the strip scrolls inside itself, the page does not.
    assert page.locator("#tabs a").count() == 5
    tabs_box = page.locator("#tabs").bounding_box()
    assert tabs_box is not None and tabs_box["x"] + tabs_box["width"] <= width
    # The key list is not on the page: it waits behind "?".
    assert not page.locator("#keys").is_visible()
    assert page.get_by_role("button", name="Keyboard shortcuts").is_visible()
    # On a phone the story list is folded so the queue is on the first screen.
    stories_open = page.locator("#stories-box").evaluate("(d) => d.open")
    assert stories_open is (width >= 800)
    first_card = page.locator(f".mod-card[data-id='{first.pk}']").bounding_box()
    assert first_card is not None and first_card["y"] < 844
    shot(page, "queue", width)
    assert axe_violations(page, "queue", width) == []

    page.keyboard.press("?")
    page.locator("#keys").wait_for()
    assert page_width(page) <= width
    assert axe_violations(page, "keys", width) == []
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    assert page_width(page) <= width
    shot(page, "reject-dialog", width)
    assert axe_violations(page, "reject-dialog", width) == []
    page.keyboard.press("Escape")

    page.goto(page.url.split("/moderate/")[0] + f"/moderate/daily/comments/{first.pk}/")
    page.locator("#comment-actions").wait_for()
    assert page_width(page) <= width
    shot(page, "comment", width)
    assert axe_violations(page, "comment", width) == []

    page.goto(page.url.split("/moderate/")[0] + f"/moderate/daily/users/{reader.pk}/")
    page.locator("#user-actions").wait_for()
    assert page_width(page) <= width
    shot(page, "user", width)
    assert axe_violations(page, "user", width) == []

    page.goto(page.url.split("/moderate/")[0] + "/moderate/daily/?queue=reported")
    loaded(page)
    assert page.locator(".mod-card").count() == 1
    assert page_width(page) <= width
    assert axe_violations(page, "reported", width) == []


def test_question_mark_opens_the_key_list_and_escape_closes_it(desk, open_desk, width):
    held(desk["story"], desk["reader"], "Held for the keys test")
    page = open_desk()
    loaded(page)
    keys = page.locator("#keys")
    assert not keys.is_visible()
    page.keyboard.press("?")
    keys.wait_for()
    text = keys.inner_text()
    for key, label in [
        ("1", "Pending"),
        ("2", "Reported"),
        ("3", "Unmoderated"),
        ("4", "Rejected"),
    ]:
        assert f"{key}\n{label} queue" in text or f"{key}\t{label} queue" in text, text
    assert "Approved queue" in text and "5" in text
    assert "undo" in text.lower()
    page.keyboard.press("Escape")
    keys.wait_for(state="hidden")
    # The button opens it too (a phone has no "?" key to spare).
    page.get_by_role("button", name="Keyboard shortcuts").click()
    keys.wait_for()
    page.keyboard.press("Escape")
    keys.wait_for(state="hidden")


def test_r_preselects_the_flagged_reason_and_enter_rejects(desk, open_desk, width):
    threat = held(
        desk["story"], desk["reader"], "I will find you after the meeting", "model_threat"
    )
    page = open_desk()
    loaded(page)
    assert focused_id(page) == str(threat.pk)
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    checked = page.locator("#dialog input[type=radio]:checked")
    assert checked.get_attribute("value") == "model_threat"
    assert checked.evaluate("(e) => e === document.activeElement")
    assert "(flagged)" in page.locator("#dialog label[for='dlg-ground-model_threat']").inner_text()
    page.keyboard.press("Enter")  # two keys in all: r, Enter
    page.locator(f".mod-card[data-id='{threat.pk}']").wait_for(state="detached")
    wait_status(threat, "rejected", page)
    assert threat.rejection_reason == "Threat"
    assert "Rejected" in page.locator("#status").inner_text()


def test_a_number_key_in_the_dialog_picks_another_reason(desk, open_desk, width):
    from civility.moderation.queries import moderator_grounds

    comment = held(desk["story"], desk["reader"], "Buy cheap watches here", "model_insult")
    page = open_desk()
    loaded(page)
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    third_code, third_label = moderator_grounds()[2]
    page.keyboard.press("3")
    assert page.locator("#dialog input[type=radio]:checked").get_attribute("value") == third_code
    page.keyboard.press("Enter")  # three keys: r, 3, Enter
    wait_status(comment, "rejected", page)
    assert comment.rejection_reason == third_label


def test_undo_a_single_action_by_toast_and_by_u(desk, open_desk, width):
    from civility.moderation.models import AuditEntry

    comment = held(desk["story"], desk["reader"], "Held, approved, undone")
    page = open_desk()
    loaded(page)
    card = page.locator(f".mod-card[data-id='{comment.pk}']")
    page.keyboard.press("a")
    card.wait_for(state="detached")
    wait_status(comment, "approved", page)
    toast = page.locator("#toast")
    assert toast.is_visible() and "Approved" in toast.inner_text()
    assert page_width(page) <= width
    shot(page, "toast", width)
    page.get_by_role("button", name="Undo (u)").click()
    card.wait_for()
    wait_status(comment, "pending", page)
    assert "Undone" in page.locator("#status").inner_text()
    # Again, with the key: reject (r, Enter), then u.
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    page.keyboard.press("Enter")
    card.wait_for(state="detached")
    wait_status(comment, "rejected", page)
    page.keyboard.press("u")
    card.wait_for()
    wait_status(comment, "pending", page)
    assert comment.rejection_reason == ""
    assert focused_id(page) == str(comment.pk)
    undos = list(
        AuditEntry.objects.filter(action__endswith=".undone").values_list("action", flat=True)
    )
    assert sorted(undos) == ["comment.approved.undone", "comment.rejected.undone"]


def test_bulk_approve_and_reject_both_offer_undo(desk, open_desk, width):
    from civility.comments.models import Comment

    story, reader = desk["story"], desk["reader"]
    comments = [held(story, reader, f"Bulk comment {i}", "model_insult") for i in range(3)]
    ids = [c.pk for c in comments]
    page = open_desk()
    loaded(page)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert "2 comments selected" in page.locator("#selection").inner_text()
    page.keyboard.press("A")  # no dialog: it acts at once, and offers undo like R
    page.wait_for_function("() => document.querySelectorAll('.mod-card').length === 1")
    assert Comment.objects.filter(pk__in=ids, status="approved").count() == 2
    assert "Approved 2 comments" in page.locator("#toast").inner_text()
    page.keyboard.press("u")
    page.wait_for_function("() => document.querySelectorAll('.mod-card').length === 3")
    assert Comment.objects.filter(pk__in=ids, status="pending").count() == 3
    # The first card brought back takes the focus, whichever reload lists it first.
    first_back_focused = (
        "id => document.querySelector('.mod-card.mod-focused')?.getAttribute('data-id') === id"
    )
    page.wait_for_function(first_back_focused, arg=str(ids[0]), timeout=5000)
    assert focused_id(page) == str(ids[0])

    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("R")
    page.locator("#dialog").wait_for()
    assert (
        page.locator("#dialog input[type=radio]:checked").get_attribute("value") == "model_insult"
    )
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.mod-card').length === 1")
    assert Comment.objects.filter(pk__in=ids, status="rejected").count() == 2
    assert "Rejected 2 comments" in page.locator("#toast").inner_text()
    page.get_by_role("button", name="Undo (u)").click()
    page.wait_for_function("() => document.querySelectorAll('.mod-card').length === 3")
    assert Comment.objects.filter(pk__in=ids, status="pending").count() == 3


def test_every_queue_has_a_key(desk, open_desk, width):
    held(desk["story"], desk["reader"], "Held for the queue keys")
    page = open_desk()
    loaded(page)
    for key, queue in [
        ("2", "reported"),
        ("3", "unmoderated"),
        ("4", "rejected"),
        ("5", "approved"),
        ("1", "pending"),
    ]:
        page.keyboard.press(key)
        page.wait_for_url(f"**/moderate/daily/?queue={queue}")
        loaded(page)
        current = page.locator("#tabs a[aria-current=page]")
        assert current.get_attribute("data-queue") == queue
        assert current.get_attribute("aria-keyshortcuts") == key
        assert page_width(page) <= width


def test_comment_page_approve_undo_and_reject(desk, open_desk, width):
    comment = held(desk["story"], desk["reader"], "Decide me on my own page", "model_threat")
    page = open_desk(f"comments/{comment.pk}/")
    page.get_by_role("button", name="Approve (a)").click()
    page.locator(".mod-card[data-status='approved']").wait_for()
    wait_status(comment, "approved", page)
    assert "Approved" in page.locator("#toast").inner_text()
    page.get_by_role("button", name="Undo (u)").click()
    page.locator(".mod-card[data-status='pending']").wait_for()
    wait_status(comment, "pending", page)
    assert "comment.approved.undone" in page.locator("[data-testid=audit]").inner_text()
    assert "Undone: approved" in page.locator("#status").inner_text()
    # The keyboard works here too: r, Enter rejects with the flagged reason.
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    assert (
        page.locator("#dialog input[type=radio]:checked").get_attribute("value") == "model_threat"
    )
    page.keyboard.press("Enter")
    page.locator(".mod-card[data-status='rejected']").wait_for()
    wait_status(comment, "rejected", page)
    assert comment.rejection_reason == "Threat"
    page.keyboard.press("u")
    page.locator(".mod-card[data-status='pending']").wait_for()
    wait_status(comment, "pending", page)


def test_relative_dates_with_the_exact_time_and_plurals(desk, open_desk, width):
    from civility.audit import record
    from civility.comments.models import Comment

    comment = held(desk["story"], desk["reader"], "Posted a little while ago")
    record("comment.created", comment=comment, actor=desk["reader"], after="pending")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    page = open_desk()
    loaded(page)
    when = page.locator(f".mod-card[data-id='{comment.pk}'] .mod-card-head time")
    assert when.inner_text() == "3 min ago"
    assert when.get_attribute("datetime").startswith(str(timezone.now().year))
    assert str(timezone.now().year) in when.get_attribute("title")
    history = page.locator(f".mod-card[data-id='{comment.pk}'] .mod-history").inner_text()
    assert "1 comment ·" in history and "1 comments" not in history
    assert "0 reports" in history

    page.goto(page.url.split("/moderate/")[0] + f"/moderate/daily/comments/{comment.pk}/")
    page.locator("#comment-actions").wait_for()
    head_time = page.locator(".mod-card-head time")
    assert head_time.inner_text() == "3 min ago"
    audit_time = page.locator("[data-testid=audit] time").first
    assert audit_time.inner_text().endswith("ago") or audit_time.inner_text() == "just now"
    assert str(timezone.now().year) in audit_time.get_attribute("title")
    assert "1 comment ·" in page.locator(".mod-history").inner_text()


def test_a_campaign_is_one_card_in_the_keyboard_order_with_undo(desk, open_desk, width):
    """A campaign's comments are folded into its card: one item for j/k, a and r+Enter act on
    all of it (undo with u), o shows its members; a story's queue says what else it reaches."""
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments.models import Comment, Story
    from civility.moderation.models import Statement

    story = desk["story"]
    other = Story.objects.create(site=desk["site"], url="https://news.example/b", title="Parking")
    text = "Sign the petition at example.org today!"
    members = [held(story, User.objects.create_user(f"acc{i}"), text) for i in range(2)]
    members.append(held(other, User.objects.create_user("acc2"), text))
    ids = [m.pk for m in members]
    lone = held(story, desk["reader"], "The bus lanes are a fine idea, honestly.", "model_insult")

    # The story's queue: the campaign reached it, and the card says it goes further.
    page = open_desk()
    loaded(page)
    page.goto(page.url.split("/moderate/")[0] + f"/moderate/daily/?queue=pending&story={other.pk}")
    loaded(page)
    page.locator("body[data-campaigns='1']").wait_for()
    assert page.locator(".mod-card").count() == 0 and page.locator(".mod-item").count() == 1
    expect(page.locator(".dsa-campaign .dsa-scope")).to_contain_text(
        "1 of the 3 comments are on this story; approving or rejecting acts on all 3, on 2 stories"
    )
    assert page_width(page) <= width

    page = open_desk()
    loaded(page)
    page.locator("body[data-campaigns='1']").wait_for()
    campaign = page.locator(".dsa-campaign")
    expect(campaign).to_contain_text("3 near-same comments from 3 accounts")
    assert campaign.locator(".dsa-scope").count() == 0  # the whole site's queue: no caveat
    # Its members are not listed one by one (nor labelled "campaign 1"): one card, one item.
    assert page.locator(".mod-card").count() == 1 and page.locator(".mod-item").count() == 2
    assert page.locator(".mod-card", has_text=text).count() == 0
    expect(campaign).to_have_attribute("aria-current", "true")
    page.keyboard.press("j")
    assert focused_id(page) == str(lone.pk)
    page.keyboard.press("j")  # the end of the list
    assert focused_id(page) == str(lone.pk)
    page.keyboard.press("k")
    expect(campaign).to_have_class(re.compile(r"\bmod-focused\b"))

    # o shows the members (and hides them again); the expanded card passes axe too.
    toggle = campaign.get_by_role("button", name="Show the 3 comments")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("o")
    expect(campaign.locator(".dsa-members")).to_be_visible()
    assert sorted(
        int(m.get_attribute("data-id")) for m in campaign.locator(".dsa-member").all()
    ) == sorted(ids)
    expect(campaign.locator(".dsa-member").first).to_contain_text("acc0")
    expect(campaign.get_by_role("button", name="Hide the comments")).to_have_attribute(
        "aria-expanded", "true"
    )
    shot(page, "queue-campaign-open", width)
    assert axe_violations(page, "queue-campaign-open", width) == []
    page.keyboard.press("o")
    expect(campaign.locator(".dsa-members")).to_be_hidden()

    # r, Enter: the whole campaign, with the preselected ground (spam), in one step.
    page.keyboard.press("r")
    page.locator("#dialog").wait_for()
    assert page.locator("#dialog input[value=spam]").is_checked()
    page.keyboard.press("Enter")
    page.locator("#toast", has_text="Rejected 3 comments").wait_for()
    assert Comment.objects.filter(pk__in=ids, status="rejected").count() == 3
    assert {s.ground for s in Statement.objects.filter(comment_id__in=ids)} == {"spam"}
    page.wait_for_function("() => document.querySelectorAll('.mod-item').length === 1")
    assert focused_id(page) == str(lone.pk)

    page.keyboard.press("u")
    page.locator("#status", has_text="Undone").wait_for()
    page.locator("body[data-campaigns='1']").wait_for()
    page.wait_for_function("() => document.querySelectorAll('.mod-item').length === 2")
    assert Comment.objects.filter(pk__in=ids, status="pending").count() == 3
    # The undone rejections' statements of reasons are withdrawn, not in force.
    assert not Statement.objects.filter(comment_id__in=ids, withdrawn_at__isnull=True).exists()
    expect(campaign).to_have_attribute("aria-current", "true")  # the focus came back to it

    # a: the whole campaign approved, again one key.
    page.keyboard.press("a")
    page.locator("#toast", has_text="Approved 3 comments").wait_for()
    assert Comment.objects.filter(pk__in=ids, status="approved").count() == 3
    page.wait_for_function("() => document.querySelectorAll('.mod-item').length === 1")
    assert Comment.objects.get(pk=lone.pk).status == "pending"
    assert page_width(page) <= width
