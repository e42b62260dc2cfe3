from __future__ import annotations

import numpy as np
import pytest

from civility.training.metrics import ece, macro_f1, roc_auc, span_f1


def test_span_f1_official_definition() -> None:
    assert span_f1([], []) == 1.0
    assert span_f1([1], []) == 0.0
    assert span_f1([], [1]) == 0.0
    assert span_f1([1, 2, 3], [2, 3, 4, 5]) == pytest.approx(2 * 2 / 7)


def test_roc_auc_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.round(rng.random(200), 1)  # ties on purpose
    pos, neg = p[y == 1], p[y == 0]
    pairwise = ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (
        len(pos) * len(neg)
    )
    assert roc_auc(y, p) == pytest.approx(pairwise)
    assert np.isnan(roc_auc(np.ones(3), np.ones(3)))


def test_macro_f1_and_ece() -> None:
    y = np.array([1, 1, 0, 0])
    assert macro_f1(y, y) == 1.0
    assert macro_f1(y, 1 - y) == 0.0
    assert ece(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0
    assert ece(np.array([0, 0]), np.array([0.95, 0.95])) == pytest.approx(0.95)
