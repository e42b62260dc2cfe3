"""Fit the Perspective score calibration for the installed model and report how close it gets.

    python -m civility.training.perspective_calibration [--datasets DIR] [--artifact DIR]

Reads `perspective-wikipedia-2k` (2,000 Wikipedia talk comments with Perspective's own scores of
2018-08-29) in place, scores them with our model, splits them in two halves by a hash of the
comment id (fit / held-out), and fits per attribute a monotone piecewise-linear *quantile map*:
our score at quantile q maps to Perspective's score at quantile q. A Perspective threshold then
flags about the same share of comments here. Writes `calibration/<model version>.json` (knots) and
`calibration/CALIBRATION.md` (held-out figures), and prints the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from civility.perspective.engine import CALIBRATION_DIR, artifact_sha256
from civility.training.datasets import (
    PERSPECTIVE_WIKIPEDIA,
    datasets_root,
    load_perspective_wikipedia,
)

# Our attribute -> Perspective column (the newer of the two model versions where there are two).
COLUMNS = {
    "TOXICITY": "TOXICITY@6",
    "SEVERE_TOXICITY": "SEVERE_TOXICITY@2",
    "INSULT": "INSULT",
    "PROFANITY": "PROFANITY",
    "THREAT": "THREAT",
    "IDENTITY_ATTACK": "IDENTITY_ATTACK",
}
QUANTILES = np.concatenate(
    [np.linspace(0.0, 0.8, 9), [0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0]]
)
THRESHOLDS = (0.5, 0.7, 0.8, 0.9)


def in_fit_half(comment_id: str) -> bool:
    return hashlib.sha256(comment_id.encode()).digest()[0] % 2 == 0


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    def ranks(v: np.ndarray) -> np.ndarray:
        order = v.argsort(kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        # average ranks over ties
        _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
        sums = np.bincount(inv, weights=r)
        return np.asarray(sums[inv] / counts[inv])

    ra, rb = ranks(a), ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def fit_quantile_map(ours: np.ndarray, theirs: np.ndarray) -> tuple[list[float], list[float]]:
    """Monotone knots (x: our score, y: Perspective's) from matching quantiles."""
    x = np.quantile(ours, QUANTILES)
    y = np.quantile(theirs, QUANTILES)
    x = np.concatenate([[0.0], x, [1.0]])
    y = np.concatenate([[0.0], y, [1.0]])
    y = np.maximum.accumulate(np.clip(y, 0.0, 1.0))
    # Strictly increasing x for interpolation: ties keep the highest mapped value.
    keep_x: list[float] = []
    keep_y: list[float] = []
    for xi, yi in zip(x, y, strict=True):
        if keep_x and xi <= keep_x[-1] + 1e-9:
            keep_y[-1] = max(keep_y[-1], float(yi))
        else:
            keep_x.append(float(xi))
            keep_y.append(float(yi))
    keep_x[0], keep_x[-1] = 0.0, 1.0
    return [round(v, 6) for v in keep_x], [round(v, 6) for v in keep_y]


def auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """ROC AUC (Mann-Whitney) of `scores` at telling `positive` rows from the rest."""
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    _, inv, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = np.bincount(inv, weights=ranks)[inv] / counts[inv]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def metrics(ours: np.ndarray, theirs: np.ndarray) -> dict[str, Any]:
    a = auc(ours, theirs >= 0.5)
    out: dict[str, Any] = {
        "spearman": round(spearman(ours, theirs), 4),
        "auc_at_perspective_0_5": None if a is None else round(a, 4),
        "mae": round(float(np.abs(ours - theirs).mean()), 4),
        "thresholds": {},
    }
    for t in THRESHOLDS:
        p, q = theirs >= t, ours >= t
        both = int((p & q).sum())
        out["thresholds"][str(t)] = {
            "perspective_flagged": int(p.sum()),
            "civility_flagged": int(q.sum()),
            "both": both,
            "agreement": round(float((p == q).mean()), 4),
        }
    return out


def run(datasets: Path, artifact: str | None) -> dict[str, Any]:
    from civility.scoring import Scorer

    scorer = Scorer.load(artifact) if artifact else Scorer.default()
    rows = load_perspective_wikipedia(datasets)
    texts = [r["comment_text"] for r in rows]
    ours_all: dict[str, list[float]] = {a: [] for a in COLUMNS}
    for start in range(0, len(texts), 256):
        for result in scorer.score(texts[start : start + 256]):
            for attr in COLUMNS:
                ours_all[attr].append(result.scores[attr])
    fit = np.array([in_fit_half(r["id"]) for r in rows])
    report: dict[str, Any] = {
        "model_version": scorer.version,
        "artifact_sha256": artifact_sha256(Path(scorer.path)),
        "method": "piecewise-linear quantile map (monotone), fitted per attribute",
        "source": PERSPECTIVE_WIKIPEDIA + " (Perspective API scores of 2018-08-29)",
        "split": "sha256(id)[0] even: fit half; odd: held-out half",
        "n_fit": int(fit.sum()),
        "n_heldout": int((~fit).sum()),
        "attributes": {},
        "heldout": {},
    }
    for attr, column in COLUMNS.items():
        ours = np.asarray(ours_all[attr])
        theirs = np.asarray([float(r[column]) for r in rows])
        x, y = fit_quantile_map(ours[fit], theirs[fit])
        report["attributes"][attr] = {"perspective_column": column, "x": x, "y": y}
        calibrated = np.interp(ours[~fit], x, y)
        report["heldout"][attr] = {
            "raw": metrics(ours[~fit], theirs[~fit]),
            "calibrated": metrics(calibrated, theirs[~fit]),
        }
    return report


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown(report: dict[str, Any], command: str) -> str:
    lines = [
        f"# Perspective score calibration for model `{report['model_version']}`",
        "",
        f"Produced by `{command}`. Method: {report['method']}.",
        f"Data: `{report['source']}`: 2,000 Wikipedia talk-page comments; "
        f"{report['split']} ({report['n_fit']} fit / {report['n_heldout']} held out).",
        "Perspective's scores are machine scores, not human labels: this measures how closely",
        "Civility ranks and scales like Perspective did in 2018, not which one is right.",
        "DEHUMANIZATION has no Perspective counterpart and is served uncalibrated.",
        "",
        "Held-out half, per attribute: Spearman rank correlation (a monotone map keeps it, up",
        "to ties), mean absolute difference from Perspective's score before and after",
        "calibration, and at threshold 0.8 (Coral's default) how many comments each flags and",
        "how many both flag.",
        "",
        "AUC: how well our score separates the comments Perspective scored >= 0.5 from the rest.",
        "",
        "| attribute | Spearman | AUC | MAE raw | MAE calibrated | flagged @0.8 Perspective /"
        " ours raw / ours calibrated / both (calibrated) | agreement @0.5 calibrated |",
        "|---|---|---|---|---|---|---|",
    ]
    for attr, h in report["heldout"].items():
        raw, cal = h["raw"], h["calibrated"]
        t8r, t8c, t5c = raw["thresholds"]["0.8"], cal["thresholds"]["0.8"], cal["thresholds"]["0.5"]
        lines.append(
            f"| {attr} | {cal['spearman']:.3f} | {_fmt(cal['auc_at_perspective_0_5'])} | "
            f"{raw['mae']:.3f} | {cal['mae']:.3f} | "
            f"{t8c['perspective_flagged']} / {t8r['civility_flagged']} / "
            f"{t8c['civility_flagged']} / {t8c['both']} | {t5c['agreement']:.3f} |"
        )
    lines += [
        "",
        "Re-run after every model update (the file name carries the model version, and the",
        "analyze endpoint serves uncalibrated scores, with a warning, for a version without one):",
        "",
        "    python -m civility.training.perspective_calibration",
        "",
    ]
    return "\n".join(lines)


def calibrate_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m civility.training.perspective_calibration")
    parser.add_argument("--datasets", type=Path, default=datasets_root())
    parser.add_argument("--artifact", default=None, help="model artifact folder (default: bundled)")
    parser.add_argument("--out", type=Path, default=CALIBRATION_DIR)
    args = parser.parse_args(argv)
    if not (args.datasets / PERSPECTIVE_WIKIPEDIA).exists():
        print(f"dataset not found: {args.datasets / PERSPECTIVE_WIKIPEDIA}", file=sys.stderr)
        return 2
    report = run(args.datasets, args.artifact)
    args.out.mkdir(parents=True, exist_ok=True)
    knots = {k: v for k, v in report.items() if k != "heldout"}
    knots["heldout"] = report["heldout"]
    path = args.out / f"{report['model_version']}.json"
    path.write_text(json.dumps(knots, indent=1) + "\n", encoding="utf-8")
    md = markdown(report, "python -m civility.training.perspective_calibration")
    (args.out / "CALIBRATION.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(calibrate_main())
