"""Readers' data rights: account deletion (self-service and on request), data export, and the
guarantee that deleting a user never takes other people's replies with it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.db import models, transaction
from django.test import Client

from tests.comments.conftest import ORIGIN, Api

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_PHRASE = "my neighbour Hieronymus at 12 Elm Street"


def _comment(story: Any, author: Any, body: str, parent: Any = None, **kw: Any) -> Any:
    from civility.clientip import hash_ip
    from civility.comments.actions import store_comment

    with transaction.atomic():
        return store_comment(
            story=story,
            author=author,
            body=body,
            parent=parent,
            status=kw.pop("status", "approved"),
            ip_hash=hash_ip("203.0.113.7"),
            reasons=kw.pop("reasons", None),
            scores=kw.pop("scores", None),
        )


@pytest.fixture
def world(site, story, reader, other_reader, make_reader):
    """Alice (the reader who leaves) wrote a comment Bob replied to, a reply to Bob, liked and
    reported Bob's comment; a moderator noted and banned her; all through the actions."""
    from civility.comments import actions
    from civility.moderation import actions as mod_actions
    from civility.moderation.models import SiteMembership

    alice, alice_api = reader
    bob, bob_api = other_reader
    alice.display_name = "Alice Liddell"
    alice.save()
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user=alice,  # stands in for an admin who edited her account in /admin/
        content_type=ContentType.objects.get_for_model(alice),
        object_id=str(alice.pk),
        object_repr="alice@example.org",
        action_flag=CHANGE,
        change_message="Changed display name to Alice Liddell",
    )
    mod, _ = make_reader("desk-mod")
    SiteMembership.objects.create(site=site, user=mod, role="moderator")
    top = _comment(
        story,
        alice,
        f"About {SECRET_PHRASE}.",
        scores={"version": "t", "scores": {"TOXICITY": 0.1}, "spans": []},
        reasons=[{"action": "approve", "code": "ok", "message": f"fine: {SECRET_PHRASE}"}],
    )
    bobs = _comment(story, bob, "Bob answers Alice.", parent=top)
    alices_reply = _comment(story, alice, "Alice answers Bob back.", parent=bobs)
    bobs_reply = _comment(story, bob, "And Bob again.", parent=alices_reply)
    pending = _comment(story, alice, "Alice, held.", status="pending")
    actions.toggle_reaction(comment=bobs, user=alice)
    actions.toggle_reaction(comment=top, user=bob)
    actions.report_comment(
        comment=bobs, user=alice, reason="other", message="Bob is my ex, alice@example.org"
    )
    mod_actions.add_user_note(mod, site, alice.pk, "Alice Liddell phoned about her comments")
    return {
        "alice": alice,
        "alice_api": alice_api,
        "bob": bob,
        "bob_api": bob_api,
        "mod": mod,
        "top": top,
        "bobs": bobs,
        "alices_reply": alices_reply,
        "bobs_reply": bobs_reply,
        "pending": pending,
    }


def _all_text() -> str:
    """Every text and JSON value stored in every table, as one string."""
    out = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            out.append(json.dumps(row, default=str, ensure_ascii=False))
    return "\n".join(out)


# --- deletion never cascades -------------------------------------------------------------------


def test_deleting_a_user_row_is_refused_instead_of_taking_replies(world):
    from django.db.models import RestrictedError

    from civility.comments.models import Comment

    with pytest.raises(RestrictedError):
        world["alice"].delete()
    assert Comment.objects.filter(pk=world["bobs"].pk, parent=world["top"]).exists()
    assert Comment.objects.count() == 5
    # A comment with replies cannot be removed from under them either.
    with pytest.raises(RestrictedError):
        Comment.objects.get(pk=world["top"].pk).delete()


def test_a_story_still_deletes_its_whole_thread_and_a_user_without_comments_goes(world, story):
    from civility.accounts.models import User
    from civility.comments.models import Comment

    lurker = User.objects.create_user(username="lurker", password="pw-lurker-lurker")
    lurker.delete()
    story.delete()  # replies point at parents being deleted in the same cascade: allowed
    assert Comment.objects.count() == 0


# --- self-service deletion -------------------------------------------------------------------


