"""What a moderation check can say about a comment: the verdicts, votes and reason codes.

A leaf module shared by the decision pipeline, the Coral hook, the desk and the comments app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


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

READER_REASONS: dict[str, Any] = {  # lazy: said in the reader's language
    "model_toxicity": _("may be rude or disrespectful"),
    "model_severe_toxicity": _("may be hateful or abusive"),
    "model_insult": _("may be insulting"),
    "model_profanity": _("may contain profanity"),
    "model_threat": _("may be a threat"),
    "model_identity_attack": _("may be an attack on a group"),
    "model_dehumanization": _("may describe people as less than human"),
    ReasonCode.BANNED_WORD: _("uses a word this site does not allow"),
    ReasonCode.SUSPECT_WORD: _("uses a word this site reviews before publishing"),
    "too_many_links": _("has more links than this site allows"),
    ReasonCode.LANGUAGE_UNSUPPORTED: _("is in a language our automatic check cannot read yet"),
    ReasonCode.SCORING_PENDING: _("being checked"),
    ReasonCode.MODEL_UNAVAILABLE: _("our automatic check is unavailable right now"),
    "premoderation": _("this site reviews every comment before publishing"),
    "new_commenter": _("this site reviews a new commenter's first comments"),
}
# Any other code that holds or rejects (a check added later, "<check>_unavailable"): said
# generically rather than leaking its internal message.
GENERIC_REASON = _("a moderator will take a look")
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
    """The plain-language reason for one code, in the active language."""
    if code.endswith("_unavailable"):
        return str(READER_REASONS[ReasonCode.MODEL_UNAVAILABLE])
    return str(READER_REASONS.get(code, GENERIC_REASON))


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


# --- grounds of a decision (statements of reasons, EU DSA Art. 17) ------------------------------
# The fixed codes a statement of reasons may cite as its ground. Each site maps every code to a
# sentence of its own community guidelines (Site.settings["guidelines"]; these are the defaults,
# see civility/moderation/dsa.py). The pipeline's own codes are grounds as they are; a
# moderator's rejection cites one (preselected from what the checks flagged).
GROUND_GUIDELINES: dict[str, str] = {
    "model_toxicity": "Be respectful: no rude, disrespectful or unreasonable comments.",
    "model_severe_toxicity": "No hateful or abusive language.",
    "model_insult": "No insults or personal attacks, on readers or on people in the news.",
    "model_profanity": "Keep it clean: no profanity or obscenity.",
    "model_threat": "No threats of violence or harm against anyone.",
    "model_identity_attack": (
        "No attacks on people for who they are: their religion, ethnicity, nationality, gender,"
        " sexuality or disability."
    ),
    "model_dehumanization": "Never describe people or groups of people as less than human.",
    ReasonCode.BANNED_WORD: "Words and phrases this site does not allow are not published.",
    ReasonCode.SUSPECT_WORD: "Some words are read by a moderator before a comment is published.",
    "too_many_links": "Comments may carry only a few links, to keep out spam.",
    "spam": (
        "No spam, advertising, or the same message posted from several accounts (coordinated"
        " campaigns)."
    ),
    "off_topic": "Stay on the topic of the article.",
    "personal_data": "Do not publish anyone's private information.",
    "illegal": "Nothing unlawful: no defamation, incitement or other illegal content.",
    "premoderation": "This site reviews comments before it publishes them.",
    "new_commenter": "A new commenter's first comments are reviewed before they are published.",
    ReasonCode.LANGUAGE_UNSUPPORTED: (
        "Comments in a language our automatic check cannot read are reviewed by a person."
    ),
    ReasonCode.MODEL_UNAVAILABLE: (
        "Comments are reviewed by a person while the automatic check is unavailable."
    ),
    "guidelines": "Comments must follow this site's community guidelines.",
}
# Short names for the desk's pickers and the transparency report.
GROUND_LABELS: dict[str, str] = {  # English; gettext(label) says it in a language
    "model_toxicity": gettext_noop("Rude or disrespectful"),
    "model_severe_toxicity": gettext_noop("Hateful or abusive"),
    "model_insult": gettext_noop("Insult"),
    "model_profanity": gettext_noop("Profanity"),
    "model_threat": gettext_noop("Threat"),
    "model_identity_attack": gettext_noop("Attack on a group"),
    "model_dehumanization": gettext_noop("Dehumanization"),
    ReasonCode.BANNED_WORD: gettext_noop("Banned word"),
    ReasonCode.SUSPECT_WORD: gettext_noop("Suspect word"),
    "too_many_links": gettext_noop("Too many links"),
    "spam": gettext_noop("Spam or campaign"),
    "off_topic": gettext_noop("Off topic"),
    "personal_data": gettext_noop("Private information"),
    "illegal": gettext_noop("Unlawful content"),
    "premoderation": gettext_noop("Pre-moderation"),
    "new_commenter": gettext_noop("New commenter"),
    ReasonCode.LANGUAGE_UNSUPPORTED: gettext_noop("Language not read"),
    ReasonCode.MODEL_UNAVAILABLE: gettext_noop("Check unavailable"),
    "guidelines": gettext_noop("Community guidelines"),
}
DEFAULT_GROUND = "guidelines"
# Grounds a moderator may pick when rejecting or banning (hold-only grounds are the pipeline's).
MODERATOR_GROUNDS: tuple[str, ...] = tuple(
    c
    for c in GROUND_GUIDELINES
    if c
    not in {
        ReasonCode.SUSPECT_WORD,
        "premoderation",
        "new_commenter",
        ReasonCode.LANGUAGE_UNSUPPORTED,
        ReasonCode.MODEL_UNAVAILABLE,
    }
)


def ground_of(reasons: Iterable[dict[str, Any]]) -> str:
    """The ground a decision by the checks cites: the code of the strictest vote that objected
    (the first of equals), DEFAULT_GROUND when none is a known ground."""
    objecting = [r for r in reasons if r.get("action") in (HOLD, REJECT)]
    objecting.sort(key=lambda r: -_RANK[Verdict(r["action"])])
    for r in objecting:
        code = str(r.get("code", ""))
        if code.endswith("_unavailable"):
            return ReasonCode.MODEL_UNAVAILABLE
        if code in GROUND_GUIDELINES:
            return code
    return DEFAULT_GROUND
