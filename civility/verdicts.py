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
