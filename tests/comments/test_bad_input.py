"""Bad input gets a 4xx with {"error": {"code", "message"}} and stores nothing, not even half."""

from __future__ import annotations

import time

import jwt
import pytest

from civility.accounts.models import User
from civility.comments.models import Comment, Reaction, Report, Story
from civility.moderation.models import AuditEntry

from .conftest import ORIGIN, Api

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[int, ...]:
    return (
        Comment.objects.count(),
        AuditEntry.objects.count(),
        Story.objects.count(),
        Reaction.objects.count(),
        Report.objects.count(),
        User.objects.count(),
    )


def assert_error(resp, status: int, code: str) -> None:
    assert resp.status_code == status, (resp.status_code, resp.content)
    body = resp.json_body
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.fixture
def other_story(site):
    return Story.objects.create(site=site, url=f"{ORIGIN}/other", title="Other")


CASES = [
    (
        "empty body",
        lambda s, o: ("post", f"/stories/{s.pk}/comments", {"body": "   "}),
        400,
        "empty",
    ),
    (
        "over-long",
        lambda s, o: ("post", f"/stories/{s.pk}/comments", {"body": "x" * 5001}),
        400,
        "too_long",
    ),
    (
        "way over-long",
        lambda s, o: ("post", f"/stories/{s.pk}/comments", {"body": "x" * 200_000}),
        400,
        "too_long",
    ),
    (
        "unknown story",
        lambda s, o: ("post", "/stories/999999/comments", {"body": "hi"}),
        404,
        "unknown_story",
    ),
    (
        "unknown parent",
        lambda s, o: ("post", f"/stories/{s.pk}/comments", {"body": "hi", "parent_id": 999999}),
        404,
        "unknown_parent",
    ),
    (
        "missing body",
        lambda s, o: ("post", f"/stories/{s.pk}/comments", {"text": "hi"}),
        400,
        "invalid_request",
    ),
    (
        "body not a string",
        lambda s, o: ("post", f"/stories/{s.pk}/comments", {"body": {"x": 1}}),
        400,
        "invalid_request",
    ),
    (
        "unknown site",
        lambda s, o: ("post", "/stories", {"site": "nope", "url": f"{ORIGIN}/x"}),
        404,
        "unknown_site",
    ),
    (
        "origin not allowed",
        lambda s, o: ("post", "/stories", {"site": "news", "url": "https://evil.example/x"}),
        403,
        "origin_not_allowed",
    ),
    (
        "not a URL",
        lambda s, o: ("post", "/stories", {"site": "news", "url": "javascript:alert(1)"}),
        400,
        "bad_url",
    ),
    (
        "bad sort",
        lambda s, o: ("get", f"/stories/{s.pk}/comments?sort=random", None),
        400,
        "bad_sort",
    ),
    (
        "bad page",
        lambda s, o: ("get", f"/stories/{s.pk}/comments?limit=100000", None),
        400,
        "bad_page",
    ),
    (
        "counts unknown site",
        lambda s, o: ("post", "/counts", {"site": "nope", "urls": []}),
        404,
        "unknown_site",
    ),
]


@pytest.mark.parametrize("name,make,status,code", CASES, ids=[c[0] for c in CASES])
def test_bad_requests(story, other_story, reader, name, make, status, code):
    _, alice = reader
    method, path, body = make(story, other_story)
    before = snapshot()
    resp = alice.get(path) if method == "get" else alice.post(path, body)
    assert_error(resp, status, code)
    assert snapshot() == before


def test_parent_from_another_story(story, other_story, reader):
    _, alice = reader
    foreign = alice.post(f"/stories/{other_story.pk}/comments", {"body": "elsewhere"}).json_body
    before = snapshot()
    resp = alice.post(
        f"/stories/{story.pk}/comments", {"body": "hi", "parent_id": foreign["comment"]["id"]}
    )
    assert_error(resp, 400, "bad_parent")
    assert snapshot() == before


def test_closed_story(story, reader):
    story.closed = True
    story.save()
    before = snapshot()
    assert_error(
        reader[1].post(f"/stories/{story.pk}/comments", {"body": "hi"}), 403, "story_closed"
    )
    assert snapshot() == before


def test_malformed_json(story, reader):
    before = snapshot()
    resp = reader[1].post(f"/stories/{story.pk}/comments", raw='{"body": "unterminated')
    assert_error(resp, 400, "malformed_json")
    assert snapshot() == before


