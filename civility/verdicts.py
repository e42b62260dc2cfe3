"""What a moderation check can say about a comment: the verdicts, votes and reason codes.

A leaf module shared by the decision pipeline, the Coral hook, the desk and the comments app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    APPROVE = "approve"
    HOLD = "hold"
    REJECT = "reject"


APPROVE, HOLD, REJECT = Verdict.APPROVE, Verdict.HOLD, Verdict.REJECT
_RANK = {APPROVE: 0, HOLD: 1, REJECT: 2}


def strictest(actions: Iterable[str]) -> Verdict:
    """REJECT over HOLD over APPROVE; APPROVE when nobody objects."""
    return max((Verdict(a) for a in actions), key=_RANK.__getitem__, default=APPROVE)


class ReasonCode:
    """Reason codes that more than one module reads (the rest are named where they are made)."""

    MODEL_UNAVAILABLE = "model_unavailable"  # scoring failed or timed out: held, never approved
    SCORING_PENDING = "model_pending"  # held until the model's score arrives (see scoring queue)
    BANNED_WORD = "banned_word"
    SUSPECT_WORD = "suspect_word"
    # A language the model does not read: held for a person, or published unscored (per site).
    LANGUAGE_UNSUPPORTED = "language_unsupported"
    LANGUAGE_UNSCORED = "language_unscored"

    @staticmethod
    def for_attribute(attribute: str) -> str:
        return f"model_{attribute.lower()}"


@dataclass
class Vote:
    action: Verdict
    code: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_reason(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "code": self.code,
            "message": self.message,
            **self.detail,
        }

    @classmethod
    def from_reason(cls, reason: dict[str, Any]) -> Vote:
        detail = {k: v for k, v in reason.items() if k not in {"action", "code", "message"}}
        return cls(Verdict(reason["action"]), reason["code"], reason["message"], detail)


# --- what readers are told ----------------------------------------------------------------------
# The one place reason codes become words for the author (the widget's toasts, its screen-reader
# announcements, the "are you sure?" nudge). Plain language only: never a score, a threshold or
# an attribute name, which would tell an abuser how far under the line to aim.

READER_REASONS: dict[str, str] = {
    "model_toxicity": "may be rude or disrespectful",
    "model_severe_toxicity": "may be hateful or abusive",
    "model_insult": "may be insulting",
    "model_profanity": "may contain profanity",
    "model_threat": "may be a threat",
    "model_identity_attack": "may be an attack on a group",
    "model_dehumanization": "may describe people as less than human",
    ReasonCode.BANNED_WORD: "uses a word this site does not allow",
    ReasonCode.SUSPECT_WORD: "uses a word this site reviews before publishing",
    "too_many_links": "has more links than this site allows",
    ReasonCode.LANGUAGE_UNSUPPORTED: "is in a language our automatic check cannot read yet",
    ReasonCode.SCORING_PENDING: "being checked",
    ReasonCode.MODEL_UNAVAILABLE: "our automatic check is unavailable right now",
    "premoderation": "this site reviews every comment before publishing",
    "new_commenter": "this site reviews a new commenter's first comments",
}
# Any other code that holds or rejects (a check added later, "<check>_unavailable"): said
# generically rather than leaking its internal message.
GENERIC_REASON = "a moderator will take a look"
# Reasons the author can do something about by editing the text (the nudge offers that).
EDITABLE_REASONS = frozenset(
    {
        *(c for c in READER_REASONS if c.startswith("model_") and c != ReasonCode.SCORING_PENDING),
        ReasonCode.BANNED_WORD,
        ReasonCode.SUSPECT_WORD,
        "too_many_links",
    }
) - {ReasonCode.MODEL_UNAVAILABLE}


def reader_reason(code: str) -> str:
    """The plain-language reason for one code."""
    if code.endswith("_unavailable"):
        return READER_REASONS[ReasonCode.MODEL_UNAVAILABLE]
    return READER_REASONS.get(code, GENERIC_REASON)


def reader_reasons(reasons: Iterable[dict[str, Any]], only: Verdict | None = None) -> list[str]:
    """Plain-language reasons for the votes that held or rejected (or only those of `only`),
    each said once, in order."""
    out: list[str] = []
    for r in reasons:
        action = r.get("action")
        if action == APPROVE or (only is not None and action != only):
            continue
        text = reader_reason(str(r.get("code", "")))
        if text not in out:
            out.append(text)
    return out


def editable(reasons: Iterable[dict[str, Any]]) -> bool:
    """Whether editing the text could change the outcome (a word, a link, the model's view)."""
    return any(r.get("action") != APPROVE and r.get("code") in EDITABLE_REASONS for r in reasons)
