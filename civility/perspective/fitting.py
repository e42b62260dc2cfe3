"""Monotone maps from Civility's scores to a publisher's Perspective scores (numpy only).

Runs in the server environment (`civility perspective calibrate`): no scikit-learn, nothing from
civility.training.

The map for one attribute is an isotonic regression of the publisher's logged Perspective score
on Civility's raw score (pool-adjacent-violators, least squares), drawn as a piecewise-linear
line through the pooled blocks' centres, so it is strictly increasing: it keeps Civility's
ranking (Spearman) and brings its scale to the publisher's. Then it is pinned at the publisher's
threshold t: the fit rows Civility ranks highest, as many as Perspective scored >= t, map to >= t
and the rest below it, so at t Civility flags about as often as Perspective did on that site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Fewer fit rows at or above the threshold than this and the map is not pinned there.
MIN_ANCHOR_FLAGS = 5


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1, ties sharing their average rank."""
    order = values.argsort(kind="mergesort")
    r = np.empty(len(values))
    r[order] = np.arange(len(values))
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=r)
    return np.asarray(sums[inverse] / counts[inverse])


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation; None when either side is constant or there are < 3 rows."""
    if len(a) < 3:
        return None
    ra, rb = ranks(np.asarray(a, dtype=float)), ranks(np.asarray(b, dtype=float))
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def pool_adjacent_violators(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic (non-decreasing) least-squares fit of `y` (in order) with weights `w`.

    Returns (block values, block sizes in points); adjacent blocks have strictly increasing
    values (equal neighbours are pooled too).
    """
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist(), strict=True):
        values.append(yi)
        weights.append(wi)
        sizes.append(1)
        while len(values) > 1 and values[-2] >= values[-1]:
            total = weights[-2] + weights[-1]
            pooled = (values[-2] * weights[-2] + values[-1] * weights[-1]) / total
            values[-2:] = [pooled]
            weights[-2:] = [total]
            sizes[-2:] = [sizes[-2] + sizes[-1]]
    return np.asarray(values), np.asarray(sizes)


def isotonic_knots(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strictly increasing knots (over [0, 1]) of the isotonic regression of y on x."""
    x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    y = np.clip(np.asarray(y, dtype=float), 0.0, 1.0)
    ux, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=y) / counts
    values, sizes = pool_adjacent_violators(means, counts.astype(float))
    ends = np.cumsum(sizes)
    starts = ends - sizes
    kx = np.array(
        [np.average(ux[s:e], weights=counts[s:e]) for s, e in zip(starts, ends, strict=True)]
    )
    kx_list, ky_list = kx.tolist(), values.tolist()
    # Ends of the scale: from (0, 0) and up to (1, 1), keeping the line strictly increasing.
    if kx_list[0] > 0.0:
        if ky_list[0] > 0.0:
            kx_list.insert(0, 0.0)
            ky_list.insert(0, 0.0)
        else:
            kx_list[0] = 0.0
    if kx_list[-1] < 1.0:
        if ky_list[-1] < 1.0:
            kx_list.append(1.0)
            ky_list.append(1.0)
        else:
            kx_list[-1] = 1.0
    return np.asarray(kx_list), np.asarray(ky_list)


def pin_threshold(
    kx: np.ndarray, ky: np.ndarray, x: np.ndarray, y: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Pin the map at `threshold`: the k highest-scored fit rows (k = how many Perspective scored
    >= threshold) map to >= threshold, the others below. Returns (kx, ky, cutoff on our scale),
    cutoff None when there were too few flags (or no row below) to place it."""
    k = int((y >= threshold).sum())
    if k < MIN_ANCHOR_FLAGS or k >= len(x):
        return kx, ky, None
    ordered = np.sort(np.asarray(x, dtype=float))[::-1]
    above, below = ordered[k - 1], ordered[k]
    cutoff = float((above + below) / 2) if above > below else float(above)
    keep = ((kx < cutoff) & (ky < threshold)) | ((kx > cutoff) & (ky > threshold))
    nx = np.append(kx[keep], cutoff)
    ny = np.append(ky[keep], threshold)
    order = nx.argsort(kind="mergesort")
    return nx[order], ny[order], cutoff


def apply_map(kx: np.ndarray, ky: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(np.interp(np.asarray(x, dtype=float), kx, ky))


def inverse_map(kx: np.ndarray, ky: np.ndarray, t: float) -> float | None:
    """The smallest score x with map(x) >= t (None when the map never reaches t)."""
    kx, ky = np.asarray(kx, dtype=float), np.asarray(ky, dtype=float)
    if ky[0] >= t:
        return float(kx[0])
    for i in range(1, len(kx)):
        if ky[i] >= t:
            y0, y1, x0, x1 = ky[i - 1], ky[i], kx[i - 1], kx[i]
            if y1 == y0:
                return float(x0)
            return float(x0 + (t - y0) * (x1 - x0) / (y1 - y0))
    return None


@dataclass
class Agreement:
    """Civility's flags (calibrated score >= t) against Perspective's (logged score >= t)."""

    threshold: float
    perspective_flagged: int
    civility_flagged: int
    both: int

    @property
    def precision(self) -> float | None:
        return self.both / self.civility_flagged if self.civility_flagged else None

    @property
    def recall(self) -> float | None:
        return self.both / self.perspective_flagged if self.perspective_flagged else None

    @property
    def f1(self) -> float:
        total = self.civility_flagged + self.perspective_flagged
        return 1.0 if total == 0 else 2 * self.both / total

    def as_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "perspective_flagged": self.perspective_flagged,
            "civility_flagged": self.civility_flagged,
            "both": self.both,
            "precision": _r(self.precision),
            "recall": _r(self.recall),
            "f1": _r(self.f1),
        }


def agreement(ours: np.ndarray, theirs: np.ndarray, threshold: float) -> Agreement:
    p, q = np.asarray(theirs) >= threshold, np.asarray(ours) >= threshold
    return Agreement(threshold, int(p.sum()), int(q.sum()), int((p & q).sum()))


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
