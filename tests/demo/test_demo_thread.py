"""The demo's war-report thread, decided by the real pipeline and the shipped model.

This is the thread Civility exists for: the engine must hold threats, dehumanization, group smears,
insults and spam, and publish the blunt-but-fine comments, the news language about killing, and the
comments that quote a hateful chant in order to condemn it. Each comment's expected outcome is in
civility/demo/thread.json ("expect").
"""

import json
from pathlib import Path

import pytest

from civility.comments.models import Comment
from civility.demo import seed

THREAD = json.loads((Path(__file__).resolve().parents[2] / "civility/demo/thread.json").read_text())


@pytest.fixture
def seeded(db, settings, tmp_path):
    from django.core.cache import cache

    cache.clear()  # per-user rate-limit counters from other tests
    settings.DATA_DIR = tmp_path
    return seed("http://127.0.0.1:8000")


def test_demo_creates_the_thread_and_moderator_once(seeded):
    assert Comment.objects.count() == len(THREAD["comments"])
    assert seeded["username"] == "moderator" and len(seeded["password"]) >= 8
    again = seed("http://127.0.0.1:8000")  # re-running reuses the data
    assert Comment.objects.count() == len(THREAD["comments"])
    assert again["password"] == seeded["password"]


def test_each_demo_comment_gets_the_expected_decision(seeded):
    wrong = []
    for item in THREAD["comments"]:
        comment = Comment.objects.get(body=item["body"])
        held = comment.status in {"pending", "rejected"}
        if (item["expect"] == "approve") == held:
            scores = comment.scores.get("scores", {})
            top = max(scores.items(), key=lambda kv: kv[1]) if scores else None
            wrong.append(f"{item['key']} expected {item['expect']}, got {comment.status} {top}")
        if held:
            assert comment.moderation_reasons, f"{item['key']}: a held comment must say why"
    assert not wrong, "\n".join(wrong)
