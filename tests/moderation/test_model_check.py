"""The scoring model inside the decision pipeline, with the real shipped artifact."""

import pytest

from civility.moderation import model_check, scoring
from civility.moderation.models import WordRule
from civility.moderation.pipeline import Submission, decide
from civility.verdicts import HOLD, REJECT

# `scorer` (tests/conftest.py): the shipped artifact; a broken one fails these tests.


CLEAN = "Thanks for the careful reporting; the timeline of the talks was useful."
ABUSIVE = "You are a stupid worthless idiot and everyone here hates you."


def sub(site, story, author, body):
    return Submission(site=site, story=story, author=author, body=body)


pytestmark = pytest.mark.django_db


def test_clean_comment_is_approved_with_scores_stored(scorer, site, story, commenter):
    decision = decide(sub(site, story, commenter, CLEAN))
    assert decision.action == "approve", decision.reasons
    assert decision.scores["version"] == scorer.version
    assert set(decision.scores["scores"]) == set(model_check.DEFAULT_THRESHOLDS)
    assert decision.scores["scores"]["TOXICITY"] < 0.5


def test_abusive_comment_is_held_with_attribute_reason_and_spans(scorer, site, story, commenter):
    decision = decide(sub(site, story, commenter, ABUSIVE))
    assert decision.action in {HOLD, REJECT}
    model_reasons = [r for r in decision.reasons if r["code"].startswith("model_")]
    assert model_reasons, decision.reasons
    insult = [r for r in model_reasons if r["attribute"] in {"INSULT", "TOXICITY"}]
    assert insult and insult[0]["score"] >= insult[0]["threshold"]
    spans = decision.scores["spans"]
    assert spans, "high scores come with the words that drive them"
    words = {ABUSIVE[s["start"] : s["end"]].lower() for s in spans}
    assert any(w in text for text in words for w in ("stupid", "idiot", "worthless", "hates"))


def test_site_thresholds_decide_hold_vs_reject(scorer, site, story, commenter):
    score = scorer.score_one(ABUSIVE).scores["INSULT"]
    assert score > 0.5
    site.settings = {"thresholds": {"INSULT": {"hold": 0.1, "reject": score - 0.01}}}
    assert decide(sub(site, story, commenter, ABUSIVE)).action == REJECT
    site.settings = {
        "thresholds": {a: {"hold": None, "reject": None} for a in model_check.DEFAULT_THRESHOLDS}
    }
    site.settings["thresholds"]["INSULT"] = {"hold": 0.1, "reject": None}
    decision = decide(sub(site, story, commenter, ABUSIVE))
    assert decision.action == HOLD
    assert [r["attribute"] for r in decision.reasons if r["code"].startswith("model_")] == [
        "INSULT"
    ]
    site.settings = {
        "thresholds": {a: {"hold": None, "reject": None} for a in model_check.DEFAULT_THRESHOLDS}
    }
    assert decide(sub(site, story, commenter, ABUSIVE)).action == "approve"


def test_posted_comment_keeps_scores_and_reasons(scorer, site, story, commenter):
    from civility.comments.actions import post_comment

    comment = post_comment(story=story, author=commenter, body=ABUSIVE)
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert comment.scores["version"] == scorer.version
    assert comment.scores["spans"]
    assert any(r["code"].startswith("model_") for r in comment.moderation_reasons)


def test_missing_artifact_holds_with_scoring_unavailable(
    site, story, commenter, settings, tmp_path
):
    settings.SCORING_ARTIFACT = str(tmp_path / "no-such-artifact")
    decision = decide(sub(site, story, commenter, CLEAN))
    assert decision.action == HOLD
    assert {"action": "hold", "code": "model_unavailable", "message": "scoring unavailable"} in (
        decision.reasons
    )
    assert decision.scores == {}


def test_scoring_timeout_holds_the_comment(scorer, site, story, commenter, settings):
    # A zero budget: the scorer cannot answer in time, whatever the machine's speed.
    settings.SCORING_TIMEOUT = 0
    settings.SCORING_DEFER = False
    decision = decide(sub(site, story, commenter, CLEAN))
    assert decision.action == HOLD
    assert any(r["message"] == "scoring unavailable" for r in decision.reasons)
    # A dry run (the Coral hook) is bounded by the same budget. (Another text: the first one's
    # score, arriving late, is kept for reuse, and a kept score is a real answer in time.)
    decision = decide(Submission(site=site, body=CLEAN + " Well reported."), dry_run=True)
    assert decision.action == HOLD


