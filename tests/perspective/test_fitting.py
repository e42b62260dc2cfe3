"""The per-site fit's arithmetic (numpy only): isotonic regression, pinning, inverse, agreement;
and that the serving side never imports the training code."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from civility.perspective import fitting
from civility.perspective.site_calibration import hold_for


def brute_isotonic(y: list[float]) -> list[float]:
    """Least-squares non-decreasing fit by trying every partition into blocks (small n)."""
    n = len(y)
    best: tuple[float, list[float]] | None = None
    for cuts in itertools.product([0, 1], repeat=n - 1):
        blocks, start = [], 0
        for i, cut in enumerate(cuts, start=1):
            if cut:
                blocks.append(y[start:i])
                start = i
        blocks.append(y[start:])
        means = [sum(b) / len(b) for b in blocks]
        if any(a > b for a, b in itertools.pairwise(means)):
            continue
        fit = [m for b, m in zip(blocks, means, strict=True) for _ in b]
        err = sum((a - b) ** 2 for a, b in zip(y, fit, strict=True))
        if best is None or err < best[0] - 1e-12:
            best = (err, fit)
    assert best is not None
    return best[1]


@pytest.mark.parametrize("seed", range(6))
def test_pool_adjacent_violators_is_the_least_squares_monotone_fit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = np.round(rng.random(9), 2)
    values, sizes = fitting.pool_adjacent_violators(y, np.ones(len(y)))
    fitted = np.repeat(values, sizes)
    assert np.allclose(fitted, brute_isotonic(y.tolist()))
    assert (np.diff(values) > 0).all()  # adjacent blocks strictly increase


def test_isotonic_knots_are_strictly_increasing_and_keep_the_ranking() -> None:
    rng = np.random.default_rng(7)
    x = rng.random(500)
    y = np.clip(x**2 + rng.normal(0, 0.15, 500), 0, 1)
    kx, ky = fitting.isotonic_knots(x, y)
    assert kx[0] == 0.0 and kx[-1] == 1.0
    assert (np.diff(kx) > 0).all() and (np.diff(ky) > 0).all()
    mapped = fitting.apply_map(kx, ky, x)
    assert fitting.spearman(mapped, y) == pytest.approx(fitting.spearman(x, y), abs=1e-9)
    # least squares: no worse than the identity or x**2 itself
    err = np.mean((mapped - y) ** 2)
    assert err <= np.mean((x - y) ** 2) and err <= np.mean((x**2 - y) ** 2) + 1e-3


def test_pinning_flags_as_many_fit_rows_as_perspective() -> None:
    rng = np.random.default_rng(3)
    x = rng.random(400)
    y = np.clip(0.3 * x + rng.normal(0, 0.2, 400), 0, 1)  # conditional mean never reaches 0.8
    kx, ky = fitting.isotonic_knots(x, y)
    assert (fitting.apply_map(kx, ky, x) >= 0.5).sum() < (y >= 0.5).sum()
    px, py, cutoff = fitting.pin_threshold(kx, ky, x, y, 0.5)
    assert cutoff is not None
    assert (fitting.apply_map(px, py, x) >= 0.5).sum() == (y >= 0.5).sum()
    assert (np.diff(px) > 0).all() and (np.diff(py) > 0).all()
    # too few flags to place it: unchanged
    same = fitting.pin_threshold(kx, ky, x, np.zeros(400) + 0.1, 0.5)
    assert same[2] is None and same[0] is kx


def test_inverse_and_hold_threshold_agree_with_the_map() -> None:
    kx, ky = np.array([0.0, 0.2, 0.6, 1.0]), np.array([0.0, 0.5, 0.8, 1.0])
    assert fitting.inverse_map(kx, ky, 0.8) == pytest.approx(0.6)
    assert fitting.inverse_map(kx, ky, 0.65) == pytest.approx(0.4)
    assert fitting.inverse_map(kx, np.array([0.0, 0.1, 0.2, 0.3]), 0.8) is None
    hold = hold_for(kx, ky, 0.65)
    assert hold is not None
    for raw in np.round(np.linspace(0, 1, 10_001), 4):  # the pipeline compares 4-decimal scores
        assert (raw >= hold) == (fitting.apply_map(kx, ky, raw) >= 0.65 - 1e-12)


def test_agreement_counts() -> None:
    a = fitting.agreement(np.array([0.9, 0.9, 0.1, 0.1]), np.array([0.9, 0.1, 0.9, 0.1]), 0.8)
    assert (a.perspective_flagged, a.civility_flagged, a.both) == (2, 2, 1)
    assert a.precision == 0.5 and a.recall == 0.5 and a.f1 == 0.5
    none = fitting.agreement(np.zeros(3), np.zeros(3), 0.8)
    assert none.precision is None and none.recall is None and none.f1 == 1.0


def test_serving_modules_do_not_import_training_code() -> None:
    """The per-site fit runs where the server runs: no civility.training, no scikit-learn."""
    code = (
        "import sys, json, django; django.setup();"
        "import civility.perspective.views, civility.perspective.cli,"
        " civility.perspective.site_calibration, civility.perspective.logmode,"
        " civility.perspective.discovery, civility.perspective.publisher_log;"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.startswith(('civility.training', 'sklearn', 'torch')))))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "civility.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
