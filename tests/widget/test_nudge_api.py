"""POST /api/v1/stories/{id}/comments/check: the "are you sure?" nudge and the preview ask the
one decision function in a dry run, and readers get plain words, never scores or thresholds."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SCORE_LIKE = re.compile(r"\d\.\d|>=|TOXICITY|IDENTITY_ATTACK|threshold|score", re.IGNORECASE)


@pytest.fixture
def story(db):
    from civility.comments.models import Site, Story

    site = Site.objects.create(
        name="News", slug="news", allowed_origins=["https://news.example"], premoderation="none"
    )
    return Story.objects.create(site=site, url="https://news.example/a", title="A")


def call(method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)("/api/v1" + path, **kwargs)


@pytest.fixture
def token(db):
    from civility.accounts import tokens
    from civility.accounts.models import User

    return tokens.issue(User.objects.create_user(username="ann", display_name="Ann"))


def test_check_says_why_in_plain_words_and_stores_nothing(story, token):
    from civility.comments.models import Comment

    story.site.settings = {"thresholds": {"IDENTITY_ATTACK": {"hold": 0.0}}}
    story.site.save()
    r = call("post", f"/stories/{story.pk}/comments/check", token, {"body": "Hello **all**."})
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["held"] is True and data["rejected"] is False and data["nudge"] is True
    assert data["reasons"] == ["may be an attack on a group"]
    assert data["html"] == "<p>Hello <strong>all</strong>.</p>"
    assert not SCORE_LIKE.search(json.dumps({k: v for k, v in data.items() if k != "html"}))
    assert Comment.objects.count() == 0


def test_check_word_rules_and_a_clean_text(story, token):
    from civility.moderation.models import WordRule

    WordRule.objects.create(site=story.site, phrase="vermin", action="reject")
    path = f"/stories/{story.pk}/comments/check"
    bad = call("post", path, token, {"body": "They are vermin"}).json()
    assert bad["rejected"] is True and bad["nudge"] is True
    assert "uses a word this site does not allow" in bad["reasons"]
    fine = call("post", path, token, {"body": "The council met on Tuesday."}).json()
    assert fine == {
        "action": "approve",
        "held": False,
        "rejected": False,
        "reasons": [],
        "nudge": False,
        "html": "<p>The council met on Tuesday.</p>",
    }


def test_check_needs_a_reader_and_is_rate_limited(story, token):
    path = f"/stories/{story.pk}/comments/check"
    assert call("post", path, None, {"body": "hi"}).status_code == 401
    codes = [call("post", path, token, {"body": ""}).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_posted_and_own_comments_carry_plain_reasons_only(story, token):
    from civility.moderation.models import WordRule

    WordRule.objects.create(site=story.site, phrase="scoundrel", action="hold")
    r = call("post", f"/stories/{story.pk}/comments", token, {"body": "You scoundrel."})
    assert r.status_code == 201
    assert r.json()["reasons"][0] == "uses a word this site reviews before publishing"
    mine = call("get", f"/stories/{story.pk}/me", token).json()
    assert mine["pending"][0]["reasons"][0] == "uses a word this site reviews before publishing"
    assert not SCORE_LIKE.search(json.dumps(mine["pending"][0]["reasons"]))


def test_every_reason_code_has_plain_words():
    from civility.moderation.model_check import DEFAULT_THRESHOLDS
    from civility.verdicts import READER_REASONS, ReasonCode, reader_reason

    for attr in DEFAULT_THRESHOLDS:
        assert ReasonCode.for_attribute(attr) in READER_REASONS
    assert reader_reason("model_identity_attack") == "may be an attack on a group"
    assert reader_reason("model_threat") == "may be a threat"
    assert reader_reason("model_pending") == "being checked"
    assert reader_reason("word_rules_unavailable") == reader_reason("model_unavailable")
    assert reader_reason("some_future_check") == "a moderator will take a look"
    for text in READER_REASONS.values():
        assert not SCORE_LIKE.search(str(text)), text