def test_no_token_or_forged_token(story, anon):
    before = snapshot()
    assert_error(anon.post(f"/stories/{story.pk}/comments", {"body": "hi"}), 401, "unauthenticated")
    forged = Api("eyJ1IjoxfQ:forged:signature")
    assert_error(
        forged.post(f"/stories/{story.pk}/comments", {"body": "hi"}), 401, "unauthenticated"
    )
    assert snapshot() == before


def test_duplicate_and_rate_limit(site, story, reader):
    _, alice = reader
    assert alice.post(f"/stories/{story.pk}/comments", {"body": "same"}).status_code == 201
    assert_error(alice.post(f"/stories/{story.pk}/comments", {"body": "same"}), 409, "duplicate")
    site.rate_limit_per_minute = 3  # the refused duplicate counted too
    site.save()
    assert alice.post(f"/stories/{story.pk}/comments", {"body": "second"}).status_code == 201
    before = snapshot()
    assert_error(
        alice.post(f"/stories/{story.pk}/comments", {"body": "third"}), 429, "rate_limited"
    )
    assert snapshot() == before


def test_banned_reader_is_refused(story, make_reader):
    _, token = make_reader(banned=True)
    before = snapshot()
    assert_error(Api(token).post(f"/stories/{story.pk}/comments", {"body": "hi"}), 403, "banned")
    assert snapshot() == before


def test_too_many_links_are_held_not_refused(story, reader):
    body = "see https://a.example https://b.example https://c.example"
    r = reader[1].post(f"/stories/{story.pk}/comments", {"body": body})
    assert r.status_code == 201 and r.json_body["comment"]["status"] == "pending"
    # The author is told why in plain words (civility.verdicts.READER_REASONS).
    assert "has more links than this site allows" in r.json_body["reasons"]


def test_html_injection_is_escaped(story, reader):
    r = reader[1].post(
        f"/stories/{story.pk}/comments", {"body": '<script>alert(1)</script><b onclick="x">b</b>'}
    )
    assert r.status_code == 201
    html = Comment.objects.get().html
    assert "<script" not in html and "<b" not in html and "&lt;script&gt;" in html


# --- SSO ------------------------------------------------------------------------------------


def sso_token(site, **over) -> str:
    now = int(time.time())
    claims = {
        "jti": "abc-123",
        "iat": now,
        "exp": now + 300,
        "user": {
            "id": "u-42",
            "email": "Reader@News.Example",
            "username": "Newsreader",
            "badges": ["subscriber"],
            "url": "https://news.example/u/42",
        },
    }
    claims.update(over)
    key = over.pop("_key", site.sso_secret) if "_key" in over else site.sso_secret
    claims.pop("_key", None)
    return jwt.encode(claims, key, algorithm="HS256")


def test_sso_creates_then_updates_the_user(site, story, anon):
    r = anon.post("/auth/sso", {"site": "news", "token": sso_token(site)})
    assert r.status_code == 200, r.json_body
    assert r.json_body["user"]["name"] == "Newsreader"
    assert r.json_body["user"]["badges"] == ["subscriber"]
    user = User.objects.get(sso_site=site, sso_id="u-42")
    assert user.email == "reader@news.example" and not user.has_usable_password()
    # The token it got posts comments.
    api = Api(r.json_body["token"])
    assert api.post(f"/stories/{story.pk}/comments", {"body": "via sso"}).status_code == 201
    claims_user = {"id": "u-42", "username": "Renamed", "email": "r@news.example"}
    token = sso_token(site, user=claims_user, jti="abc-124")  # each token signs in once
    r = anon.post("/auth/sso", {"site": "news", "token": token})
    assert r.json_body["user"]["name"] == "Renamed"
    assert User.objects.filter(sso_id="u-42").count() == 1


def test_sso_role_makes_staff_of_that_site_only(site, anon):
    from civility.moderation.models import SiteMembership

    token = sso_token(site, user={"id": "m1", "username": "Ed", "role": "moderator"})
    assert anon.post("/auth/sso", {"site": "news", "token": token}).status_code == 200
    m = SiteMembership.objects.get()
    assert (m.site_id, m.role, m.user.sso_id) == (site.pk, "moderator", "m1")


