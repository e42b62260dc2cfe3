"""Notification e-mail (issue 14, item 3): opt-in, for replies and moderators' decisions, at most
one message per reader every NOTIFY_EVERY_MINUTES, with a signed one-click unsubscribe link and
the RFC 8058 headers; sent by the mail queue's worker, received here by a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.comments.conftest import Api
from tests.mailserver import body, link
from tests.tasks.helpers import drain

pytestmark = pytest.mark.django_db(transaction=True)


def _published(story, author, text, parent=None):
    """A comment as post_comment stores an approved one (the model's verdict is not what these
    tests are about), through the same store_comment, so the hook runs."""
    from django.db import transaction

    from civility.comments.actions import store_comment

    with transaction.atomic():
        return store_comment(
            story=story, author=author, body=text, status="approved", parent=parent
        )


@pytest.fixture(autouse=True)
def _no_grace(settings):
    """Mail as soon as allowed; the grace (the undo window) has a test of its own."""
    settings.NOTIFY_GRACE_SECONDS = 0


@pytest.fixture
def alice(make_reader):
    """A reader with a confirmed address who opted in to both kinds of notification."""
    user, token = make_reader("alice", display_name="Alice")
    user.email_verified_at = timezone.now()
    user.save()
    api = Api(token)
    resp = api.call("PUT", "/me/notifications", {"replies": True, "moderation": True})
    assert resp.status_code == 200 and resp.json_body["replies"] and resp.json_body["moderation"]
    user.refresh_from_db()
    return user, api


def _notices(mailbox, address):
    return [m for m in mailbox.to(address) if "List-Unsubscribe" in m]


def test_a_reply_is_mailed_once_with_one_click_unsubscribe(
    mailbox, story, alice, make_reader, settings
):
    settings.PUBLIC_URL = "https://comments.news.example"
    user, _ = alice
    bob, _ = make_reader("bob", display_name="Bob Stone")
    mine = _published(story, user, "Bus lanes will help everyone.")
    reply = _published(story, bob, "Not the cyclists, though. *Really* not.", parent=mine)
    drain()
    [mail] = mailbox.receive("alice@example.org")
    assert mail["Subject"] == "Bob Stone replied to your comment"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(mail["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe.startswith("https://comments.news.example/accounts/unsubscribe/")
    text = body(mail)
    assert "Not the cyclists, though. *Really* not." in text and '"A story"' in text
    assert f"https://news.example/2026/a-story#comment-{reply.pk}" in text
    assert unsubscribe in text  # the same link in the text, for readers without the button
    drain()
    assert len(mailbox.to("alice@example.org")) == 1  # sent once, not per worker pass

    # RFC 8058: the provider posts "List-Unsubscribe=One-Click", with no cookie and no CSRF token.
    client = Client(enforce_csrf_checks=True)
    path = urlsplit(unsubscribe).path
    looked = client.get(path)  # a link scanner's GET changes nothing
    assert looked.status_code == 200 and b"Unsubscribe" in looked.content
    user.refresh_from_db()
    assert user.notify_replies
    done = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and b"gets no more notification e-mail" in done.content
    user.refresh_from_db()
    assert not user.notify_replies and not user.notify_moderation
    _published(story, bob, "Still here?", parent=mine)
    drain()
    assert len(mailbox.to("alice@example.org")) == 1
    forged = client.post(path[:-3] + "xx/")
    assert forged.status_code == 400


def test_at_most_one_message_per_window_the_rest_waits_for_the_next(
    mailbox, story, alice, make_reader, settings
):
    from civility.accounts.models import Notification, User

    settings.NOTIFY_EVERY_MINUTES = 15
    user, _ = alice
    bob, _ = make_reader("bob", display_name="Bob")
    carol, _ = make_reader("carol", display_name="Carol")
    mine = _published(story, user, "First!")
    _published(story, bob, "Reply one.", parent=mine)
    drain()
    assert len(mailbox.receive("alice@example.org")) == 1
    _published(story, carol, "Reply two.", parent=mine)
    _published(story, bob, "Reply three.", parent=mine)
    drain()
    assert len(mailbox.to("alice@example.org")) == 1  # inside the window: they wait
    assert Notification.objects.filter(user=user, sent_at=None).count() == 2

    # The window passes (the clock is moved, not waited for): the task that was deferred to
    # its end runs, and both go in one message.
    User.objects.filter(pk=user.pk).update(last_notified_at=timezone.now() - timedelta(minutes=16))
    from civility.accounts.notifications import send_notifications

    send_notifications.enqueue(user.pk)
    drain()
    messages = mailbox.receive("alice@example.org", 2)
    assert len(messages) == 2
    assert messages[1]["Subject"] == "2 updates on your comments"
    assert "Reply two." in body(messages[1]) and "Reply three." in body(messages[1])
    assert not Notification.objects.filter(user=user, sent_at=None).exists()


def test_moderators_decisions_are_mailed_to_authors_who_asked(
    mailbox, story, alice, make_reader, site
):
    from django.db import transaction

    from civility.accounts.models import User
    from civility.comments.actions import store_comment
    from civility.moderation import actions as moderation
    from civility.moderation.models import SiteMembership

    user, _ = alice
    mod = User.objects.create_user(username="mod", display_name="Mo", password="pw-mod-123456")
    SiteMembership.objects.create(site=site, user=mod, role="moderator")
    with transaction.atomic():
        held = store_comment(story=story, author=user, body="Held for a human.", status="pending")
        other = store_comment(story=story, author=user, body="Another held one.", status="pending")
    moderation.approve(mod, held.pk)
    drain()
    [published] = _notices(mailbox, "alice@example.org")
    assert published["Subject"] == "Your comment is published"
    assert "Held for a human." in body(published)

    from civility.accounts.notifications import send_notifications

    User.objects.filter(pk=user.pk).update(last_notified_at=timezone.now() - timedelta(hours=1))
    moderation.reject(mod, other.pk, "Off topic for this story.")
    moderation.feature(mod, held.pk)
    drain()
    send_notifications.enqueue(user.pk)
    drain()
    notices = _notices(mailbox, "alice@example.org")
    assert len(notices) == 2
    text = body(notices[1])
    assert notices[1]["Subject"] == "2 updates on your comments"
    assert "A moderator rejected your comment" in text and "Off topic for this story." in text
    assert "A moderator featured your comment" in text


def test_nobody_is_mailed_without_opting_in_with_a_confirmed_address(mailbox, story, make_reader):
    from civility.accounts.models import Notification

    quiet, _ = make_reader("quiet")  # never opted in
    unconfirmed, token = make_reader("eager")
    resp = Api(token).call("PUT", "/me/notifications", {"replies": True})
    assert resp.status_code == 200 and resp.json_body["email_verified"] is False
    assert "Notifications start once you confirm it" in resp.json_body["message"]
    bob, _ = make_reader("bob")
    for parent_author in (quiet, unconfirmed):
        parent = _published(story, parent_author, "A comment.")
        _published(story, bob, "A reply.", parent=parent)
    _published(story, bob, "Replying to myself.", parent=_published(story, bob, "Mine."))
    drain()
    assert not Notification.objects.exists()
    # The only mail: the confirmation link the opt-in sent.
    [confirm] = mailbox.receive("eager@example.org")
    assert "/accounts/verify/" in link(confirm, "/accounts/verify/")
    assert not mailbox.to("quiet@example.org") and not mailbox.to("bob@example.org")


def test_preferences_through_the_api(story, make_reader, site):
    user, token = make_reader("pat")
    api = Api(token)
    got = api.get("/me/notifications")
    assert got.status_code == 200
    assert got.json_body == {
        "replies": False,
        "moderation": False,
        "email": "pat@example.org",
        "email_verified": False,
        "every_minutes": 15.0,
    }
    assert (
        api.call("PUT", "/me/notifications", {"moderation": True}).json_body["moderation"] is True
    )
    assert api.get("/me/notifications").json_body["replies"] is False  # left as it was
    for wrong in ("loud", 0, 1, "true"):  # strict booleans: nothing is guessed
        bad = api.call("PUT", "/me/notifications", {"replies": wrong})
        assert bad.status_code == 400 and "error" in bad.json_body, wrong
    assert Api().get("/me/notifications").status_code == 401
    guest = Api(Api().post("/auth/guest", {"site": "news", "name": "Gus"}).json_body["token"])
    refused = guest.call("PUT", "/me/notifications", {"replies": True})
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "no_email"


def test_a_lost_task_is_found_by_the_sweep(mailbox, story, alice, make_reader):
    from civility.accounts.models import Notification
    from civility.accounts.notifications import sweep

    user, _ = alice
    bob, _ = make_reader("bob")
    mine = _published(story, user, "Mine.")
    from django_tasks_db.models import DBTaskResult

    from civility.tasks.compat import TaskResultStatus

    _published(story, bob, "A reply whose task is lost.", parent=mine)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY, queue_name="mail").delete()
    assert sweep(force=True) == 0  # not overdue yet
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert sweep(force=True) == 1
    drain()
    assert "A reply whose task is lost." in body(mailbox.receive("alice@example.org")[0])


def test_erasing_the_account_forgets_what_was_waiting(story, alice, make_reader):
    from civility.accounts.data_rights import delete_own_account
    from civility.accounts.models import Notification

    user, _ = alice
    bob, _ = make_reader("bob")
    _published(story, bob, "A reply.", parent=_published(story, user, "Mine."))
    assert Notification.objects.filter(user=user).count() == 1
    delete_own_account(user=user, password="pw-alicealice", confirm=True)
    user.refresh_from_db()
    assert not Notification.objects.filter(user=user).exists()
    assert not user.notify_replies and user.email_verified_at is None


def test_the_first_mail_waits_out_the_undo_window_and_says_only_what_is_still_true(
    mailbox, story, alice, site, settings
):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from civility.accounts.models import User
    from civility.comments.actions import store_comment
    from civility.moderation import actions as moderation
    from civility.moderation.models import SiteMembership
    from civility.tasks.compat import TaskResultStatus

    settings.NOTIFY_GRACE_SECONDS = 60
    user, _ = alice
    mod = User.objects.create_user(username="mod", display_name="Mo", password="pw-mod-123456")
    SiteMembership.objects.create(site=site, user=mod, role="moderator")
    with transaction.atomic():
        held = store_comment(story=story, author=user, body="Held for a human.", status="pending")
    moderation.reject(mod, held.pk, "Off topic.")
    drain()
    assert not _notices(mailbox, "alice@example.org")  # waiting out the minute
    moderation.approve(mod, held.pk)  # the moderator changes their mind within it
    # The minute passes (the deferred task is made due rather than waited for).
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path="civility.accounts.notifications.send_notifications",
    )
    assert waiting.count() == 1
    waiting.update(run_after=timezone.now())
    drain()
    [notice] = _notices(mailbox, "alice@example.org")
    assert notice["Subject"] == "Your comment is published"  # the rejection was overturned
    assert "rejected" not in body(notice)
