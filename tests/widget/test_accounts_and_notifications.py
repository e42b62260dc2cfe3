"""Accounts that recover and notifications (issue 14, items 2 and 3) in Debian's Chromium at 1280
and 390 px: a password reset from the widget through the mailed link, address verification,
opting in to notification e-mail and the one-click unsubscribe page, the reply badge and the "N
new comments" bar, sign-out that revokes the token on the server, and a password change. Mail is
received by a real SMTP server the test starts (aiosmtpd); screenshots in test-output/widget/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from tests.mailserver import body, link
from tests.tasks.helpers import drain, wait_for

from .helpers import SHOTS, shot
from .test_widget_a11y import AXE, RUN_AXE, axe_violations, serious


def page_violations(page: Any, name: str, width: int) -> list[dict[str, Any]]:
    """axe-core on one of the account pages (serious and critical only)."""
    import json

    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/widget")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(RUN_AXE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"axe-{name}-{width}.json").write_text(json.dumps(found, indent=2))
    return serious(found)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "bus lanes forever 9"


@pytest.fixture(autouse=True)
def _no_grace(settings: Any) -> None:
    settings.NOTIFY_GRACE_SECONDS = 0  # mail as soon as allowed (no undo window to wait out)


@pytest.fixture
def public_url(widget: dict[str, Any], settings: Any) -> str:
    """Links in the mail lead to the live server."""
    settings.PUBLIC_URL = widget["civility"]
    return widget["civility"]


def _reader(email: str, name: str, verified: bool = False) -> Any:
    from civility.accounts.models import User

    user = User.objects.create_user(
        username=email, email=email, password=PASSWORD, display_name=name
    )
    if verified:
        user.email_verified_at = timezone.now()
        user.save()
    return user


def _sign_in(frame: Any, email: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    frame.get_by_role("button", name="Sign in").first.click()
    frame.get_by_label("Email").fill(email)
    frame.get_by_label("Password").fill(password)
    frame.locator("form[aria-label='Sign in']").get_by_role("button", name="Sign in").click()
    expect(frame.get_by_text("Signed in as")).to_be_visible()


def _bearer_tokens(page: Any) -> list[str]:
    """The bearer tokens the widget sends, in order (its storage is out of reach: a third-party
    iframe's localStorage is blocked, so the token lives in the widget's memory)."""
    seen: list[str] = []

    def note(request: Any) -> None:
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer ") and (not seen or seen[-1] != auth[7:]):
            seen.append(auth[7:])

    page.on("request", note)
    return seen


def test_password_reset_from_the_widget_through_the_mailed_link(
    widget, open_page, width, mailbox, public_url
):
    from playwright.sync_api import expect

    _reader("rosa@example.org", "Rosa")
    page, frame = open_page(widget["url"])
    frame.get_by_role("button", name="Sign in").first.click()
    frame.get_by_label("Email").fill("rosa@example.org")
    frame.get_by_role("button", name="Forgot your password?").click()
    form = frame.locator("form[aria-label='Reset your password']")
    expect(form.get_by_label("Email")).to_have_value("rosa@example.org")
    form.get_by_role("button", name="Send me a link").click()
    expect(form.get_by_role("status")).to_contain_text("If an account uses this address")
    shot(page, "reset-requested", width)

    drain()
    [mail] = mailbox.receive("rosa@example.org")
    url = link(mail, "/accounts/reset/")
    assert url.startswith(public_url)
    reset = page.context.new_page()
    reset.goto(url)
    expect(reset.get_by_role("heading", name="Choose a new password")).to_be_visible()
    reset.get_by_label("New password", exact=True).fill("brand new lanes 7")
    reset.get_by_label("The new password again").fill("brand new lanes 7")
    shot(reset, "reset-form", width)
    assert page_violations(reset, "reset-page", width) == []
    reset.get_by_role("button", name="Save the new password").click()
    expect(reset.get_by_role("status")).to_contain_text("Your password is changed")
    shot(reset, "reset-done", width)

    # The old password no longer works; the new one does.
    frame.get_by_role("button", name="Back to sign in").click()
    frame.get_by_label("Email").fill("rosa@example.org")
    frame.get_by_label("Password").fill(PASSWORD)
    frame.locator("form[aria-label='Sign in']").get_by_role("button", name="Sign in").click()
    expect(frame.locator(".civ-error")).to_have_text("Wrong email or password.")
    frame.get_by_label("Password").fill("brand new lanes 7")
    frame.locator("form[aria-label='Sign in']").get_by_role("button", name="Sign in").click()
    expect(frame.get_by_text("Signed in as")).to_be_visible()


def test_verify_opt_in_reply_badge_new_comments_and_unsubscribe(
    widget, open_page, width, mailbox, public_url
):
    from playwright.sync_api import expect

    from civility.accounts.models import User

    page, frame = open_page(widget["url"])
    frame.get_by_role("button", name="Create account").click()
    frame.get_by_label("Email").fill("lena@example.org")
    frame.get_by_label("Display name").fill("Lena")
    frame.get_by_label("Password").fill(PASSWORD)
    frame.locator("form[aria-label='Create account']").get_by_role(
        "button", name="Create account"
    ).click()
    expect(frame.get_by_text("Signed in as")).to_be_visible()

    # Settings: notifications are off until asked for; the address is not confirmed yet.
    frame.get_by_role("button", name="Settings", exact=True).click()
    replies = frame.get_by_label("When someone replies to me")
    expect(replies).not_to_be_checked()
    expect(frame.locator(".civ-settings .civ-warning")).to_contain_text("not confirmed yet")
    replies.check()
    frame.get_by_role("button", name="Save notification settings").click()
    expect(frame.locator(".civ-settings .civ-toast")).to_contain_text(
        "Notifications start once you confirm it"
    )
    shot(page, "notifications-opt-in", width)

    drain()  # the sign-up's confirmation link (and the opt-in's, if not rate-limited)
    url = link(mailbox.receive("lena@example.org")[0], "/accounts/verify/")
    confirm = page.context.new_page()
    confirm.goto(url)
    expect(confirm.get_by_role("status")).to_contain_text("lena@example.org is confirmed")
    shot(confirm, "email-verified", width)
    lena = User.objects.get(email="lena@example.org")
    assert lena.email_verified_at is not None and lena.notify_replies

    # Lena comments; then, while she reads, Maria answers her and Tom writes elsewhere.
    frame.get_by_label("Add a comment").fill("The bus lanes will make my commute quicker.")
    frame.get_by_role("button", name="Post comment").click()
    mine = frame.locator(".civ-comment", has_text="make my commute quicker")
    expect(mine).to_be_visible()
    from civility.comments.models import Comment

    own = Comment.objects.get(author=lena)
    if own.status != "approved":  # a busy model may hold it a moment: publish it for the test
        Comment.objects.filter(pk=own.pk).update(status="approved")
        page.reload()
        expect(frame.locator(".civ-comment", has_text="make my commute quicker")).to_be_visible()
    from django.db import transaction

    from civility.accounts.models import User as U
    from civility.comments.actions import store_comment

    tom = U.objects.create_user(username="tom", display_name="Tom")
    with transaction.atomic():
        reply = store_comment(
            story=widget["story"],
            author=widget["maria"],
            body="Mine too, Lena!",
            status="approved",
            parent=own,
        )
        store_comment(
            story=widget["story"],
            author=tom,
            body="Parking is the real problem.",
            status="approved",
        )
    badge = frame.locator(".civ-reply-badge")
    expect(badge).to_have_text("1 reply to you")
    expect(frame.locator(".civ-new-bar")).to_contain_text("2 new comments")
    expect(frame.locator(".civ-comment.civ-new")).to_have_count(2)  # marked until seen
    badge.scroll_into_view_if_needed()
    shot(page, "reply-badge-and-new-comments", width)
    if AXE.exists():  # the settings panel, the badge and the bar, in the widget's frame
        assert serious(axe_violations(page, "settings-badge-new-comments", width)) == []
    badge.click()
    expect(frame.locator(f"#comment-{reply.pk}")).to_have_class(re.compile("civ-target"))
    expect(badge).to_be_hidden()
    frame.locator(".civ-new-bar").get_by_role("button").click()
    expect(frame.locator(".civ-new-bar")).to_be_hidden()
    expect(frame.locator(".civ-comment.civ-new")).to_have_count(0)

    # The reply e-mail, with its one-click unsubscribe; the page asks before it acts.
    drain()
    notice = [m for m in mailbox.to("lena@example.org") if "List-Unsubscribe" in m]
    assert len(notice) == 1 and notice[0]["Subject"] == "Maria Lopez replied to your comment"
    assert "Mine too, Lena!" in body(notice[0])
    unsubscribe = page.context.new_page()
    unsubscribe.goto(str(notice[0]["List-Unsubscribe"]).strip().strip("<>"))
    expect(unsubscribe.get_by_text("Stop all notification e-mail")).to_be_visible()
    unsubscribe.get_by_role("button", name="Unsubscribe").click()
    expect(unsubscribe.get_by_role("status")).to_contain_text("gets no more notification e-mail")
    shot(unsubscribe, "unsubscribed", width)
    assert page_violations(unsubscribe, "unsubscribe-page", width) == []
    lena.refresh_from_db()
    assert not lena.notify_replies


def test_sign_out_revokes_the_token_and_a_password_change_keeps_this_device(
    widget, open_page, width, public_url
):
    from playwright.sync_api import expect

    from civility.accounts import tokens

    _reader("sam@example.org", "Sam", verified=True)
    page, frame = open_page(widget["url"])
    sent = _bearer_tokens(page)
    _sign_in(frame, "sam@example.org")
    wait_for(lambda: sent)
    first = sent[-1]
    assert tokens.verify(first) is not None
    frame.get_by_role("button", name="Sign out").click()
    expect(frame.locator(".civ-toast", has_text="Signed out.")).to_be_visible()
    wait_for(lambda: tokens.verify(first) is None)  # revoked on the server, not just forgotten

    _sign_in(frame, "sam@example.org")
    wait_for(lambda: sent[-1] != first)
    second = sent[-1]
    frame.get_by_role("button", name="Settings", exact=True).click()
    frame.get_by_label("Current password").fill(PASSWORD)
    frame.get_by_label("New password").fill("sam's newer secret 8")
    frame.locator("form[aria-label='Change password']").get_by_role(
        "button", name="Change password"
    ).click()
    expect(frame.locator(".civ-settings .civ-toast")).to_contain_text("Your password is changed")
    shot(page, "password-changed", width)
    assert tokens.verify(second) is None  # every earlier sign-in ended
    # This device carries on with the new token: the next call the widget makes is signed in.
    frame.get_by_role("button", name="Settings", exact=True).click()
    frame.get_by_role("button", name="Settings", exact=True).click()
    expect(frame.get_by_label("When someone replies to me")).to_be_visible()
    wait_for(lambda: sent[-1] != second)
    assert tokens.verify(sent[-1]) is not None
