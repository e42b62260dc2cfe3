"""The ground the desk's reject dialog preselects: what the checks flagged, else what readers
reported, else the guidelines in general."""

from civility.moderation.queries import moderator_grounds, suggested_ground
from civility.verdicts import DEFAULT_GROUND, MODERATOR_GROUNDS


def vote(action, code, score=None):
    r = {"action": action, "code": code, "message": code}
    if score is not None:
        r["score"] = score
    return r


def test_the_model_category_with_the_highest_score_wins():
    reasons = [vote("hold", "model_toxicity", 0.82), vote("hold", "model_threat", 0.9)]
    assert suggested_ground(reasons, {}) == "model_threat"


def test_a_reject_vote_comes_before_a_hold():
    reasons = [vote("hold", "model_insult", 0.99), vote("reject", "banned_word")]
    assert suggested_ground(reasons, {}) == "banned_word"


def test_a_suspect_word_hold_is_rejected_as_a_word_the_site_does_not_allow():
    assert suggested_ground([vote("hold", "suspect_word")], {}) == "banned_word"


def test_holds_that_flag_nothing_fall_back_to_reports_then_the_guidelines():
    premoderated = [vote("hold", "premoderation"), vote("approve", "language_unscored")]
    assert suggested_ground(premoderated, {"spam": 2, "abusive": 1}) == "spam"
    assert suggested_ground(premoderated, {"other": 3, "threat": 1}) == "model_threat"
    assert suggested_ground(premoderated, {}) == DEFAULT_GROUND


def test_every_suggestion_is_a_ground_a_moderator_may_cite():
    codes = [c for c, _ in moderator_grounds()]
    assert codes == list(MODERATOR_GROUNDS)
    assert all(label for _, label in moderator_grounds())
    for reasons in ([vote("hold", "model_dehumanization", 0.7)], [vote("hold", "too_many_links")]):
        assert suggested_ground(reasons, {}) in codes