def test_reader_deletes_their_account_from_the_api(world, anon, story):
    from civility.accounts.data_rights import pseudonym
    from civility.accounts.models import User
    from civility.comments.models import Comment, Reaction, Report
    from civility.moderation.actions import actor_name
    from civility.moderation.models import AuditEntry, UserNote

    alice, api = world["alice"], world["alice_api"]
    assert api.call("DELETE", "/me", {}).status_code == 400  # no confirmation
    r = api.call("DELETE", "/me", {"confirm": True, "password": "wrong"})
    assert r.status_code == 401 and r.json_body["error"]["code"] == "bad_credentials"
    assert User.objects.get(pk=alice.pk).is_active

    r = api.call("DELETE", "/me", {"confirm": True, "password": "pw-alicealice"})
    assert r.status_code == 200, r.content
    assert r.json_body["deleted"] is True and r.json_body["comments"] == 3

    # The account: anonymized, inactive, its token dead.
    gone = User.objects.get(pk=alice.pk)
    assert gone.username == pseudonym(alice.pk) and gone.username.startswith("deleted-user-")
    assert (gone.email, gone.display_name, gone.is_active) == ("", "", False)
    assert not gone.has_usable_password()
    assert api.get("/auth/me").status_code == 401
    assert api.get("/me/export").status_code == 401

    # Her comments: placeholders, in place.
    for key in ("top", "alices_reply", "pending"):
        c = Comment.objects.get(pk=world[key].pk)
        assert (c.status, c.body, c.html, c.ip_hash) == ("deleted", "", "", "")
        assert c.moderation_reasons == [] and c.scores == {}
    # Other people's replies keep their place and parent links.
    assert Comment.objects.get(pk=world["bobs"].pk).parent_id == world["top"].pk
    assert Comment.objects.get(pk=world["bobs_reply"].pk).parent_id == world["alices_reply"].pk
    assert Comment.objects.get(pk=world["bobs"].pk).status == "approved"

    thread = anon.get(f"/stories/{story.pk}/comments?sort=oldest").json_body
    [root] = thread["comments"]
    assert root["id"] == world["top"].pk and root["status"] == "deleted"
    assert root["author"] is None and root["html"] == "" and root["deleted_text"]
    [bobs] = root["replies"]
    assert bobs["author"]["name"] == "bob" and "Bob answers" in bobs["html"]
    assert bobs["replies"][0]["status"] == "deleted"
    assert "And Bob again" in bobs["replies"][0]["replies"][0]["html"]
    assert thread["total"] == 2  # Bob's two comments

    # Reactions gone (and counted down), report kept without its message, notes gone.
    assert not Reaction.objects.filter(user=alice).exists()
    assert Comment.objects.get(pk=world["bobs"].pk).reaction_count == 0
    report = Report.objects.get(reporter=alice)
    assert report.message == "" and report.reason == "other"
    assert not UserNote.objects.filter(user=alice).exists()

    # Nothing anywhere still names her or repeats what she wrote.
    everything = _all_text()
    for needle in ("alice@example.org", "Alice Liddell", "Hieronymus", "Alice answers Bob"):
        assert needle not in everything, needle
    assert "alice" not in {u.username for u in User.objects.all()}

    # The audit log keeps who did what, under the pseudonym.
    own = AuditEntry.objects.filter(actor_id=alice.pk)
    assert {"comment.reacted", "comment.reported", "user.erased"} <= set(
        own.values_list("action", flat=True)
    )
    assert {actor_name(e.actor) for e in own.select_related("actor")} == {pseudonym(alice.pk)}
    erased = AuditEntry.objects.get(action="user.erased")
    assert erased.target_user_id == alice.pk and erased.data["comments"] == 3
    assert AuditEntry.objects.filter(action="comment.erased").count() == 3
    assert AuditEntry.objects.get(action="user.note").reason == "[erased]"

    # Twice is refused (the token is dead, so: 401).
    again = api.call("DELETE", "/me", {"confirm": True, "password": "pw-alicealice"})
    assert again.status_code == 401


