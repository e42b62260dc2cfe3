"""The scoring model and the site's word rules as checks of the decision pipeline.

`check_model` scores the comment (civility.moderation.scoring: one micro-batched Scorer per
process), applies the site's per-attribute thresholds (hold at t1, reject at t2) and leaves
`state["scores"] = {"version", "scores", "spans"}` for the comment. It is registered with
`fail_reason="scoring unavailable"`: a crash, a missing artifact or a timeout holds the comment.

A new or edited comment whose score is not back within the wait (see `check_model`) is stored
held with the reason SCORING_PENDING and decided when the score arrives
(civility.comments.actions.apply_late_score): never published unscored.

`check_language` runs before it: a comment in a language the model does not read is not scored
at all (an English model's scores for German text mean nothing). A post that will not wait for
its score (a burst) has its language looked at when the score comes (`late_verdict`), so the
request does not pay for it. The site's
`unsupported_language` setting says what happens instead: "hold" (the default) holds it for a
moderator (LANGUAGE_UNSUPPORTED), "publish" publishes it with the reason LANGUAGE_UNSCORED and
stored scores that say so (`unscored_scores`), so the desk marks it "not scored".
"""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.conf import settings

from civility import metrics
from civility.moderation import scoring
from civility.moderation.rules import match_word_rules, rule_votes
from civility.scoring.language import detect_language
from civility.scoring.policy import default_hold_thresholds
from civility.verdicts import APPROVE, HOLD, REJECT, ReasonCode, Verdict, Vote

# hold at t1, reject at t2 (None: never reject automatically on this attribute alone). Holds a
# site has not set come from the model artifact (civility.scoring.policy).
DEFAULT_THRESHOLDS: dict[str, dict[str, float | None]] = {
    "TOXICITY": {"hold": 0.80, "reject": None},
    "SEVERE_TOXICITY": {"hold": 0.60, "reject": 0.97},
    "INSULT": {"hold": 0.80, "reject": None},
    "PROFANITY": {"hold": 0.90, "reject": None},
    "THREAT": {"hold": 0.60, "reject": 0.97},
    "IDENTITY_ATTACK": {"hold": 0.60, "reject": 0.97},
    "DEHUMANIZATION": {"hold": 0.60, "reject": 0.97},
}

ATTRIBUTE_LABELS = {
    "TOXICITY": "toxic",
    "SEVERE_TOXICITY": "severely toxic",
    "INSULT": "insulting",
    "PROFANITY": "profane",
    "THREAT": "threatening",
    "IDENTITY_ATTACK": "an identity attack",
    "DEHUMANIZATION": "dehumanizing",
}


def _model_hold_thresholds() -> dict[str, float]:
    try:
        return default_hold_thresholds(scoring.get_scorer())
    except Exception:  # noqa: BLE001 - no model: the fixed defaults still say something useful
        return {}


def thresholds_for(site: Any) -> dict[str, dict[str, float | None]]:
    """The site's thresholds: Site.settings["thresholds"][ATTR] = {"hold": t1, "reject": t2}.

    Unset holds default to the model's own (civility.scoring.policy), unset rejects to
    DEFAULT_THRESHOLDS.
    """
    configured = ((getattr(site, "settings", None) or {}).get("thresholds")) or {}
    model_holds = _model_hold_thresholds()
    out: dict[str, dict[str, float | None]] = {}
    for attr, default in DEFAULT_THRESHOLDS.items():
        merged = dict(default)
        if attr in model_holds:
            merged["hold"] = model_holds[attr]
        given = configured.get(attr)
        if isinstance(given, dict):
            for key in ("hold", "reject"):
                if key in given:
                    value = given[key]
                    merged[key] = None if value is None or value == "" else float(value)
        out[attr] = merged
    return out


def model_votes(
    site: Any,
    scored: dict[str, Any],
    text: str,
    thresholds: dict[str, dict[str, float | None]] | None = None,
) -> list[Vote]:
    """A vote for every attribute at or above its hold/reject threshold, with its spans.

    ``thresholds`` (default: the site's, `thresholds_for`) lets the settings page's preview ask
    what values an admin has not saved yet would do, through this same rule."""
    votes: list[Vote] = []
    for attr, limits in (thresholds if thresholds is not None else thresholds_for(site)).items():
        score = scored["scores"].get(attr)
        if score is None:
            continue
        action: Verdict | None = None
        reject_at, hold_at = limits.get("reject"), limits.get("hold")
        if reject_at is not None and score >= reject_at:
            action, limit = REJECT, reject_at
        elif hold_at is not None and score >= hold_at:
            action, limit = HOLD, hold_at
        if action is None:
            continue
        spans = [
            {**s, "text": text[s["start"] : s["end"]]}
            for s in scored.get("spans", [])
            if s["attribute"] == attr
        ]
        detail = {"attribute": attr, "score": score, "threshold": limit, "spans": spans}
        message = f"Likely {ATTRIBUTE_LABELS.get(attr, attr.lower())}"
        votes.append(Vote(action, ReasonCode.for_attribute(attr), message, detail))
    return votes


