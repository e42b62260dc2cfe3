"""Holds chosen at an operating point (civility.training.holds) and civility-own's splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from civility.scoring.constants import ATTRIBUTES
from civility.scoring.policy import default_decision
from civility.training.holds import choose, classes, fit, operating_curve, render_markdown


def _row(*on: str, pattern: str = "p") -> dict:
    return {"text": "x", "labels": {a: int(a in on) for a in ATTRIBUTES}, "pattern": pattern}


def test_classes_hateful_and_should_approve() -> None:
    rows = [
        _row("TOXICITY", "IDENTITY_ATTACK"),
        _row("TOXICITY", "INSULT"),
        _row(),
        _row("PROFANITY"),  # untargeted swearing: approve
        _row("TOXICITY"),  # neither
    ]
    hate, clean = classes(rows)
    assert hate.tolist() == [True, True, False, False, False]
    assert clean.tolist() == [False, False, True, True, False]


def _synthetic(n: int = 400, seed: int = 0) -> tuple[np.ndarray, list[dict]]:
    """Hateful rows score high on one attribute (IDENTITY_ATTACK or THREAT); clean rows score
    high on TOXICITY (counter-speech) but low on the two."""
    rng = np.random.default_rng(seed)
    rows, p = [], []
    ia, th, tox = (ATTRIBUTES.index(a) for a in ("IDENTITY_ATTACK", "THREAT", "TOXICITY"))
    for i in range(n):
        s = rng.uniform(0, 0.2, len(ATTRIBUTES))
        if i % 2 == 0:
            j = ia if i % 4 == 0 else th
            s[j] = rng.uniform(0.3, 1.0)
            s[tox] = rng.uniform(0.4, 1.0)
            rows.append(_row("TOXICITY", ATTRIBUTES[j]))
        else:
            s[tox] = rng.uniform(0.3, 1.0)
            s[ia] = rng.uniform(0.0, 0.35)
            rows.append(_row(pattern="counter_speech"))
        p.append(s)
    return np.asarray(p), rows


def test_curve_is_monotone_and_the_choice_respects_the_clean_budget() -> None:
    p, rows = _synthetic()
    hate, clean = classes(rows)
    curve = operating_curve(p, hate, clean)
    assert curve[0]["recall"] == 0 and curve[0]["clean_held"] == 0
    rec = [c["recall"] for c in curve]
    cl = [c["clean_held"] for c in curve]
    assert rec == sorted(rec) and cl == sorted(cl) and rec[-1] == 1.0
    point = choose(curve, 0.05)
    assert point["clean_held"] <= 0.05 and point["recall"] >= 0.9
    # TOXICITY separates nothing here: the greedy path leaves it (almost) unused.
    assert point["holds"]["TOXICITY"] >= 0.95
    # Applying the holds the way the server decides reproduces the point.
    held = np.array(
        [
            default_decision(dict(zip(ATTRIBUTES, s, strict=True)), point["holds"]) == "hold"
            for s in p
        ]
    )
    assert abs(held[hate].mean() - point["recall"]) < 1e-3
    assert abs(held[clean].mean() - point["clean_held"]) < 1e-3


def test_fit_reports_the_point_and_renders_for_the_card() -> None:
    p, rows = _synthetic()
    res = fit(p, rows)
    assert res["operating_point"]["meets_target"]
    assert res["data"] == {
        "rows": 400,
        "hateful": 200,
        "should_approve": 200,
        "source": "civility-own validation.jsonl",
    }
    assert set(res["held_by_pattern"]) == {"hateful:p", "approve:counter_speech"}
    config = {"holds": res["holds"], "holds_fit": res}
    md = render_markdown(config)
    assert "Operating curve" in md and "(chosen)" in md and "holds" in md
    assert render_markdown({}) == ""


def test_load_own_reads_validation_as_val_and_never_trains_on_it(tmp_path: Path) -> None:
    from civility.training.datasets import LabeledSet, build_train_val, load_own

    def write(name: str, texts: list[str]) -> None:
        with open(tmp_path / name, "w") as fh:
            for t in texts:
                fh.write(json.dumps({"text": t, "labels": {"TOXICITY": 1}, "pair": "x"}) + "\n")

    write("train.jsonl", ["a train row", "another train row"])
    write("validation.jsonl", ["a validation row"])
    write("heldout.jsonl", ["a test row"])
    rows = load_own(tmp_path)
    assert [(r.text, r.split) for r in rows] == [
        ("a train row", "train"),
        ("another train row", "train"),
        ("a validation row", "val"),
        ("a test row", "test"),
    ]
    y = np.ones((4, len(ATTRIBUTES)), np.float32)
    s = LabeledSet("civility-own", [r.text for r in rows], [r.split for r in rows], y)
    train, val, _ = build_train_val([s])
    assert train.texts == ["a train row", "another train row"]
    assert val.texts == ["a validation row"]
    (tmp_path / "validation.jsonl").unlink()  # 1.x layout: no validation file
    assert [r.split for r in load_own(tmp_path)] == ["train", "train", "test"]


def test_refine_spends_the_budget_the_greedy_path_jumps_over() -> None:
    from civility.training.holds import refine

    p, rows = _synthetic(seed=3)
    hate, clean = classes(rows)
    for budget in (0.0, 0.02, 0.05, 0.1):
        coarse = choose(operating_curve(p, hate, clean, levels=20), budget)
        fine = refine(p, hate, clean, coarse, budget)
        assert fine["clean_held"] <= budget
        assert fine["recall"] >= coarse["recall"]
        assert all(fine["holds"][a] <= coarse["holds"][a] for a in ATTRIBUTES)
