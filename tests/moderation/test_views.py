"""The /moderate/ pages and JSON API: permissions, queues, cards, actions, settings, audit."""

import json

import pytest
from django.test import Client

from civility.comments.models import Comment, Report
from civility.moderation.models import AuditEntry, SiteBan, WordRule

pytestmark = pytest.mark.django_db


def client_for(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def post(c, url, data=None):
    return c.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def endpoints(site, story, pending, commenter):
    s = site.slug
    api = f"/moderate/{s}/api/"
    return [
        ("get", f"/moderate/{s}/", None),
        ("get", f"/moderate/{s}/?queue=reported", None),
        ("get", f"/moderate/{s}/settings/", None),
        ("post", f"/moderate/{s}/settings/", {}),
        ("get", f"/moderate/{s}/comments/{pending.pk}/", None),
        ("get", f"/moderate/{s}/users/{commenter.pk}/", None),
        ("get", api + "queue?queue=pending", None),
        ("get", api + "events", None),
        ("get", api + f"comments/{pending.pk}/audit", None),
        ("get", api + f"users/{commenter.pk}/audit", None),
        ("post", api + f"comments/{pending.pk}/approve", {}),
        ("post", api + f"comments/{pending.pk}/reject", {"reason": "x"}),
        ("post", api + f"comments/{pending.pk}/feature", {}),
        ("post", api + f"comments/{pending.pk}/unfeature", {}),
        ("post", api + f"comments/{pending.pk}/dismiss", {}),
        ("post", api + "bulk", {"action": "approve", "ids": [pending.pk]}),
        ("post", api + f"users/{commenter.pk}/ban", {"reason": "x"}),
        ("post", api + f"users/{commenter.pk}/suspend", {"reason": "x", "hours": 2}),
        ("post", api + f"users/{commenter.pk}/unban", {}),
        ("post", api + f"users/{commenter.pk}/note", {"text": "x"}),
        ("post", api + f"stories/{story.pk}/close", {}),
        ("post", api + f"stories/{story.pk}/open", {}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "commenter", "other_moderator"])
def test_every_endpoint_refuses_outsiders(who, request, endpoints, pending, commenter):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    c = client_for(user)
    for method, url, data in endpoints:
        if method == "get":
            resp = c.get(url)
        elif "/api/" in url:
            resp = post(c, url, data)
        else:
            resp = c.post(url, data)
        assert resp.status_code == 403, (who, method, url, resp.status_code)
        if "/api/" in url:
            body = resp.json()
            assert body["error"]["code"] in {"login_required", "forbidden"}
            assert body["error"]["message"]
    assert Comment.objects.get(pk=pending.pk).status == "pending"
    assert not SiteBan.objects.exists()
    assert not AuditEntry.objects.exists()


def test_index_refuses_outsiders_and_redirects_staff(commenter, moderator, site):
    assert client_for().get("/moderate/").status_code == 403
    assert client_for(commenter).get("/moderate/").status_code == 403
    resp = client_for(moderator).get("/moderate/")
    assert resp.status_code == 302 and resp["Location"] == f"/moderate/{site.slug}/"


def test_moderator_cannot_reach_other_sites_comment_through_own_site(
    moderator, site, make_comment, other_story
):
    theirs = make_comment("theirs", story=other_story)
    c = client_for(moderator)
    resp = post(c, f"/moderate/{site.slug}/api/comments/{theirs.pk}/approve")
    assert resp.status_code == 404
    assert Comment.objects.get(pk=theirs.pk).status == "pending"
    resp = post(c, f"/moderate/{site.slug}/api/bulk", {"action": "approve", "ids": [theirs.pk]})
    assert resp.status_code == 404
    assert Comment.objects.get(pk=theirs.pk).status == "pending"


def test_queue_page_renders_for_moderator(moderator, site, pending):
    resp = client_for(moderator).get(f"/moderate/{site.slug}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="cards"' in html and "moderation.js" in html
    # The key list waits behind "?", with a key for each of the five queues.
    assert 'id="keys"' in html and "<kbd>j</kbd> / <kbd>k</kbd>" in html
    assert "<kbd>5</kbd></dt><dd>Approved queue" in html


def test_pending_card_explains_why_with_highlight(moderator, site, make_comment, make_user):
    parent = make_comment("The original point", status="approved", author=make_user("alice"))
    held = make_comment(
        "You are an idiot and a moron",
        parent=parent,
        moderation_reasons=[
            {
                "action": "hold",
                "code": "suspect_word",
                "message": 'Suspect word "idiot"',
                "start": 11,
                "end": 16,
                "matched": "idiot",
            }
        ],
        scores={
            "version": "t1",
            "scores": {"INSULT": 0.91, "TOXICITY": 0.88},
            "spans": [{"start": 23, "end": 28, "attribute": "INSULT", "score": 0.9}],
        },
    )
    data = client_for(moderator).get(f"/moderate/{site.slug}/api/queue?queue=pending").json()
    [card] = [c for c in data["cards"] if c["id"] == held.pk]
    assert (
        '<mark class="hl hl-rule" title="Suspect word &quot;idiot&quot;">idiot</mark>'
        in (card["body_html"])
    )
    assert '<mark class="hl hl-model" title="INSULT 0.90">moron</mark>' in card["body_html"]
    assert card["parent"]["body"] == "The original point"
    assert card["story"]["title"] == "War report"
    assert card["author"]["comments"] == 1 and card["author"]["account_age_days"] == 0
    assert card["scores"]["INSULT"] == 0.91
    assert data["counts"]["pending"] == 1


def test_body_is_escaped_in_cards(moderator, site, make_comment):
    make_comment("<script>alert(1)</script>")
    data = client_for(moderator).get(f"/moderate/{site.slug}/api/queue").json()
    assert "<script>" not in data["cards"][0]["body_html"]
    assert "&lt;script&gt;" in data["cards"][0]["body_html"]


def test_queues_sort_comments(moderator, moderator2, site, make_comment, make_user):
    make_comment("held")
    auto = make_comment("auto", status="approved")
    reviewed = make_comment("reviewed", status="approved")
    rejected = make_comment("bad", status="rejected", rejection_reason="spam")
    reported = make_comment("reported", status="approved")
    Report.objects.create(comment=reported, reporter=make_user("r1"), reason="hate")
    Report.objects.create(comment=reported, reporter=make_user("r2"), reason="hate")
    c = client_for(moderator)
    post(c, f"/moderate/{site.slug}/api/comments/{reviewed.pk}/approve")

    def ids(q):
        return [
            card["id"]
            for card in c.get(f"/moderate/{site.slug}/api/queue?queue={q}").json()["cards"]
        ]

    assert reviewed.pk not in ids("unmoderated") and auto.pk in ids("unmoderated")
    assert ids("rejected") == [rejected.pk]
    reported_cards = c.get(f"/moderate/{site.slug}/api/queue?queue=reported").json()["cards"]
    assert [x["id"] for x in reported_cards] == [reported.pk]
    assert reported_cards[0]["reports"] == {"hate": 2}
    assert c.get(f"/moderate/{site.slug}/api/queue?queue=nope").status_code == 400


def test_approve_and_conflict_over_http(moderator, moderator2, site, pending):
    url = f"/moderate/{site.slug}/api/comments/{pending.pk}/approve"
    resp = post(client_for(moderator), url, {"expected_status": "pending"})
    assert resp.status_code == 200 and resp.json()["comment"]["status"] == "approved"
    resp = post(client_for(moderator2), url, {"expected_status": "pending"})
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "already_handled"
    assert "mod_a" in resp.json()["error"]["message"]


def test_bad_input_is_refused_with_json_reason(moderator, site, pending, commenter):
    c = client_for(moderator)
    api = f"/moderate/{site.slug}/api/"
    cases = [
        (c.post(api + f"comments/{pending.pk}/reject", "{", content_type="application/json"), 400),
        (post(c, api + f"comments/{pending.pk}/reject", {"reason": ""}), 400),
        (post(c, api + f"comments/{pending.pk}/explode", {}), 404),
        (post(c, api + "comments/999999/approve", {}), 404),
        (post(c, api + f"users/{commenter.pk}/suspend", {"reason": "x", "hours": "lots"}), 400),
        (post(c, api + f"users/{commenter.pk}/ban", {"reason": "x" * 501}), 400),
        (post(c, api + "bulk", {"action": "approve", "ids": "1,2"}), 400),
        (post(c, api + "bulk", {"action": "shred", "ids": [pending.pk]}), 400),
    ]
    for resp, status in cases:
        assert resp.status_code == status, resp.content
        assert resp.json()["error"]["message"]
    assert Comment.objects.get(pk=pending.pk).status == "pending"
    assert not SiteBan.objects.exists()
    assert not AuditEntry.objects.exists()


def test_user_actions_over_http(moderator, site, pending, commenter):
    c = client_for(moderator)
    api = f"/moderate/{site.slug}/api/users/{commenter.pk}/"
    assert post(c, api + "note", {"text": "first warning"}).status_code == 200
    resp = post(c, api + "suspend", {"reason": "cool off", "hours": 48})
    assert resp.status_code == 200 and resp.json()["user"]["suspended_until"]
    assert post(c, api + "unban").status_code == 200
    resp = post(c, api + "ban", {"reason": "abuse"})
    assert resp.status_code == 200 and resp.json()["user"]["banned"] is True
    assert SiteBan.objects.get(site=site, user=commenter).until is None
    page = c.get(f"/moderate/{site.slug}/users/{commenter.pk}/").content.decode()
    assert "first warning" in page and "banned" in page
    audit = c.get(f"/moderate/{site.slug}/api/users/{commenter.pk}/audit").json()["entries"]
    # The suspension rejected the comment that was awaiting review (the user's history says so);
    # each decision came with its statement of reasons (EU DSA Art. 17).
    assert [e["action"] for e in audit] == [
        "statement.issued",
        "user.banned",
        "user.unbanned",
        "statement.issued",
        "comment.rejected",
        "statement.issued",
        "user.suspended",
        "user.note",
    ]


def test_comment_page_shows_audit_log(moderator, site, pending):
    c = client_for(moderator)
    post(c, f"/moderate/{site.slug}/api/comments/{pending.pk}/reject", {"reason": "Insult"})
    html = c.get(f"/moderate/{site.slug}/comments/{pending.pk}/").content.decode()
    assert "comment.rejected" in html and "Insult" in html and "mod_a" in html
    # The audit log has no edit/delete endpoint; the admin refuses changes too.
    from civility.moderation.admin import AuditEntryAdmin

    assert not AuditEntryAdmin.has_change_permission(None, None)
    assert not AuditEntryAdmin.has_delete_permission(None, None)


def test_story_close_and_open_over_http(moderator, site, story):
    c = client_for(moderator)
    api = f"/moderate/{site.slug}/api/stories/{story.pk}/"
    assert post(c, api + "close").json()["story"]["closed"] is True
    assert post(c, api + "close").status_code == 409
    assert post(c, api + "open").json()["story"]["closed"] is False


def test_settings_only_for_site_admins(moderator, site_admin, site):
    assert client_for(moderator).get(f"/moderate/{site.slug}/settings/").status_code == 403
    c = client_for(site_admin)
    assert c.get(f"/moderate/{site.slug}/settings/").status_code == 200
    form = {
        "premoderation": "all",
        "new_commenter_threshold": "3",
        "max_links": "1",
        "hold_THREAT": "0.4",
        "reject_THREAT": "0.9",
        "new_phrases": "idiot\nmoron",
        "new_action": "reject",
    }
    resp = c.post(f"/moderate/{site.slug}/settings/", form)
    assert resp.status_code == 200
    site.refresh_from_db()
    assert (site.premoderation, site.new_commenter_threshold, site.max_links) == ("all", 3, 1)
    assert site.settings["thresholds"]["THREAT"] == {"hold": 0.4, "reject": 0.9}
    assert set(WordRule.objects.filter(site=site).values_list("phrase", "action")) == {
        ("idiot", "reject"),
        ("moron", "reject"),
    }
    assert AuditEntry.objects.filter(action="site.settings", actor=site_admin).count() == 1


def test_bad_settings_store_nothing(site_admin, site):
    c = client_for(site_admin)
    form = {
        "premoderation": "all",
        "new_commenter_threshold": "3",
        "max_links": "1",
        "hold_THREAT": "0.9",
        "reject_THREAT": "0.4",
        "new_phrases": "idiot",
    }
    resp = c.post(f"/moderate/{site.slug}/settings/", form)
    assert resp.status_code == 400
    assert b"below the hold" in resp.content
    site.refresh_from_db()
    assert site.premoderation == "none"
    assert not WordRule.objects.exists()


def test_sse_stream_delivers_queue_events(moderator, site, pending):
    from civility import events

    c = client_for(moderator)
    resp = c.get(f"/moderate/{site.slug}/api/events")
    assert resp["Content-Type"] == "text/event-stream"
    stream = iter(resp.streaming_content)
    try:
        first = next(stream)
        assert b"event: ready" in first
        events._deliver_local(
            f"site:{site.pk}:queue", {"type": "comment.approved", "comment_id": 7}
        )
        event = next(stream)  # the next chunk is that event, sent as soon as it is delivered
        assert b"event: queue" in event and b'"comment_id":7' in event
    finally:
        resp.close()  # the desk goes away: the stream ends without waiting out its length


def test_per_story_view_and_its_isolation(moderator, site, story, other_story, make_comment):
    from civility.comments.models import Story

    elsewhere = Story.objects.create(site=site, url="https://news.example/b", title="B")
    mine = make_comment("on the war report")
    make_comment("on story B", story=elsewhere)
    c = client_for(moderator)
    page = c.get(f"/moderate/{site.slug}/?story={story.pk}")
    assert page.status_code == 200 and b"War report" in page.content
    data = c.get(f"/moderate/{site.slug}/api/queue?queue=pending&story={story.pk}").json()
    assert [card["id"] for card in data["cards"]] == [mine.pk]
    assert data["counts"]["pending"] == 1
    assert c.get(f"/moderate/{site.slug}/api/queue?story={other_story.pk}").status_code == 404
    assert c.get(f"/moderate/{site.slug}/?story={other_story.pk}").status_code == 404


def test_ban_option_must_be_a_boolean(site, commenter, moderator, pending):
    from django.test import Client

    c = Client()
    c.force_login(moderator)
    url = f"/moderate/{site.slug}/api/users/{commenter.pk}/ban"
    r = post(c, url, {"reason": "Spam", "reject_pending": "no"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    pending.refresh_from_db()
    assert pending.status == "pending"
    r = post(c, url, {"reason": "Spam", "reject_pending": False})
    assert r.status_code == 200
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_queue_limit_grows_the_page_and_is_checked(site, story, moderator, make_comment):
    from django.test import Client

    for i in range(55):
        make_comment(f"held {i}")
    c = Client()
    c.force_login(moderator)
    url = f"/moderate/{site.slug}/api/queue?queue=pending"
    data = c.get(url).json()
    assert len(data["cards"]) == 50 and data["counts"]["pending"] == 55
    assert len(c.get(url + "&limit=100").json()["cards"]) == 55
    for bad in ("0", "501", "many"):
        r = c.get(url + f"&limit={bad}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_limit"