def check_word_rules(sub: Any, state: dict[str, Any]) -> list[Vote]:
    return rule_votes(sub.body, match_word_rules(sub.site, sub.body))


# Languages the model reads; "und" (emoji, numbers, a script we cannot name) is scored too.
MODEL_LANGUAGES = frozenset({"en", "und"})
# Site.settings["unsupported_language"]: what to do with a comment in another language.
LANGUAGE_POLICIES = {
    "hold": "Hold for a moderator",
    "publish": "Publish unscored (marked “not scored” on the desk)",
}
DEFAULT_LANGUAGE_POLICY = "hold"


def unsupported_language_policy(site: Any) -> str:
    """The site's policy for languages the model does not read ("hold" unless set)."""
    value = (getattr(site, "settings", None) or {}).get("unsupported_language")
    return value if value in LANGUAGE_POLICIES else DEFAULT_LANGUAGE_POLICY


def unscored_scores(language: str) -> dict[str, Any]:
    """What a comment the model did not score stores as its scores: no scores, and why."""
    return {"version": "", "scores": {}, "spans": [], "unscored": "language", "language": language}


def language_verdict(site: Any, body: str) -> tuple[list[Vote], dict[str, Any] | None]:
    """([], None) for a language the model reads; else the site's policy as a vote, and the
    scores to store instead of the model's (`unscored_scores`)."""
    language = detect_language(body)
    if language in MODEL_LANGUAGES:
        return [], None
    detail = {"language": language}
    unread = f"Not scored: language {language} (the model reads English only)"
    if unsupported_language_policy(site) == "publish":
        vote = Vote(APPROVE, ReasonCode.LANGUAGE_UNSCORED, unread, detail)
    else:
        vote = Vote(
            HOLD, ReasonCode.LANGUAGE_UNSUPPORTED, f"{unread}; held for a moderator", detail
        )
    return [vote], unscored_scores(language)


def _post_wait(state: dict[str, Any]) -> float | None:
    """Seconds a new comment may wait for its score (None: a dry run or SCORING_DEFER off,
    which always wait), asked once per decision."""
    if state.get("dry_run") or not settings.SCORING_DEFER:
        return None
    if "post_wait" not in state:
        state["post_wait"] = scoring.post_wait()
    return float(state["post_wait"])


def check_language(sub: Any, state: dict[str, Any]) -> list[Vote]:
    """A comment the model cannot read is never scored, so never published as if scored: the
    site holds it for a moderator or publishes it marked unscored. Tells `check_model` to skip
    it through ``state["unscored_language"]``. A post that will not wait for its score (a
    burst) is held until the score comes, and its language is looked at then, with the score
    (`late_verdict`), off the request."""
    wait = _post_wait(state)
    if wait is not None and wait <= 0:
        return []
    votes, unscored = language_verdict(sub.site, sub.body)
    if unscored is not None:
        state["unscored_language"] = unscored["language"]
        state["scores"] = unscored
    return votes


def check_model(sub: Any, state: dict[str, Any]) -> list[Vote]:
    """Score within the time budget. A dry run (Coral hook, nudge) waits for the score up to
    SCORING_TIMEOUT. A post waits too while no requests queue for the process's slots and the
    batcher keeps up (`scoring.post_wait`: no burst, and alone in the batcher up to
    SCORING_TIMEOUT, else at most 100 ms and only if the texts queued will be scored by then);
    otherwise the comment is stored held (SCORING_PENDING) and decided when its score arrives,
    so a burst of posts is not slowed to the model's pace. A comment `check_language` found the
    model cannot read is not scored."""
    if state.get("unscored_language"):
        return []
    wait = _post_wait(state)
    if wait is None:
        scored = scoring.score_text(sub.body)
    else:
        future = scoring.submit(sub.body, background=wait <= 0)
        try:
            if wait <= 0:  # done only if recalled: keep the slot, it would queue again for it
                scored = future.result(0)
            else:
                with metrics.slots.waiting():  # the batcher's thread scores it
                    scored = future.result(wait)
        except FutureTimeout:
            state["pending_score"] = future
            return [Vote(HOLD, ReasonCode.SCORING_PENDING, "waiting for the model's score")]
        if wait <= 0:  # came at once (a recent score): the language was not looked at yet
            votes, state["scores"] = late_verdict(sub.site, sub.body, scored)
            return votes
    state["scores"] = scored
    return model_votes(sub.site, scored, sub.body)


def late_verdict(site: Any, body: str, scored: dict[str, Any]) -> tuple[list[Vote], dict[str, Any]]:
    """(votes, scores to store) for a comment held until its score came: the language first
    (a post in a burst was not looked at on the request), then the model's votes."""
    votes, unscored = language_verdict(site, body)
    if unscored is not None:
        return votes, unscored
    return model_votes(site, scored, body), scored
