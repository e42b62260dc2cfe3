"""civility.db.lookups returns what the ORM returns: same values, same Python types (aware
datetimes, bools, decoded JSON), instances that save as updates. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civility.accounts.models import User
from civility.comments.models import Comment, Site, Story
from civility.db.lookups import fetch_one, fetch_values
from civility.moderation.models import SiteBan, WordRule

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
