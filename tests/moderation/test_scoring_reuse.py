"""Scores kept for reuse (civility.moderation.scoring): bounded in number and in time."""

from __future__ import annotations

import pytest


def test_kept_scores_are_bounded_in_number(scorer, monkeypatch) -> None:
    from civility.moderation import scoring

    monkeypatch.setattr(scoring, "RECENT_SCORES_MAX", 2)
    first, second, third = (scoring.score_text(t) for t in ("one text", "two text", "3 text"))
    again = scoring.submit("3 text")
    assert again.done() and again.result() == third  # at once, the same score
    assert scoring.submit("two text").result(0) == second
    assert not scoring.submit("one text").done()  # the oldest was let go: scored again
    assert first["scores"]


def test_kept_scores_are_reused_only_briefly(scorer, monkeypatch) -> None:
    from civility.moderation import scoring

    scoring.score_text("a text scored a while ago")
    monkeypatch.setattr(scoring, "RECENT_SCORES_SECONDS", 0.0)
    assert not scoring.submit("a text scored a while ago").done()


def test_a_kept_score_is_a_copy(scorer) -> None:
    from civility.moderation import scoring

    kept = scoring.score_text("copy me")
    reused = scoring.submit("copy me").result(0)
    reused["scores"].clear()  # a caller changing its copy changes nobody else's
    assert scoring.submit("copy me").result(0) == kept


def test_a_score_is_kept_even_when_its_waiter_gave_up(scorer) -> None:
    from civility.moderation import scoring

    with pytest.raises(scoring.ScoringUnavailable):
        scoring.score_text("a nudge that timed out", budget=0)  # the waiter gives up at once
    scoring.score_text("scored after it")  # one batcher, in order: the first is scored by now
    assert scoring.submit("a nudge that timed out").done()  # the post that follows reuses it