def test_scoring_timeout_with_deferral_leaves_the_decision_pending(
    scorer, site, story, commenter, settings
):
    settings.SCORING_TIMEOUT = 0
    decision = decide(sub(site, story, commenter, CLEAN))
    assert decision.action == HOLD
    assert [r["code"] for r in decision.reasons] == ["model_pending"]
    assert decision.pending_score is not None
    assert decision.pending_score.result(30)["scores"]  # the score does arrive


@pytest.mark.django_db(transaction=True)
def test_late_score_publishes_a_clean_comment_and_holds_an_abusive_one(
    scorer, site, story, commenter, settings
):
    import time

    from civility.comments.actions import post_comment
    from civility.comments.models import Comment
    from civility.moderation.models import AuditEntry

    settings.SCORING_TIMEOUT = 0  # never wait: every post is decided when its score arrives
    clean = post_comment(story=story, author=commenter, body=CLEAN)
    abusive = post_comment(story=story, author=commenter, body=ABUSIVE)
    assert clean.status == abusive.status == "pending"  # never published unscored
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        clean.refresh_from_db()
        abusive.refresh_from_db()
        if all(c.scores for c in (clean, abusive)):
            break
        time.sleep(0.02)
    assert clean.status == Comment.Status.APPROVED, clean.moderation_reasons
    assert abusive.status in {Comment.Status.PENDING, Comment.Status.REJECTED}
    assert all(r["code"] != "model_pending" for r in abusive.moderation_reasons)
    assert any(r["code"].startswith("model_") for r in abusive.moderation_reasons)
    assert AuditEntry.objects.filter(action="comment.scored", comment=clean).count() == 1


@pytest.mark.django_db(transaction=True)
def test_late_score_does_not_override_a_moderator(scorer, site, story, commenter, moderator):
    from concurrent.futures import Future

    from civility.comments.actions import apply_late_score, store_comment
    from civility.comments.models import Comment
    from civility.moderation.actions import reject

    comment = store_comment(
        story=story,
        author=commenter,
        body=CLEAN,
        status=Comment.Status.PENDING,
        reasons=[{"action": "hold", "code": "model_pending", "message": "waiting"}],
    )
    reject(moderator, comment.pk, reason="spam")
    done: Future = Future()
    done.set_result({"version": "x", "scores": {"TOXICITY": 0.0}, "spans": []})
    assert apply_late_score(comment.pk, done) is None
    comment.refresh_from_db()
    assert comment.status == Comment.Status.REJECTED


def test_post_with_broken_scorer_is_stored_held_not_lost(
    site, story, commenter, settings, tmp_path
):
    from civility.comments.actions import post_comment

    settings.SCORING_ARTIFACT = str(tmp_path / "missing")
    comment = post_comment(story=story, author=commenter, body=CLEAN)
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert any(r["message"] == "scoring unavailable" for r in comment.moderation_reasons)


def test_dry_run_combines_rules_and_model_without_writing(scorer, site):
    from civility.moderation.models import AuditEntry

    WordRule.objects.create(site=site, phrase="idiot", action="reject")
    decision = decide(Submission(site=site, body="what an 1d10t"), dry_run=True)
    assert decision.action == REJECT
    assert decision.reasons[0]["code"] == "banned_word"
    assert decision.reasons[0]["matched"] == "1d10t"
    assert decision.scores["version"] == scorer.version
    decision = decide(Submission(site=site, body=CLEAN), dry_run=True)
    assert decision.action == "approve" and decision.reasons == []
    assert not AuditEntry.objects.exists()


def test_dry_run_holds_when_scoring_fails(site, settings, tmp_path):
    settings.SCORING_ARTIFACT = str(tmp_path / "missing")
    decision = decide(Submission(site=site, body=CLEAN), dry_run=True)
    assert decision.action == HOLD and decision.scores == {}
    assert decision.reasons[-1]["message"] == "scoring unavailable"