def test_sso_role_is_synced_both_ways_and_audited(site, anon):
    from civility.moderation.models import AuditEntry, SiteMembership

    def sign_in(role):
        user = {"id": "m1", "username": "Ed", "role": role}
        token = sso_token(site, user=user, jti=f"j-{role}-{time.time()}")
        assert anon.post("/auth/sso", {"site": "news", "token": token}).status_code == 200

    sign_in("moderator")
    sign_in("moderator")  # unchanged: no second entry
    sign_in("commenter")  # the publisher demoted Ed
    assert not SiteMembership.objects.exists()
    entries = list(AuditEntry.objects.filter(action__startswith="membership.").order_by("id"))
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("membership.granted", "", "moderator"),
        ("membership.revoked", "moderator", ""),
    ]
    assert all(e.target_user.sso_id == "m1" for e in entries)


@pytest.mark.parametrize(
    "label,over,code",
    [
        ("expired", {"exp": int(time.time()) - 10}, "sso_expired"),
        ("wrong key", {"_key": "not-the-site-secret-0123456789abcdef"}, "sso_invalid"),
        ("no jti", {"jti": None}, "sso_invalid"),
        ("no user id", {"user": {"username": "x"}}, "sso_invalid"),
    ],
)
def test_sso_rejects_bad_tokens(site, anon, label, over, code):
    if over.get("jti", "") is None:
        now = int(time.time())
        token = jwt.encode(
            {"iat": now, "exp": now + 60, "user": {"id": "1"}}, site.sso_secret, algorithm="HS256"
        )
    else:
        token = sso_token(site, **over)
    before = snapshot()
    assert_error(anon.post("/auth/sso", {"site": "news", "token": token}), 401, code)
    assert snapshot() == before


def test_sso_rejects_garbage_and_alg_none(site, anon):
    none_token = jwt.encode(
        {"jti": "1", "iat": 1, "exp": 9999999999, "user": {"id": "1"}}, None, algorithm="none"
    )
    for token in ["not-a-jwt", none_token]:
        assert_error(anon.post("/auth/sso", {"site": "news", "token": token}), 401, "sso_invalid")


# --- local accounts and guests ----------------------------------------------------------------


def test_signup_login_guest(site, story, anon):
    r = anon.post(
        "/auth/signup",
        {"email": "New@Example.org", "password": "a-long-pass-phrase", "display_name": "Newbie"},
    )
    assert r.status_code == 201 and r.json_body["user"]["name"] == "Newbie"
    assert_error(
        anon.post("/auth/signup", {"email": "new@example.org", "password": "another-long-one"}),
        409,
        "email_taken",
    )
    assert_error(
        anon.post("/auth/signup", {"email": "bad", "password": "a-long-pass-phrase"}),
        400,
        "invalid_email",
    )
    assert_error(
        anon.post("/auth/signup", {"email": "x@example.org", "password": "123"}),
        400,
        "weak_password",
    )
    r = anon.post("/auth/login", {"email": "new@example.org", "password": "a-long-pass-phrase"})
    assert (
        r.status_code == 200
        and Api(r.json_body["token"]).get("/auth/me").json_body["user"]["name"] == "Newbie"
    )
    assert_error(
        anon.post("/auth/login", {"email": "new@example.org", "password": "wrong"}),
        401,
        "bad_credentials",
    )
    r = anon.post("/auth/guest", {"site": "news", "name": "Passer-by"})
    assert r.status_code == 201 and r.json_body["user"]["guest"] is True
    site.allow_guests = False
    site.save()
    assert_error(anon.post("/auth/guest", {"site": "news", "name": "Nope"}), 403, "guests_disabled")


def test_each_site_decides_which_identities_may_comment(site, story, anon, reader):
    guest = Api(anon.post("/auth/guest", {"site": "news", "name": "G"}).json_body["token"])
    sso = Api(anon.post("/auth/sso", {"site": "news", "token": sso_token(site)}).json_body["token"])
    other = Story.objects.create(
        site=type(site).objects.create(name="Other", slug="other", allowed_origins=["*"]),
        url="https://other.example/a",
    )
    before = snapshot()
    assert_error(sso.post(f"/stories/{other.pk}/comments", {"body": "hi"}), 403, "wrong_site")
    site.allow_guests = False
    site.allow_local_accounts = False
    site.save()
    assert_error(
        guest.post(f"/stories/{story.pk}/comments", {"body": "hi"}), 403, "guests_disabled"
    )
    assert_error(
        reader[1].post(f"/stories/{story.pk}/comments", {"body": "hi"}),
        403,
        "local_accounts_disabled",
    )
    assert snapshot() == before
    assert sso.post(f"/stories/{story.pk}/comments", {"body": "hi"}).status_code == 201
