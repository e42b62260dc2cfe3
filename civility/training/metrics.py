"""Evaluation metrics (numpy only): ROC-AUC, F1, ECE, the SemEval-2021 Task 5 span F1."""

from __future__ import annotations

from typing import Any

import numpy as np


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Rank-based ROC-AUC with tie handling; NaN when only one class is present."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    npos, nneg = int(y.sum()), int((~y).sum())
    if npos == 0 or nneg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), np.float64)
    sp = p[order]
    # Average ranks over ties.
    i = 0
    r = np.arange(1, len(p) + 1, dtype=np.float64)
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        r[i : j + 1] = (i + j + 2) / 2.0
        i = j + 1
    ranks[order] = r
    return float((ranks[y].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def f1_binary(y: np.ndarray, pred: np.ndarray) -> float:
    y = np.asarray(y).astype(bool)
    pred = np.asarray(pred).astype(bool)
    tp = int((y & pred).sum())
    denom = int(y.sum() + pred.sum())
    return 2 * tp / denom if denom else 1.0


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the two classes (OffensEval's official level-A metric)."""
    y = np.asarray(y).astype(bool)
    pred = np.asarray(pred).astype(bool)
    return (f1_binary(y, pred) + f1_binary(~y, ~pred)) / 2


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error with equal-width probability bins."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if len(y) == 0:
        return float("nan")
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(total / len(y))


def span_f1(pred: list[int] | set[int], gold: list[int] | set[int]) -> float:
    """SemEval-2021 Task 5 per-post F1 on character offsets (official definition)."""
    if len(gold) == 0:
        return 1.0 if len(pred) == 0 else 0.0
    if len(pred) == 0:
        return 0.0
    ps, gs = set(pred), set(gold)
    return 2 * len(ps & gs) / (len(ps) + len(gs))


def predicted_offsets(result: Any) -> set[int]:
    """Character offsets covered by any span of a ScoreResult."""
    out: set[int] = set()
    for s in result.spans:
        out.update(range(s.start, s.end))
    return out


def mean_span_f1(scorer: Any, data: list[tuple[str, list[int]]]) -> float:
    res = scorer.score([t for t, _ in data], span_gate=scorer.span_doc_threshold)
    return float(
        np.mean([span_f1(predicted_offsets(r), g) for r, (_, g) in zip(res, data, strict=True)])
    )


def tune_span_thresholds(scorer: Any, data: list[tuple[str, list[int]]]) -> dict[str, Any]:
    """Grid-search the span head's thresholds on (trial) data with the official metric."""
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    for gap in (0, 1):
        for doc_t in (0.05, 0.1, 0.2, 0.3):
            for tok_t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55):
                scorer.span_join_gap = gap
                scorer.span_doc_threshold = doc_t
                scorer.span_token_threshold = tok_t
                f = mean_span_f1(scorer, data)
                if f > best[0]:
                    best = (
                        f,
                        {
                            "join_gap": gap,
                            "doc_threshold": doc_t,
                            "token_threshold": tok_t,
                            "trial_f1": round(f, 4),
                        },
                    )
    return best[1]
