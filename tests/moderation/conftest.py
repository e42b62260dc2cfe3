"""Fixtures for the moderation desk: two sites, their staff, commenters and comments."""

from __future__ import annotations

import itertools

import pytest

from tests import fixtures

_seq = itertools.count(1)


_fresh_cache = fixtures.clear_cache


@pytest.fixture
def make_user(db):
    from civility.accounts.models import User

    def make(name: str | None = None, **fields):
        name = name or f"user{next(_seq)}"
        user = User.objects.create_user(username=name, password="pw-" + name, **fields)
        return user

    return make


@pytest.fixture
def site(db):
    return fixtures.daily_news()


@pytest.fixture
def other_site(db):
    from civility.comments.models import Site

    return Site.objects.create(
        name="Other Times", slug="other", allowed_origins=["*"], premoderation="none"
    )


@pytest.fixture
def story(site):
    return fixtures.war_report(site)


@pytest.fixture
def other_story(other_site):
    from civility.comments.models import Story

    return Story.objects.create(site=other_site, url="https://other.example/a", title="Other story")


def _member(make_user, site, role, name):
    from civility.moderation.models import SiteMembership

    user = make_user(name)
    SiteMembership.objects.create(site=site, user=user, role=role)
    return user


@pytest.fixture
def moderator(make_user, site):
    return _member(make_user, site, "moderator", "mod_a")


@pytest.fixture
def moderator2(make_user, site):
    return _member(make_user, site, "moderator", "mod_a2")


@pytest.fixture
def site_admin(make_user, site):
    return _member(make_user, site, "admin", "admin_a")


@pytest.fixture
def other_moderator(make_user, other_site):
    return _member(make_user, other_site, "admin", "mod_b")


@pytest.fixture
def commenter(make_user):
    return make_user("reader")


@pytest.fixture
def make_comment(story, commenter):
    from civility.comments.models import Comment

    def make(body: str = "A held comment", status: str = "pending", **fields):
        fields.setdefault("story", story)
        fields.setdefault("author", commenter)
        return Comment.objects.create(body=body, html=f"<p>{body}</p>", status=status, **fields)

    return make


@pytest.fixture
def pending(make_comment):
    return make_comment(
        "you are an idiot",
        moderation_reasons=[
            {
                "action": "hold",
                "code": "suspect_word",
                "message": 'Suspect word "idiot"',
                "phrase": "idiot",
                "start": 11,
                "end": 16,
            }
        ],
    )