def test_guest_and_sso_accounts_confirm_without_a_password(site, story):
    import time

    import jwt

    from civility.accounts.models import User

    anon_api = Api()
    guest = anon_api.post("/auth/guest", {"site": "news", "name": "Gus Guest"}).json_body
    g = Api(guest["token"])
    r = g.call("DELETE", "/me", {"confirm": True})
    assert r.status_code == 200, r.content
    assert not User.objects.get(pk=guest["user"]["id"]).is_active

    now = int(time.time())
    claims = {
        "jti": "j1",
        "iat": now,
        "exp": now + 300,
        "user": {"id": "pub-42", "email": "s@x.org"},
    }
    token = jwt.encode(claims, site.sso_secret, algorithm="HS256")
    sso = anon_api.post("/auth/sso", {"site": "news", "token": token}).json_body
    s = Api(sso["token"])
    assert s.call("DELETE", "/me", {"confirm": True}).status_code == 200
    erased = User.objects.get(pk=sso["user"]["id"])
    assert (erased.sso_id, erased.sso_site_id, erased.email) == ("", None, "")
    # Signing in through the publisher again starts a fresh account.
    claims["jti"] = "j2"
    again = anon_api.post(
        "/auth/sso", {"site": "news", "token": jwt.encode(claims, site.sso_secret, "HS256")}
    )
    assert again.status_code == 200 and again.json_body["user"]["id"] != erased.pk


def test_the_deletion_password_cannot_be_guessed_with_a_stolen_token(world):
    from civility.accounts.models import User

    alice, api = world["alice"], world["alice_api"]
    codes = [
        api.call("DELETE", "/me", {"confirm": True, "password": f"guess-{i}"}).status_code
        for i in range(7)
    ]
    assert codes == [401] * 5 + [429] * 2
    r = api.call("DELETE", "/me", {"confirm": True, "password": "pw-alicealice"})
    assert r.status_code == 429 and 1 <= int(r["Retry-After"]) <= 3600  # even the right one
    assert User.objects.get(pk=alice.pk).is_active


def test_a_platform_admin_cannot_delete_their_own_account(make_reader):
    user, token = make_reader("root", is_superuser=True)
    r = Api(token).call("DELETE", "/me", {"confirm": True, "password": "pw-rootroot"})
    assert r.status_code == 403 and r.json_body["error"]["code"] == "platform_admin"


# --- export ----------------------------------------------------------------------------------


def test_reader_downloads_all_their_data(world, anon):
    from civility.moderation.models import AuditEntry

    assert anon.get("/me/export").status_code == 401
    r = world["alice_api"].get("/me/export")
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["Cache-Control"] == "no-store"
    data = r.json_body
    assert data["format"] == "civility-user-data" and data["scope"] == "all"
    assert data["profile"]["email"] == "alice@example.org"
    assert data["profile"]["display_name"] == "Alice Liddell"
    assert data["profile"]["kind"] == "local"
    assert "password" not in json.dumps(data["profile"]).replace("has_password", "")
    by_id = {c["id"]: c for c in data["comments"]}
    assert set(by_id) == {world[k].pk for k in ("top", "alices_reply", "pending")}
    top = by_id[world["top"].pk]
    assert top["body"].startswith("About my neighbour") and top["status"] == "approved"
    assert top["created_at"] and top["story"]["url"] == f"{ORIGIN}/2026/a-story"
    assert top["model_scores"] == {"TOXICITY": 0.1}
    assert by_id[world["pending"].pk]["status"] == "pending"
    assert by_id[world["alices_reply"].pk]["parent_id"] == world["bobs"].pk
    assert data["reactions"] == [
        {
            "comment_id": world["bobs"].pk,
            "site": "news",
            "kind": "like",
            "created_at": data["reactions"][0]["created_at"],
        }
    ]
    assert data["reports"][0]["message"] == "Bob is my ex, alice@example.org"
    assert data["moderator_notes"][0]["text"] == "Alice Liddell phoned about her comments"
    assert data["notification_settings"] == {
        "replies": False,
        "moderation": False,
        "email_verified_at": None,
        "last_notified_at": None,
        "waiting": [],
    }
    assert any(e["action"] == "comment.reported" and e["by_you"] for e in data["activity_log"])
    # Bob's data is not in it.
    assert "Bob answers" not in json.dumps(data)
    assert AuditEntry.objects.filter(action="user.exported", actor=world["alice"]).exists()

    me = world["alice_api"].get("/me").json_body
    assert me["account"] == {
        "kind": "local",
        "email": "alice@example.org",
        "joined": me["account"]["joined"],
        "has_password": True,
        "email_verified": False,
    }


