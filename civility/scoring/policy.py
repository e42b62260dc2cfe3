"""The model's default hold thresholds: what a freshly created site holds for review.

Pure functions over a loaded `Scorer` (no Django), so the server's `decide` and the offline
evaluation (`civility eval`, civility-check) apply exactly the same default holds.

An artifact may ship explicit holds (``config["holds"]``, or ``cascade["holds"]`` when stage 2
serves), chosen at an operating point on validation data (see the model card). Older artifacts
ship only best-F1 thresholds ``t``; for them the hold is ``t + LEGACY_HOLD_MARGIN * (1 - t)``.
"""

from __future__ import annotations

from typing import Any, Protocol

# Older artifacts: how far above the model's best-F1 threshold t a comment must score to be
# held by default. At 0 the demo's war-report thread lost 4 fine comments to the queue; at 0.3
# none (chosen looking at the demo thread and civility-own's held-out set).
LEGACY_HOLD_MARGIN = 0.3


class HasThresholds(Protocol):
    thresholds: dict[str, float]
    config: dict[str, Any]
    cascade: dict[str, Any] | None


def default_hold_thresholds(scorer: HasThresholds) -> dict[str, float]:
    """Per-attribute probability at or above which a comment is held by default."""
    source = scorer.cascade if scorer.cascade is not None else scorer.config
    explicit = (source or {}).get("holds")
    if isinstance(explicit, dict) and explicit:
        return {k: round(float(v), 4) for k, v in explicit.items()}
    return {
        k: round(float(t) + LEGACY_HOLD_MARGIN * (1 - float(t)), 3)
        for k, t in scorer.thresholds.items()
    }


def default_decision(scores: dict[str, float], holds: dict[str, float]) -> str:
    """ "hold" when any attribute reaches its hold threshold, else "approve" (no word rules)."""
    for attr, t in holds.items():
        if scores.get(attr, 0.0) >= t:
            return "hold"
    return "approve"
