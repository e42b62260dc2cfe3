"""civility.db.lookups returns what the ORM returns: same values, same Python types (aware
datetimes, bools, decoded JSON), instances that save as updates. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civility.accounts.models import User
from civility.comments.models import Comment, Site, Story
from civility.db.lookups import (
    RowsOf,
    fetch_joined,
    fetch_one,
    fetch_one_and_exists,
    fetch_values,
    fetched,
    rows_for,
)
from civility.moderation.models import SiteBan, WordRule
from civility.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def world():
    site = Site.objects.create(
        name="Lookup News",
        slug="lookup",
        allowed_origins=["https://lookup.example", "*"],
        settings={"thresholds": {"THREAT": {"hold": 0.5}}, "note": "ü"},
    )
    story = Story.objects.create(site=site, url="https://lookup.example/a", title="A", closed=True)
    user = User.objects.create_user(
        username="lookup",
        email="l@example.org",
        password="pw-lookup-lookup",
        badges=["subscriber", "staff"],
        suspended_until=timezone.now() + timedelta(hours=3),
    )
    ban = SiteBan.objects.create(site=site, user=user, until=timezone.now() + timedelta(days=2))
    WordRule.objects.create(site=site, phrase="vermin", action="reject")
    WordRule.objects.create(site=site, phrase="idiot", action="hold")
    comment = Comment.objects.create(
        story=story, author=user, body="Hello", html="<p>Hello</p>", scores={"x": 0.5}
    )
    return site, story, user, ban, comment


def test_instances_equal_the_orms(world):
    site, story, user, ban, comment = world
    for model, obj in [
        (Site, site),
        (Story, story),
        (User, user),
        (SiteBan, ban),
        (Comment, comment),
    ]:
        got = fetch_one(model, pk=obj.pk)
        assert got is not None
        assert _fields(got) == _fields(model.objects.get(pk=obj.pk))
        for name, value in _fields(got).items():
            assert type(value) is type(getattr(model.objects.get(pk=obj.pk), name)), name
    assert fetch_one(SiteBan, site=site, user=user).pk == ban.pk  # model instances as values
    assert fetch_one(User, pk=user.pk, is_active=True).pk == user.pk


def test_no_match_is_none_and_instances_save_as_updates(world):
    site, story, user, _, _ = world
    assert fetch_one(Story, pk=story.pk + 1000) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert fetch_one(User, pk=user.pk, is_active=True) is None

    found = fetch_one(Story, pk=story.pk)
    found.title = "Renamed"
    found.save()
    assert Story.objects.count() == 1 and Story.objects.get().title == "Renamed"


def test_values_equal_values_list(world):
    site, story, user, _, comment = world
    assert sorted(fetch_values(WordRule, ("phrase", "action"), site=site)) == sorted(
        WordRule.objects.filter(site=site).values_list("phrase", "action")
    )
    got = fetch_values(Comment, ("id", "body", "created_at", "status"), author=user, story=story)
    assert got == list(
        Comment.objects.filter(author=user, story=story).values_list(
            "id", "body", "created_at", "status"
        )
    )
    assert got[0][2].tzinfo is not None


def test_joined_equals_select_related(world, django_assert_num_queries):
    site, story, _, _, _ = world
    got = fetch_joined(Story, "site", story.pk)
    orm = Story.objects.select_related("site").get(pk=story.pk)
    assert _fields(got) == _fields(orm)
    with django_assert_num_queries(0):
        assert _fields(got.site) == _fields(orm.site)  # cached, as select_related leaves it
    assert type(got.site.settings) is dict and got.site.settings["note"] == "ü"
    assert fetch_joined(Story, "site", story.pk + 1000) is None


def test_joined_with_the_rows_that_name_it(world, django_assert_num_queries):
    """RowsOf: lists of rows that name the joined row, in the same query, typed as the ORM
    types them (aware datetimes, bools); None where nothing was fetched for those values."""
    site, story, user, ban, _ = world
    other = User.objects.create_user(username="other-reader")
    SiteBan.objects.create(site=site, user=other, until=None, reason="spam ring")
    WebhookEndpoint.objects.create(site=site, url="https://hooks.example/a", active=False)
    rules = RowsOf("rules", WordRule, "site", ("phrase", "action"))
    hooks = RowsOf("hooks", WebhookEndpoint, "site", ("id", "active"), equals=(("active", True),))
    all_hooks = RowsOf("all_hooks", WebhookEndpoint, "site", ("url", "active"))
    bans = RowsOf("ban", SiteBan, "site", ("until", "reason"), params=("user",))
    with django_assert_num_queries(1):
        got = fetch_joined(
            Story, "site", story.pk, rows=(rules, hooks, all_hooks, bans), params={"user": user}
        )
        assert sorted(fetched(got.site, "rules")) == [("idiot", "hold"), ("vermin", "reject")]
        assert fetched(got.site, "hooks") == []
        assert fetched(got.site, "all_hooks") == [("https://hooks.example/a", False)]
        ((until, reason),) = fetched(got.site, "ban", user)
    assert until == SiteBan.objects.get(pk=ban.pk).until and until.tzinfo is not None
    assert reason == ""
    assert fetched(got.site, "ban", other) is None  # asked for `user` only: the caller asks
    assert fetched(got.site, "not-fetched") is None
    again = fetch_joined(Story, "site", story.pk, rows=(bans,), params={"user": other.pk})
    assert fetched(again.site, "ban", other) == [(None, "spam ring")]
    nobody = User.objects.create_user(username="never-banned")
    assert fetched(fetch_joined(Story, "site", story.pk, rows=(bans,), params={"user": nobody}).site, "ban", nobody) == []  # fmt: skip
    assert _fields(got) == _fields(Story.objects.get(pk=story.pk))


def test_joined_with_rows_that_name_the_row_itself(world, django_assert_num_queries):
    """RowsOf(of_row=True): rows whose foreign key names the fetched row (a story's comments),
    kept on that row; with the parameters asked for only."""
    site, story, user, _, _ = world
    other = User.objects.create_user(username="someone-else")
    mine = Comment.objects.create(story=story, author=user, body="Same words.", status="approved")
    Comment.objects.create(story=story, author=other, body="Same words.", status="approved")
    same = RowsOf(
        "same",
        Comment,
        "story",
        ("id", "created_at"),
        params=("author", "body_digest"),
        of_row=True,
    )
    with django_assert_num_queries(1):
        got = fetch_joined(
            Story, "site", story.pk, rows=(same,),
            params={"author": user, "body_digest": mine.body_digest},
        )  # fmt: skip
        ((pk, created_at),) = fetched(got, "same", user, mine.body_digest)
    assert pk == mine.pk and created_at == Comment.objects.get(pk=pk).created_at
    assert fetched(got.site, "same", user, mine.body_digest) is None  # on the story, not the site
    assert fetched(got, "same", other, mine.body_digest) is None  # not asked for
    assert rows_for(got, same, author=other, body_digest=mine.body_digest) == [
        tuple(Comment.objects.filter(author=other).values_list("id", "created_at").get())
    ]  # asked from the database by the same description


def test_one_and_exists(world):
    site, _, user, _, _ = world
    from civility.accounts.models import RevokedToken

    equals = {"pk": user.pk, "is_active": True}
    got, found = fetch_one_and_exists(User, equals, RevokedToken, "digest", "d" * 64)
    assert _fields(got) == _fields(User.objects.get(pk=user.pk)) and found is False
    RevokedToken.objects.create(digest="d" * 64, expires_at=timezone.now() + timedelta(days=1))
    assert fetch_one_and_exists(User, equals, RevokedToken, "digest", "d" * 64)[1] is True
    assert fetch_one_and_exists(User, equals, RevokedToken, "digest", "e" * 64)[1] is False
    missing = {"pk": user.pk + 1000, "is_active": True}
    assert fetch_one_and_exists(User, missing, RevokedToken, "digest", "d" * 64) == (None, False)
