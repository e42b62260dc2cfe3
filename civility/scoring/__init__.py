"""Civility's scoring engine: a plain library (no Django) that scores comments locally.

from civility.scoring import Scorer
result = Scorer.default().score_one("some comment")
result.scores["TOXICITY"], result.spans, result.language
"""

from civility.scoring.constants import ATTRIBUTES, ScoreResult, Span
from civility.scoring.language import detect_language
from civility.scoring.model import Scorer
from civility.scoring.normalize import Normalized, normalize

__all__ = [
    "ATTRIBUTES",
    "Normalized",
    "ScoreResult",
    "Scorer",
    "Span",
    "detect_language",
    "normalize",
]
