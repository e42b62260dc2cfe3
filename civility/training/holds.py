"""Default hold thresholds chosen for recall at an explicit operating point (issue 19, item 3).

    python -m civility.training.holds --artifact DIR [--max-clean 0.05] [--min-recall 0.90]

A fresh site holds a comment when *any* attribute reaches its hold (`civility.scoring.policy`).
The holds are chosen together, on civility-own's validation split (``validation.jsonl``, never
trained on; never civility-check), which is about hate and threats:

- **hateful** (should be held): rows labelled SEVERE_TOXICITY, THREAT, IDENTITY_ATTACK,
  DEHUMANIZATION or INSULT (an attack on a person or a group);
- **should approve**: rows with no attribute (counter-speech, negations and defences, neutral and
  positive mentions of groups, reported speech, news about violence, idioms with no victim), and
  untargeted swearing (PROFANITY alone: "Fuck war" is not an attack on anyone).

`operating_curve` traces recall (share of hateful rows held) against the clean-held rate (share
of should-approve rows held) by lowering one attribute's hold at a time, greedily: at each step
the move that holds the most hateful rows per clean row it also holds. The chosen point is the
one with the highest recall whose clean-held rate is at most ``max_clean``; the target is
``min_recall`` at that rate. The holds, the curve and the point go into the artifact's
config.json (``holds`` for stage 1 alone, ``cascade.holds`` for the cascade, each with a
``holds_fit`` record) and the model card.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.constants import ATTRIBUTES

HATEFUL = ("SEVERE_TOXICITY", "THREAT", "IDENTITY_ATTACK", "DEHUMANIZATION", "INSULT")
MAX_CLEAN = 0.05
MIN_RECALL = 0.90
NEVER = 1.0  # a hold no score reaches in practice (attribute not used by the default decision)
LEVELS = 400  # candidate holds per attribute (quantiles of the scores)


def classes(rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(hateful, should_approve) boolean masks over rows with civility-own ``labels``."""
    hate, clean = [], []
    for r in rows:
        lab = r["labels"]
        h = any(int(lab.get(a, 0)) == 1 for a in HATEFUL)
        on = {a for a in ATTRIBUTES if int(lab.get(a, 0)) == 1}
        hate.append(h)
        clean.append(not h and on <= {"PROFANITY"})
    return np.asarray(hate), np.asarray(clean)


