"""Attribute names and result types of the scoring library (no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass

ATTRIBUTES: tuple[str, ...] = (
    "TOXICITY",
    "SEVERE_TOXICITY",
    "INSULT",
    "PROFANITY",
    "THREAT",
    "IDENTITY_ATTACK",
    "DEHUMANIZATION",
)


@dataclass(frozen=True)
class Span:
    """Character span of the ORIGINAL text (code point offsets, ``end`` exclusive)."""

    start: int
    end: int
    attribute: str
    score: float


@dataclass(frozen=True)
class ScoreResult:
    """Per-attribute probabilities, spans driving high scores, and the detected language."""

    scores: dict[str, float]
    spans: list[Span]
    language: str