# --- on request, from the desk ---------------------------------------------------------------


def _desk(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_moderator_exports_a_readers_data_on_request(world, site):
    from civility.comments.models import Site, Story
    from civility.moderation.models import AuditEntry

    elsewhere = Site.objects.create(name="Other", slug="other", allowed_origins=["*"])
    other_story = Story.objects.create(site=elsewhere, url="https://o.example/x")
    _comment(other_story, world["alice"], "Alice on another site.")
    url = f"/moderate/news/users/{world['alice'].pk}/export/"
    desk = _desk(world["mod"])
    assert desk.get(url).status_code == 405
    refused = desk.post(url, {"reason": ""})
    assert refused.status_code == 400
    r = desk.post(url, {"reason": "e-mail of 30 Nov, ticket 77"})
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    data = json.loads(r.content)
    assert data["scope"] == {"site": "news"}
    assert len(data["comments"]) == 3  # this site's part only
    assert "another site" not in r.content.decode()
    entry = AuditEntry.objects.get(action="user.exported")
    assert (entry.actor, entry.target_user, entry.reason) == (
        world["mod"],
        world["alice"],
        "e-mail of 30 Nov, ticket 77",
    )
    # Another site's moderator gets nothing.
    from civility.moderation.models import SiteMembership

    outsider = world["bob"]
    SiteMembership.objects.create(site=elsewhere, user=outsider, role="admin")
    assert _desk(outsider).post(url, {"reason": "x"}).status_code == 403


def test_moderator_erases_a_reader_on_request_audited(world, site):
    from civility.accounts.data_rights import pseudonym
    from civility.accounts.models import User
    from civility.comments.models import Comment
    from civility.moderation.models import AuditEntry

    alice = world["alice"]
    desk = _desk(world["mod"])
    page = desk.get(f"/moderate/news/users/{alice.pk}/")
    assert b"Erase this reader" in page.content
    url = f"/moderate/news/users/{alice.pk}/erase/"
    assert desk.post(url, {"reason": "ticket 78"}).status_code == 400  # not confirmed
    assert User.objects.get(pk=alice.pk).is_active
    r = desk.post(url, {"reason": "ticket 78", "confirm": "yes"}, follow=True)
    assert r.status_code == 200
    assert pseudonym(alice.pk).encode() in r.content
    assert b"Erase this reader" not in r.content  # nothing left to erase
    assert not User.objects.get(pk=alice.pk).is_active
    assert Comment.objects.get(pk=world["top"].pk).status == "deleted"
    entry = AuditEntry.objects.get(action="user.erased")
    assert (entry.actor, entry.reason, entry.site) == (world["mod"], "ticket 78", site)
    # The audit table on the page names the erased actor by pseudonym.
    assert r.content.count(pseudonym(alice.pk).encode()) >= 2
    again = desk.post(url, {"reason": "ticket 78", "confirm": "yes"})
    assert again.status_code == 409


def test_site_staff_cannot_erase_beyond_their_sites_or_staff(world, site, make_reader):
    from civility.comments.models import Site, Story
    from civility.moderation.models import SiteMembership

    elsewhere = Site.objects.create(name="Other", slug="other", allowed_origins=["*"])
    _comment(Story.objects.create(site=elsewhere, url="https://o.example/x"), world["alice"], "Hi")
    url = f"/moderate/news/users/{world['alice'].pk}/erase/"
    data = {"reason": "ticket 79", "confirm": "yes"}
    r = _desk(world["mod"]).post(url, data)
    assert r.status_code == 403 and b"platform admin" in r.content
    # A staff member cannot be erased by a site moderator, nor themself.
    colleague, _ = make_reader("colleague")
    SiteMembership.objects.create(site=site, user=colleague, role="moderator")
    _comment(world["top"].story, colleague, "Mod speaking.")
    staff_url = f"/moderate/news/users/{colleague.pk}/erase/"
    assert _desk(world["mod"]).post(staff_url, data).status_code == 403
    assert _desk(colleague).post(staff_url, data).status_code == 400
    # A platform admin may erase the reader everywhere.
    root, _ = make_reader("root", is_superuser=True)
    assert _desk(root).post(url, data).status_code == 302