def _candidates(p: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """Descending candidate holds for one attribute: quantiles of its scores (rounded)."""
    q = np.quantile(p, np.linspace(0.0, 1.0, levels + 1))
    c = np.unique(np.round(np.clip(q, 1e-4, NEVER), 4))
    return np.sort(c)[::-1]


def operating_curve(
    p: np.ndarray,
    hateful: np.ndarray,
    clean: np.ndarray,
    attributes: Sequence[str] = ATTRIBUTES,
    levels: int = LEVELS,
    lookahead: int = 60,
) -> list[dict[str, Any]]:
    """Greedy path of per-attribute holds from holding nothing to holding (almost) everything.

    Each point: ``recall`` (hateful held), ``clean_held`` (should-approve held) and ``holds``."""
    n_h, n_c = max(1, int(hateful.sum())), max(1, int(clean.sum()))
    k = len(attributes)
    cand = [_candidates(p[:, j], levels) for j in range(k)]
    pos = [-1] * k  # index into cand[j] of the current hold; -1 = NEVER
    holds = np.full(k, NEVER + 1e-9)
    held = np.zeros(len(p), bool)

    def point() -> dict[str, Any]:
        return {
            "recall": round(float(held[hateful].sum() / n_h), 4),
            "clean_held": round(float(held[clean].sum() / n_c), 4),
            "holds": {a: round(min(float(holds[j]), NEVER), 4) for j, a in enumerate(attributes)},
        }

    curve = [point()]
    while True:
        best: tuple[float, float, int, int] | None = None  # (ratio, gain, attribute, position)
        for j in range(k):
            for step in range(1, lookahead + 1):
                i = pos[j] + step
                if i >= len(cand[j]):
                    break
                new = (p[:, j] >= cand[j][i]) & ~held
                gain = float(new[hateful].sum()) / n_h
                if gain <= 0:
                    continue
                cost = float(new[clean].sum()) / n_c
                ratio = gain / max(cost, 0.1 / n_c)
                if best is None or (ratio, gain) > (best[0], best[1]):
                    best = (ratio, gain, j, i)
        if best is None:
            break
        _, _, j, i = best
        pos[j] = i
        holds[j] = cand[j][i]
        held |= p[:, j] >= holds[j]
        curve.append(point())
    return curve


def choose(curve: Sequence[dict[str, Any]], max_clean: float = MAX_CLEAN) -> dict[str, Any]:
    """The point with the highest recall whose clean-held rate is at most ``max_clean``
    (the fewest clean rows held among equals)."""
    ok = [c for c in curve if c["clean_held"] <= max_clean] or [curve[0]]
    return dict(max(ok, key=lambda c: (c["recall"], -c["clean_held"])))


def refine(
    p: np.ndarray,
    hateful: np.ndarray,
    clean: np.ndarray,
    point: dict[str, Any],
    max_clean: float,
    attributes: Sequence[str] = ATTRIBUTES,
) -> dict[str, Any]:
    """Spend what is left of the clean-held budget after the greedy path's last point inside
    it: repeatedly lower one hold to the score of a hateful row not yet held, taking the move
    that holds the most hateful rows (the fewest clean ones among equals) while the clean-held
    rate stays within ``max_clean``. The greedy path moves by ratio and can jump over these."""
    n_h, n_c = max(1, int(hateful.sum())), max(1, int(clean.sum()))
    holds = np.array([point["holds"][a] for a in attributes], np.float64)
    held = np.asarray((p >= holds).any(axis=1), bool)
    budget = int(np.floor(max_clean * n_c + 1e-9))
    while True:
        now = int(held[hateful].sum())
        best: tuple[int, int, int, float] | None = None  # (gain, -cost, attribute, hold)
        for j in range(len(attributes)):
            cand = np.unique(np.round(p[hateful & ~held, j], 4))
            cand = cand[cand < holds[j]][-300:]  # the highest ones: the smallest moves
            for t in cand[::-1]:
                new = held | (p[:, j] >= t)
                c = int(new[clean].sum())
                if c > budget:
                    break  # lower holds only hold more clean rows
                g = int(new[hateful].sum())
                if g > now and (best is None or (g, -c) > best[:2]):
                    best = (g, -c, j, float(t))
        if best is None:
            break
        _, _, j, t = best
        holds[j] = t
        held = np.asarray((p >= holds).any(axis=1), bool)
    return {
        "recall": round(float(held[hateful].sum() / n_h), 4),
        "clean_held": round(float(held[clean].sum() / n_c), 4),
        "holds": {a: round(float(min(holds[j], NEVER)), 4) for j, a in enumerate(attributes)},
    }


def fit(
    p: np.ndarray,
    rows: Sequence[dict[str, Any]],
    attributes: Sequence[str] = ATTRIBUTES,
    max_clean: float = MAX_CLEAN,
    min_recall: float = MIN_RECALL,
) -> dict[str, Any]:
    """Holds at the operating point for scores ``p`` (n, attributes) of civility-own ``rows``,
    with the curve (thinned for the card) and per-pattern held shares at that point."""
    hateful, clean = classes(rows)
    curve = operating_curve(p, hateful, clean, attributes)
    chosen = refine(p, hateful, clean, choose(curve, max_clean), max_clean, attributes)
    curve = sorted([*curve, chosen], key=lambda c: (c["clean_held"], c["recall"]))
    h = np.array([chosen["holds"][a] for a in attributes])
    held = np.asarray((p >= h).any(axis=1), bool)
    by_pattern: dict[str, list[int]] = {}
    counts: Counter[str] = Counter()
    for r, x, is_h, is_c in zip(rows, held, hateful, clean, strict=True):
        if not (is_h or is_c):
            continue
        key = f"{'hateful' if is_h else 'approve'}:{r.get('pattern', '?')}"
        by_pattern.setdefault(key, []).append(int(x))
        counts[key] += 1
    return {
        "holds": chosen["holds"],
        "operating_point": {
            "recall": chosen["recall"],
            "clean_held": chosen["clean_held"],
            "max_clean": max_clean,
            "min_recall": min_recall,
            "meets_target": chosen["recall"] >= min_recall and chosen["clean_held"] <= max_clean,
        },
        "data": {
            "rows": len(rows),
            "hateful": int(hateful.sum()),
            "should_approve": int(clean.sum()),
            "source": "civility-own validation.jsonl",
        },
        "curve": thin(curve),
        "held_by_pattern": {
            k: [round(float(np.mean(v)), 3), len(v)] for k, v in sorted(by_pattern.items())
        },
    }


def thin(curve: Sequence[dict[str, Any]], step: float = 0.005) -> list[dict[str, Any]]:
    """Curve points at least ``step`` apart in clean-held rate (plus the last one), without holds
    for all but a few: enough to draw the curve in the model card."""
    out: list[dict[str, Any]] = []
    for c in curve:
        if not out or c["clean_held"] - out[-1]["clean_held"] >= step or c is curve[-1]:
            out.append({"recall": c["recall"], "clean_held": c["clean_held"]})
        if c["clean_held"] > 0.5:
            break
    return out


def validation_rows(
    cfg: dict[str, Any] | None = None, root: Path | None = None
) -> list[dict[str, Any]]:
    """civility-own validation rows (from the configured civility-own folder)."""
    from civility.training.datasets import (
        datasets_root,
        load_config,
        load_own_split,
        resolve_path,
    )

    cfg = cfg or load_config()
    for entry in cfg["dataset"]:
        if entry["loader"] == "own":
            return load_own_split(resolve_path(entry, root or datasets_root()), "val")
    return []


def fit_artifact(
    artifact: Path,
    rows: Sequence[dict[str, Any]],
    max_clean: float = MAX_CLEAN,
    min_recall: float = MIN_RECALL,
    log: Any = print,
) -> dict[str, Any]:
    """Fit holds for stage 1 alone (``config.holds``) and, when the artifact has stage 2, for
    the cascade (``config.cascade.holds``); writes config.json. Returns the config."""
    from civility.scoring.model import Scorer
    from civility.training.train import _write_config

    if not rows:
        raise ValueError("no civility-own validation rows to choose holds on")
    texts = [r["text"] for r in rows]
    config = json.loads((artifact / "config.json").read_text(encoding="utf-8"))
    for key in ("holds", "holds_fit"):
        config.pop(key, None)
    if "cascade" in config:
        for key in ("holds", "holds_fit"):
            config["cascade"].pop(key, None)
    _write_config(artifact, config)  # so the scorers below use no earlier holds
    s1 = Scorer.load(artifact, stage2=False)
    res1 = fit(s1.probabilities(texts), rows, s1.attributes, max_clean, min_recall)
    config["holds"], config["holds_fit"] = res1.pop("holds"), res1
    log(f"stage 1 holds {config['holds']}: {res1['operating_point']}")
    if "cascade" in config:
        s2 = Scorer.load(artifact)
        res2 = fit(s2.probabilities(texts), rows, s2.attributes, max_clean, min_recall)
        config["cascade"]["holds"], config["cascade"]["holds_fit"] = res2.pop("holds"), res2
        log(f"cascade holds {config['cascade']['holds']}: {res2['operating_point']}")
    _write_config(artifact, config)
    return config


def render_markdown(config: dict[str, Any]) -> str:
    """Model-card section: the operating curve and the chosen point of the serving holds."""
    casc = config.get("cascade") or {}
    fit_ = casc.get("holds_fit") or config.get("holds_fit")
    holds = casc.get("holds") or config.get("holds")
    if not fit_ or not holds:
        return ""
    op, data = fit_["operating_point"], fit_["data"]
    lines = [
        "## Default holds (operating point on validation data about hate and threats)",
        "",
        f"A new site holds a comment when any attribute reaches its hold. The holds were chosen "
        f"together on {data['source']} ({data['rows']} rows, never trained on): "
        f"{data['hateful']} hateful rows (SEVERE_TOXICITY, THREAT, IDENTITY_ATTACK, "
        f"DEHUMANIZATION or INSULT) and {data['should_approve']} rows that should be approved "
        "(no attribute, or untargeted PROFANITY alone: counter-speech, negations, neutral and "
        "positive mentions, reporting, news, idioms). Target: at least "
        f"{op['min_recall']:.0%} of hateful rows held with at most {op['max_clean']:.0%} of "
        "the others held; chosen: the highest recall within that clean-held rate "
        "(`python -m civility.training.holds`).",
        "",
        f"- chosen point: **{op['recall']:.1%} of hateful rows held, {op['clean_held']:.1%} "
        f"of should-approve rows held** (target met: {op['meets_target']})",
        f"- holds: `{json.dumps(holds)}`",
    ]
    if casc.get("holds_fit") and config.get("holds_fit"):
        o1 = config["holds_fit"]["operating_point"]
        lines.append(
            f"- stage 1 alone (`CIVILITY_SCORING_STAGE2=0`): holds "
            f"`{json.dumps(config['holds'])}`, {o1['recall']:.1%} held / "
            f"{o1['clean_held']:.1%} clean held"
        )
    lines += ["", "Operating curve (validation; recall = hateful held):", ""]
    lines += ["| clean held | recall |", "|---|---|"]
    pts = fit_["curve"]
    marks = {0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3}
    shown = []
    for m in sorted(marks):
        below = [c for c in pts if c["clean_held"] <= m]
        if below:
            shown.append(max(below, key=lambda c: c["recall"]))
    for c in sorted({(c["clean_held"], c["recall"]) for c in shown}):
        star = " (chosen)" if c == (op["clean_held"], op["recall"]) else ""
        lines.append(f"| {c[0]:.1%} | {c[1]:.1%}{star} |")
    if (op["clean_held"], op["recall"]) not in {(c["clean_held"], c["recall"]) for c in shown}:
        lines.append(f"| {op['clean_held']:.1%} | {op['recall']:.1%} (chosen) |")
    worst = sorted(
        ((k, v) for k, v in fit_.get("held_by_pattern", {}).items()),
        key=lambda kv: kv[1][0] if kv[0].startswith("hateful") else 1 - kv[1][0],
    )[:8]
    if worst:
        lines += [
            "",
            "Weakest patterns at the chosen point (share held, rows): "
            + ", ".join(f"{k} {v[0]:.0%} ({v[1]})" for k, v in worst),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--artifact", type=Path, required=True)
    ap.add_argument("--max-clean", type=float, default=MAX_CLEAN)
    ap.add_argument("--min-recall", type=float, default=MIN_RECALL)
    args = ap.parse_args(argv)
    if not (args.artifact / "config.json").exists():
        print(f"{args.artifact}: no config.json", file=sys.stderr)
        return 2
    rows = validation_rows()
    if not rows:
        print("no civility-own validation.jsonl (run data/civility-own/build.py)", file=sys.stderr)
        return 2
    fit_artifact(args.artifact, rows, args.max_clean, args.min_recall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