def test_dry_run_holds_when_word_rules_crash_like_a_post(site, story, commenter, monkeypatch):
    # One decision function: a crashing check holds in the Coral hook exactly as in a post.
    from civility.moderation import pipeline

    def broken(sub, state):
        raise RuntimeError("rules table unreadable")

    checks = [
        pipeline.Check(c.name, broken, c.fail_reason, c.content) if c.name == "word_rules" else c
        for c in pipeline.CHECKS
    ]
    monkeypatch.setattr(pipeline, "CHECKS", checks)
    for decision in (
        decide(Submission(site=site, body=CLEAN), dry_run=True),
        decide(sub(site, story, commenter, CLEAN)),
    ):
        assert decision.action == HOLD
        assert any(r["code"] == "word_rules_unavailable" for r in decision.reasons)


def test_word_rules_in_pipeline_reject_and_hold_with_span(site, story, commenter):
    WordRule.objects.create(site=site, phrase="idiot", action="reject")
    WordRule.objects.create(site=site, phrase="moron", action="hold")
    decision = decide(sub(site, story, commenter, "a m o r o n, not a class act"))
    assert decision.action in {HOLD, REJECT}
    [rule] = [r for r in decision.reasons if r["code"] == "suspect_word"]
    assert (rule["matched"], rule["start"], rule["end"]) == ("m o r o n", 2, 11)
    decision = decide(sub(site, story, commenter, "ıdiot"))
    assert decision.action == REJECT
    assert any(r["code"] == "banned_word" and r["phrase"] == "idiot" for r in decision.reasons)
    assert all(
        r["code"] != "banned_word"
        for r in decide(sub(site, story, commenter, "assess the class")).reasons
    )


def test_stage2_setting_serves_the_first_stage_alone(scorer, site, story, commenter, settings):
    assert scoring.get_scorer().encoder is not None  # the default: the whole cascade
    settings.SCORING_STAGE2 = False
    fast = scoring.get_scorer()
    assert fast.encoder is None and fast.version == scorer.version
    decision = decide(sub(site, story, commenter, ABUSIVE))
    assert decision.action == HOLD
    # The stored scores are the first stage's, not the cascade's.
    first = {a: round(v, 4) for a, v in fast.score_one(ABUSIVE).scores.items()}
    assert decision.scores["scores"] == first
    assert first != {a: round(v, 4) for a, v in scorer.score_one(ABUSIVE).scores.items()}


def test_routing_point_setting(scorer, site, story, commenter, settings):
    settings.SCORING_ROUTE_FROM = "0.9"
    assert scoring.get_scorer().route_from == 0.9
    assert decide(sub(site, story, commenter, ABUSIVE)).action == HOLD
    for bad in ("fast", "1.5", "-0.1"):
        settings.SCORING_ROUTE_FROM = bad
        decision = decide(sub(site, story, commenter, CLEAN))
        assert decision.action == HOLD  # a mistyped setting holds comments; it never guesses
        assert any(r["code"] == "model_unavailable" for r in decision.reasons)
    settings.SCORING_ROUTE_FROM = ""
    assert scoring.get_scorer().route_from == scorer.route_from


def test_post_waits_for_its_score_while_the_batcher_keeps_up(
    scorer, site, story, commenter, monkeypatch, settings
):
    settings.SCORING_TIMEOUT = 30.0  # alone in the batcher, a post waits up to this
    decision = decide(sub(site, story, commenter, CLEAN))
    assert decision.action == "approve", decision.reasons
    # In a burst it waits up to POST_WAIT_SECONDS while the queue's pace says that is enough.
    monkeypatch.setattr(scoring.MicroBatcher, "unscored", property(lambda self: 40))
    monkeypatch.setattr(scoring, "POST_WAIT_SECONDS", 30.0)  # any machine keeps up with this
    assert scoring.post_wait() == 30.0
    decision = decide(sub(site, story, commenter, CLEAN))
    assert decision.action == "approve", decision.reasons
    assert decision.pending_score is None and decision.scores["scores"]


def test_post_does_not_wait_when_the_queue_ahead_is_longer_than_the_wait(
    scorer, site, story, commenter, monkeypatch
):
    # The batcher's recent pace says the texts queued ahead take longer than a post may wait:
    # the comment is held pending at once (decided when its score arrives), not slowed down.
    monkeypatch.setattr(scoring.MicroBatcher, "unscored", property(lambda self: 40))
    monkeypatch.setattr(scoring.MicroBatcher, "queue_wait", lambda self: 60.0)
    assert scoring.post_wait() == 0.0
    decision = decide(sub(site, story, commenter, CLEAN))
    assert [r["code"] for r in decision.reasons] == ["model_pending"]
    assert decision.pending_score.result(30)["scores"]


