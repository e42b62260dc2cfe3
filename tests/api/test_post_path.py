"""The post path's shortcuts keep its behaviour: a post right after the "are you sure?" nudge
reuses the nudge's score (scored once, decided on the request even when the model is busy)."""

from __future__ import annotations

from civility.comments.models import Comment


def test_a_post_after_the_nudge_reuses_its_score(story, reader, scorer, settings) -> None:
    _, alice = reader
    text = "  Thanks, this explains the bus lane plan well.  "
    checked = alice.post(f"/stories/{story.pk}/comments/check", {"body": text})
    assert checked.status_code == 200 and checked.json_body["action"] == "approve"

    settings.SCORING_TIMEOUT = 0  # no time to score now: only the kept score can decide it
    posted = alice.post(f"/stories/{story.pk}/comments", {"body": text})
    assert posted.status_code == 201, posted.json_body
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED and comment.scores["version"]
    assert comment.body == text.strip()

    # A text the nudge never saw waits for its own score: held, never published unscored.
    other = alice.post(f"/stories/{story.pk}/comments", {"body": "Trams would serve us better."})
    assert other.status_code == 201
    assert other.json_body["comment"]["status"] == "pending"
    assert Comment.objects.get(pk=other.json_body["comment"]["id"]).scores == {}
