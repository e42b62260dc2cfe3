"""The reader API end to end through Django: posting, threads, edits, reactions, reports, counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civility.comments.models import Comment, Reaction, Report, Story
from civility.moderation.models import AuditEntry

from .conftest import ORIGIN, Api

pytestmark = pytest.mark.django_db


def post(api: Api, story, body: str, parent: int | None = None):
    return api.post(f"/stories/{story.pk}/comments", {"body": body, "parent_id": parent})


def test_post_reply_and_read_nested_thread(story, reader, other_reader, anon):
    _, alice = reader
    _, bob = other_reader
    r = post(alice, story, "First **take**")
    assert r.status_code == 201, r.json_body
    top = r.json_body["comment"]
    assert top["status"] == "approved" and top["html"] == "<p>First <strong>take</strong></p>"
    r = post(bob, story, "I disagree", parent=top["id"])
    assert r.status_code == 201
    reply = r.json_body["comment"]
    assert reply["parent_id"] == top["id"] and reply["depth"] == 1

    thread = anon.get(f"/stories/{story.pk}/comments").json_body
    assert thread["total"] == 2 and thread["top_level_total"] == 1
    [root] = thread["comments"]
    assert root["id"] == top["id"] and root["author"]["name"] == "alice"
    assert [c["id"] for c in root["replies"]] == [reply["id"]]
    # Audit entries were written by the actions.
    assert AuditEntry.objects.filter(action="comment.created").count() == 2


def test_sorting_and_load_more(story, make_reader, anon):
    users = [make_reader() for _ in range(5)]
    ids = []
    for i, (_, token) in enumerate(users):
        ids.append(post(Api(token), story, f"comment number {i}").json_body["comment"]["id"])
    # Most reacted: two reactions on the second comment, one on the fourth.
    Api(users[0][1]).post(f"/comments/{ids[1]}/reactions", {})
    Api(users[2][1]).post(f"/comments/{ids[1]}/reactions", {})
    Api(users[0][1]).post(f"/comments/{ids[3]}/reactions", {})

    def order(sort: str) -> list[int]:
        return [
            c["id"]
            for c in anon.get(f"/stories/{story.pk}/comments?sort={sort}").json_body["comments"]
        ]

    assert order("oldest") == ids
    assert order("newest") == ids[::-1]
    assert order("reactions")[:2] == [ids[1], ids[3]]

    page1 = anon.get(f"/stories/{story.pk}/comments?sort=oldest&limit=2").json_body
    assert [c["id"] for c in page1["comments"]] == ids[:2] and page1["next_offset"] == 2
    page3 = anon.get(f"/stories/{story.pk}/comments?sort=oldest&limit=2&offset=4").json_body
    assert [c["id"] for c in page3["comments"]] == ids[4:] and page3["next_offset"] is None


def test_deep_threads_are_cut_and_continue(site, story, make_reader, anon):
    from civility.comments.queries import MAX_DEPTH

    site.rate_limit_per_minute = 100  # the test client posts from one IP
    site.save()
    parent = None
    chain = []
    for _ in range(MAX_DEPTH + 3):
        _, token = make_reader()
        c = post(Api(token), story, f"level {len(chain)}", parent=parent).json_body["comment"]
        chain.append(c["id"])
        parent = c["id"]
    node = anon.get(f"/stories/{story.pk}/comments").json_body["comments"][0]
    for _ in range(MAX_DEPTH):
        node = node["replies"][0]
    assert node["replies"] == [] and node["more_replies"] == 2
    sub = anon.get(f"/comments/{node['id']}/thread").json_body["comment"]
    assert sub["id"] == node["id"] and sub["replies"][0]["id"] == chain[MAX_DEPTH + 1]


def test_held_comment_is_visible_only_to_its_author(site, story, reader, other_reader, anon):
    site.premoderation = "all"
    site.save()
    user, alice = reader
    r = post(alice, story, "Please review me")
    assert r.status_code == 201
    assert r.json_body["comment"]["status"] == "pending"
    assert r.json_body["message"] == "Your comment is awaiting moderation."
    cid = r.json_body["comment"]["id"]
    assert anon.get(f"/stories/{story.pk}/comments").json_body["total"] == 0
    mine = alice.get(f"/stories/{story.pk}/me").json_body
    assert [c["id"] for c in mine["pending"]] == [cid]
    assert other_reader[1].get(f"/stories/{story.pk}/me").json_body["pending"] == []


def test_edit_and_delete_own_comment_within_window(site, story, reader, other_reader, anon):
    _, alice = reader
    cid = post(alice, story, "Tpyo here").json_body["comment"]["id"]
    assert other_reader[1].patch(f"/comments/{cid}", {"body": "hijack"}).status_code == 403
    r = alice.patch(f"/comments/{cid}", {"body": "Typo fixed"})
    assert r.status_code == 200 and r.json_body["comment"]["edited"] is True
    assert Comment.objects.get(pk=cid).body == "Typo fixed"
    # The edit window is configurable per site; past it, no edit and no delete.
    Comment.objects.filter(pk=cid).update(created_at=timezone.now() - timedelta(hours=1))
    site.edit_window_seconds = 600
    site.save()
    r = alice.patch(f"/comments/{cid}", {"body": "Too late"})
    assert r.status_code == 403 and r.json_body["error"]["code"] == "edit_window_closed"
    assert alice.delete(f"/comments/{cid}").status_code == 403
    Comment.objects.filter(pk=cid).update(created_at=timezone.now())
    r = alice.delete(f"/comments/{cid}")
    assert r.status_code == 200 and Comment.objects.get(pk=cid).status == "deleted"
    assert anon.get(f"/stories/{story.pk}/comments").json_body["comments"] == []


def test_deleted_parent_stays_as_placeholder_for_its_replies(story, reader, other_reader, anon):
    _, alice = reader
    cid = post(alice, story, "parent").json_body["comment"]["id"]
    post(other_reader[1], story, "child", parent=cid)
    alice.delete(f"/comments/{cid}")
    [root] = anon.get(f"/stories/{story.pk}/comments").json_body["comments"]
    assert root["status"] == "deleted" and root["html"] == "" and root["author"] is None
    assert root["replies"][0]["html"] == "<p>child</p>"


def test_reaction_toggles_and_counts(story, reader, other_reader):
    _, alice = reader
    cid = post(alice, story, "like me").json_body["comment"]["id"]
    bob = other_reader[1]
    r = bob.post(f"/comments/{cid}/reactions", {"kind": "like"})
    assert r.json_body == {"comment_id": cid, "reacted": True, "reaction_count": 1}
    assert bob.get(f"/stories/{story.pk}/me").json_body["reacted"] == [cid]
    r = bob.post(f"/comments/{cid}/reactions", {"kind": "like"})
    assert r.json_body["reacted"] is False and r.json_body["reaction_count"] == 0
    assert Reaction.objects.count() == 0
    assert bob.post(f"/comments/{cid}/reactions", {"kind": "angry"}).status_code == 400


def test_report_with_reason(story, reader, other_reader):
    _, alice = reader
    cid = post(alice, story, "report me").json_body["comment"]["id"]
    bob = other_reader[1]
    r = bob.post(f"/comments/{cid}/reports", {"reason": "spam", "message": "ad"})
    assert r.status_code == 201
    rep = Report.objects.get()
    assert (rep.reason, rep.message, rep.reporter_id) == ("spam", "ad", other_reader[0].pk)
    assert Comment.objects.get(pk=cid).report_count == 1
    again = bob.post(f"/comments/{cid}/reports", {"reason": "spam"})
    assert again.status_code == 409 and again.json_body["error"]["code"] == "already_reported"
    bad = bob.post(f"/comments/{cid}/reports", {"reason": "ugly"})
    assert bad.status_code == 400 and bad.json_body["error"]["code"] == "bad_reason"
    assert alice.post(f"/comments/{cid}/reports", {"reason": "spam"}).status_code == 403


def test_counts_for_a_list_of_urls(site, story, reader, anon):
    _, alice = reader
    post(alice, story, "one")
    post(alice, story, "two")
    other = Story.objects.create(site=site, url=f"{ORIGIN}/other", title="Other")
    r = anon.post(
        "/counts", {"site": "news", "urls": [story.url, other.url, f"{ORIGIN}/never", "nonsense"]}
    )
    assert r.json_body["counts"] == {
        story.url: 2,
        other.url: 0,
        f"{ORIGIN}/never": 0,
        "nonsense": 0,
    }
    r = anon.get(f"/counts?site=news&url={story.url}")
    assert r.json_body["counts"] == {story.url: 2}


def test_story_created_on_first_embed_only_for_allowed_origins(site, anon):
    r = anon.post("/stories", {"site": "news", "url": f"{ORIGIN}/new#comments", "title": "New"})
    assert r.status_code == 200 and r.json_body["url"] == f"{ORIGIN}/new"
    assert (
        anon.post("/stories", {"site": "news", "url": f"{ORIGIN}/new"}).json_body["id"]
        == r.json_body["id"]
    )
    r = anon.post("/stories", {"site": "news", "url": "https://evil.example/x"})
    assert r.status_code == 403 and r.json_body["error"]["code"] == "origin_not_allowed"
    r = anon.post("/stories", {"site": "nope", "url": f"{ORIGIN}/x"})
    assert r.status_code == 404 and r.json_body["error"]["code"] == "unknown_site"
    assert Story.objects.count() == 1


def test_embed_page_and_loader(site, client):
    r = client.get("/embed.js")
    assert r.status_code == 200 and b"civility-thread" in r.content
    r = client.get("/embed/thread", {"site": "news", "url": f"{ORIGIN}/a", "title": "A"})
    assert r.status_code == 200
    csp = r["Content-Security-Policy"]
    assert f"frame-ancestors {ORIGIN}" in csp and "script-src 'self'" in csp
    assert "X-Frame-Options" not in r
    assert not r.cookies  # reading needs no cookies
    r = client.get("/embed/thread", {"site": "news", "url": "https://evil.example/a"})
    assert r.status_code == 403 and b"may not embed" in r.content


def test_openapi_schema_lists_the_widget_endpoints(anon):
    schema = anon.get("/openapi.json").json_body
    paths = schema["paths"]
    for p in ["/api/v1/stories/{story_id}/comments", "/api/v1/counts", "/api/v1/auth/sso"]:
        assert p in paths


def test_count_js_and_cors_for_allowed_origins_only(story, reader, client):
    post(reader[1], story, "counted")
    assert client.get("/count.js").status_code == 200
    r = client.get("/api/v1/counts", {"site": "news", "url": story.url}, headers={"Origin": ORIGIN})
    assert r.json() == {"counts": {story.url: 1}, "labels": {story.url: "1 comment"}}
    assert r["Access-Control-Allow-Origin"] == ORIGIN
    r = client.get(
        "/api/v1/counts",
        {"site": "news", "url": story.url},
        headers={"Origin": "https://evil.example"},
    )
    assert "Access-Control-Allow-Origin" not in r


def test_rejected_author_sees_why_and_nobody_else_does(site, story, reader, other_reader, anon):
    from civility.accounts.models import User
    from civility.moderation import actions as moderation
    from civility.moderation.models import SiteMembership, WordRule

    WordRule.objects.create(site=site, phrase="scumbag", action="reject")
    _, alice = reader
    r = post(alice, story, "You are a scumbag")
    assert r.status_code == 201 and r.json_body["comment"]["status"] == "rejected"
    assert r.json_body["message"] == "Your comment was rejected."
    by_rule = r.json_body["comment"]["id"]

    kept = post(alice, story, "A fair point, made calmly").json_body["comment"]["id"]
    mod = User.objects.create_user(username="mod", email="mod@example.org", password="x" * 12)
    SiteMembership.objects.create(site=site, user=mod, role="moderator")
    moderation.reject(mod, kept, "Off topic for this story")

    mine = alice.get(f"/stories/{story.pk}/me").json_body
    reasons = {c["id"]: c["rejection_reason"] for c in mine["rejected"]}
    assert set(reasons) == {by_rule, kept}
    assert "scumbag" in reasons[by_rule]
    assert reasons[kept] == "Off topic for this story"
    assert other_reader[1].get(f"/stories/{story.pk}/me").json_body["rejected"] == []
    public = anon.get(f"/stories/{story.pk}/comments").json_body
    assert public["total"] == 0 and "rejection_reason" not in str(public)