def test_a_post_does_not_wait_for_its_score_while_other_requests_are_served(
    scorer, site, story, commenter, settings
):
    from civility import metrics

    settings.SCORING_TIMEOUT = 30.0
    metrics.slots.configure(2)
    # Two requests in flight, two slots: nobody queues, the post waits for its score.
    metrics.request_started()
    metrics.request_started()
    try:
        assert scoring.post_wait() == 30.0
        # A third: requests queue for the slots (a burst), so scoring (more CPU than the rest
        # of a post) happens off the request and the comment is decided when it comes.
        metrics.request_started()
        try:
            assert scoring.post_wait() == 0.0
            decision = decide(sub(site, story, commenter, CLEAN))
        finally:
            metrics.request_finished()
    finally:
        metrics.request_finished()
        metrics.request_finished()
    assert [r["code"] for r in decision.reasons] == ["model_pending"]
    assert decision.pending_score.result(30)["scores"]
    # Alone again: it waits for the score and is decided on the request.
    assert scoring.post_wait() == 30.0
    assert decide(sub(site, story, commenter, CLEAN)).pending_score is None


def test_a_post_in_a_burst_keeps_its_slot(scorer, site, story, commenter, settings):
    """Giving the slot up for a score it does not wait for would send the post to the back of
    the queue for a slot it already had (a quarter of a worker's wall time in a burst)."""
    import threading

    from civility import metrics

    metrics.slots.configure(1)
    metrics.slots.acquire()
    queued = threading.Event()
    got_slot = threading.Event()

    def next_request() -> None:
        queued.set()
        metrics.slots.acquire()
        got_slot.set()
        metrics.slots.release()

    waiter = threading.Thread(target=next_request)
    for _ in range(3):  # a burst: more requests in flight than slots
        metrics.request_started()
    try:
        waiter.start()
        assert queued.wait(5)
        decision = decide(sub(site, story, commenter, CLEAN))
        assert not got_slot.is_set()  # the slot stayed with the post
    finally:
        for _ in range(3):
            metrics.request_finished()
        metrics.slots.release()
    waiter.join(5)
    assert got_slot.is_set()
    assert [r["code"] for r in decision.reasons] == ["model_pending"]
    assert decision.pending_score.result(30)["scores"]


def test_a_post_does_not_wait_for_its_score_while_the_servers_other_workers_are_in_a_burst(
    scorer, site, story, commenter, settings
):
    """A worker holding few of the keep-alive connections sees no queue of its own; the count
    of requests in flight shared by the workers (memory made before the fork) shows the burst."""
    import multiprocessing

    from civility import metrics

    fork = multiprocessing.get_context("fork")
    settings.SCORING_TIMEOUT = 30.0
    metrics.slots.configure(2)
    started, release = fork.Event(), fork.Event()

    def other_worker() -> None:  # worker 2 of the server, five requests in flight
        metrics.serve_as_worker(2, 2)
        for _ in range(5):
            metrics.request_started()
        started.set()
        release.wait(30)

    metrics.serve_as_worker(1, 2)
    child = fork.Process(target=other_worker)
    child.start()
    try:
        assert started.wait(30)
        metrics.request_started()  # this worker: one request, no queue of its own
        try:
            assert metrics.requests_in_flight() == 1
            assert metrics.server_requests_in_flight() == 6  # > 2 workers x 2 slots
            assert scoring.post_wait() == 0.0
            decision = decide(sub(site, story, commenter, CLEAN))
        finally:
            metrics.request_finished()
        release.set()
        child.join(30)
        assert [r["code"] for r in decision.reasons] == ["model_pending"]
        assert decision.pending_score.result(30)["scores"]
        # The other worker ended with its requests counted: its exit clears them (gunicorn's
        # child_exit hook, in the master).
        assert metrics.server_requests_in_flight() == 5
        metrics.worker_gone(2)
        assert metrics.server_requests_in_flight() == 0
        assert scoring.post_wait() == 30.0
    finally:
        release.set()
        child.join(30)
        metrics.worker_gone(2)
        metrics.serve_as_worker(0, 1)
