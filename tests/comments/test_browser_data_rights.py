"""The widget's "Your data" panel in Chromium: a reader downloads their data and deletes their
account, on a publisher page of another origin; replies to them keep their place."""

from __future__ import annotations

import json

import pytest

from .test_browser import SHOTS, publisher, setup  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_downloads_their_data_and_deletes_their_account(browser, setup):  # noqa: F811
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments.models import Comment

    ann = User.objects.create_user(
        username="ann@example.org",
        email="ann@example.org",
        password="correct horse battery",
        display_name="Ann Reader",
    )
    bob = User.objects.create_user(username="bob", display_name="Bob")
    hers = Comment.objects.create(
        story=setup["story"],
        author=ann,
        body="Ann's view.",
        html="<p>Ann's view.</p>",
        status="approved",
    )
    reply = Comment.objects.create(
        story=setup["story"],
        author=bob,
        parent=hers,
        depth=1,
        body="Bob answers Ann.",
        html="<p>Bob answers Ann.</p>",
        status="approved",
    )

    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(setup["url"])
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.locator(".civ-count")).to_have_text("3 comments")
    frame.get_by_role("button", name="Sign in").click()
    frame.get_by_label("Email").fill("ann@example.org")
    frame.get_by_label("Password").fill("correct horse battery")
    frame.get_by_role("button", name="Sign in").last.click()
    expect(frame.get_by_text("Signed in as")).to_contain_text("Ann Reader")

    # Download my data.
    toggle = frame.get_by_role("button", name="Your data")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    with page.expect_download() as info:
        frame.get_by_role("button", name="Download my data").click()
    download = info.value
    assert download.suggested_filename == "civility-my-data.json"
    data = json.loads(open(download.path(), encoding="utf-8").read())
    assert data["profile"]["email"] == "ann@example.org"
    assert [c["body"] for c in data["comments"]] == ["Ann's view."]
    assert "Bob answers" not in json.dumps(data)

    # Delete my account: the password and an explicit tick are asked for.
    frame.get_by_role("button", name="Delete my account").click()
    form = frame.get_by_role("form", name="Delete my account")
    expect(form).to_contain_text("cannot be undone")
    frame.get_by_label("Your password").fill("wrong password")
    frame.get_by_role("button", name="Delete my account permanently").click()
    assert User.objects.get(pk=ann.pk).is_active  # the unticked box stopped the form
    frame.get_by_label("I understand").check()
    frame.get_by_role("button", name="Delete my account permanently").click()
    expect(form.locator(".civ-error")).to_contain_text("Wrong password")
    assert User.objects.get(pk=ann.pk).is_active
    frame.get_by_label("Your password").fill("correct horse battery")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "delete-account.png"), full_page=True)
    frame.get_by_role("button", name="Delete my account permanently").click()

    expect(frame.locator(".civ-live")).to_contain_text("Your account is deleted")
    expect(frame.get_by_text("Signed in as")).to_have_count(0)
    placeholder = frame.locator(f"#comment-{hers.pk}")
    expect(placeholder.locator(".civ-deleted").first).to_have_text("This comment was deleted.")
    expect(placeholder.locator(f"#comment-{reply.pk}")).to_contain_text("Bob answers Ann.")
    expect(frame.locator(".civ-count")).to_have_text("2 comments")
    page.screenshot(path=str(SHOTS / "account-deleted.png"), full_page=True)

    gone = User.objects.get(pk=ann.pk)
    assert not gone.is_active and gone.email == "" and gone.username.startswith("deleted-user-")
    assert Comment.objects.get(pk=hers.pk).body == ""
    assert Comment.objects.get(pk=reply.pk).parent_id == hers.pk
    ctx.close()
