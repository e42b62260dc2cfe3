"""civility.db.inserts writes the row Model.save() would: the same stored values (auto dates,
JSON, foreign keys), the same signals (the thread cache's version, the decision metric), an
instance that saves again as an update. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_save

from civility.accounts.models import User
from civility.comments.models import Comment, Site, Story
from civility.db.inserts import insert
from civility.moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


def _stored(model, pk) -> dict:
    obj = model.objects.get(pk=pk)
    skip = {"id", "created_at", "updated_at"}
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} | {
        k: None for k in skip
    }


def test_insert_stores_what_save_stores_and_sends_the_same_signals() -> None:
    site = Site.objects.create(name="Insert News", slug="insert", allowed_origins=["*"])
    story = Story.objects.create(site=site, url="https://insert.example/a", title="A")
    author = User.objects.create_user(username="inserter", password="pw-inserter-1")
    fields = {
        "story": story,
        "author": author,
        "body": 'Ünïcode and "quotes"',
        "html": "<p>x</p>",
        "status": "pending",
        "moderation_reasons": [{"action": "hold", "code": "model_pending", "message": "m"}],
        "scores": {"scores": {"TOXICITY": 0.25}, "spans": []},
        "ip_hash": "abc",
    }
    seen: list[tuple[int, bool]] = []

    def on_save(sender, instance, created, **kwargs) -> None:
        seen.append((instance.pk, created))

    post_save.connect(on_save, sender=Comment)
    try:
        by_orm = Comment.objects.create(**fields)
        plain = Comment(**fields)
        plain.body_digest = by_orm.body_digest  # what Comment.save adds (the caller's job)
        insert(plain)
    finally:
        post_save.disconnect(on_save, sender=Comment)

    assert plain.pk and plain.pk != by_orm.pk and not plain._state.adding
    assert seen == [(by_orm.pk, True), (plain.pk, True)]
    assert _stored(Comment, plain.pk) == _stored(Comment, by_orm.pk)
    stored = Comment.objects.get(pk=plain.pk)
    assert stored.created_at is not None and stored.created_at == plain.created_at
    assert stored.scores["scores"]["TOXICITY"] == 0.25

    plain.status = "approved"
    plain.save(update_fields=["status"])  # an ordinary instance afterwards: saves as an update
    assert Comment.objects.get(pk=plain.pk).status == "approved"
    assert Comment.objects.count() == 2

    entry = insert(AuditEntry(action="comment.created", site=site, comment=plain, data={"a": [1]}))
    assert AuditEntry.objects.get(pk=entry.pk).data == {"a": [1]}


def test_insert_refuses_a_model_without_an_automatic_id() -> None:
    from django.contrib.sessions.models import Session

    with pytest.raises(TypeError):
        insert(Session(session_key="k", session_data="d"))
