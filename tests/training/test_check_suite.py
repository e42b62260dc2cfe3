"""civility-check: the builder, the cases, the overlap check with civility-own, the evaluation
on the shipped model, and the regression gate on the full suite."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from civility.training import check
from civility.training.check import (
    Case,
    evaluate,
    load_cases,
    normalize_for_overlap,
    overlap_report,
    render_markdown,
)

# ------------------------------------------------------------------ regression gate (shipped)
# Measured on civility-tox as shipped (civility-check v1.0.0, default holds, 2026-11-30).
# Floors: each functionality at its measured accuracy minus 5 points, overall minus 2 points;
# the group spread and the share of clean cases held may grow by at most 5 / 2 points.
# A new suite version changes GATE_CASES_SHA256: measure again and reset these numbers.
GATE_CASES_SHA256 = "f051827b3d695265cdade0a12983b76a8806c9ace27795ebf38295a15f23367c"
MEASURED_ACCURACY = 0.6265
OVERALL_FLOOR = 0.606
GROUP_SPREAD_CEILING = 0.235  # measured 0.1845 (max - min accuracy over the 14 groups)
NON_HATEFUL_HELD_CEILING = 0.144  # measured 0.1239
FUNCTIONALITY_FLOORS: dict[str, float] = {
    "hate_emotion": 0.262,  # measured 0.3125
    "hate_attribute": 0.95,  # measured 1.0000
    "hate_dehumanize": 0.61,  # measured 0.6607
    "hate_implicit": 0.012,  # measured 0.0625
    "hate_question": 0.052,  # measured 0.1020
    "hate_opinion": 0.276,  # measured 0.3265
    "hate_negated_positive": 0.0,  # measured 0.0102
    "hate_pronoun": 0.723,  # measured 0.7738
    "hate_slur": 0.396,  # measured 0.4464
    "threat_group": 0.458,  # measured 0.5089
    "threat_individual": 0.046,  # measured 0.0962
    "incite_idiom": 0.654,  # measured 0.7041
    "cheer_violence": 0.133,  # measured 0.1837
    "insult_reader": 0.727,  # measured 0.7778
    "insult_reader_oblique": 0.0,  # measured 0.0200
    "evade_swap": 0.545,  # measured 0.5952
    "evade_drop": 0.616,  # measured 0.6667
    "evade_space": 0.771,  # measured 0.8214
    "evade_leet": 0.926,  # measured 0.9762
    "neg_hate": 0.476,  # measured 0.5268
    "positive_identity": 0.95,  # measured 1.0000
    "counter_quote": 0.613,  # measured 0.6633
    "counter_name": 0.715,  # measured 0.7653
    "report_news": 0.95,  # measured 1.0000
    "neutral_group": 0.95,  # measured 1.0000
    "idiom_no_victim": 0.938,  # measured 0.9884
    "profanity_untargeted": 0.832,  # measured 0.8824
    "news_violence": 0.95,  # measured 1.0000
    "criticism_institution": 0.92,  # measured 0.9706
    "reclaimed_homonym": 0.794,  # measured 0.8444
    "disagree_civil": 0.93,  # measured 0.9800
}

BUILD = check.CHECK_DIR / "build.py"
README = check.CHECK_DIR / "README.md"


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("civility_check_build", BUILD)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def build() -> ModuleType:
    return _build_module()


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


@pytest.fixture(scope="module")
def shipped() -> Any:
    from civility.scoring import Scorer

    return Scorer.load()


# ------------------------------------------------------------------ the builder and the cases
def test_build_is_deterministic_and_committed(build: ModuleType, tmp_path: Path) -> None:
    a = build.write(tmp_path / "a").read_bytes()
    b = build.write(tmp_path / "b").read_bytes()
    assert a == b
    assert a == check.DEFAULT_CASES.read_bytes(), "cases.jsonl is stale: run build.py"


def test_suite_size_fields_and_decisions(build: ModuleType, cases: list[Case]) -> None:
    assert len(cases) >= 2500
    rows = [json.loads(line) for line in check.DEFAULT_CASES.read_text("utf-8").splitlines()]
    assert all(set(r) == set(check.FIELDS) for r in rows)
    assert len({c.id for c in cases}) == len(cases)
    assert len({c.text for c in cases}) == len(cases), "duplicate texts"
    per_func: dict[str, list[Case]] = {}
    for c in cases:
        per_func.setdefault(c.functionality, []).append(c)
    assert len(per_func) >= 25
    for f, cs in per_func.items():
        assert len(cs) >= 40, f
        assert {c.expected for c in cs} == {build.FUNCTIONALITIES[f][0]}, f
    assert {c.expected for c in cases} == {"hold", "approve"}
    assert set(per_func) == set(build.FUNCTIONALITIES)
    targets = set(build.GROUP_KEYS) | set(build.INDIVIDUAL_TARGETS)
    assert {c.target for c in cases} <= targets
    assert set(build.GROUP_KEYS) <= {c.target for c in cases}
    assert check.NON_GROUP_TARGETS == set(build.INDIVIDUAL_TARGETS)


def test_groups_are_balanced(build: ModuleType, cases: list[Case]) -> None:
    """Every group gets the same hateful cases, and every templated pattern every group."""
    hateful = {g: 0 for g in build.GROUP_KEYS}
    clean = {g: 0 for g in build.GROUP_KEYS}
    for c in cases:
        if c.target in hateful:
            (hateful if c.expected == "hold" else clean)[c.target] += 1
    assert len(set(hateful.values())) == 1, hateful
    assert max(clean.values()) - min(clean.values()) <= 0.15 * min(clean.values()), clean
    by_template: dict[str, set[str]] = {}
    for c in cases:
        if c.template != "written":
            by_template.setdefault(c.template, set()).add(c.target)
    for t, groups in by_template.items():
        assert groups == set(build.GROUP_KEYS), t


def test_readme_is_a_datasheet(build: ModuleType, cases: list[Case]) -> None:
    text = README.read_text("utf-8")
    assert build.VERSION == check.SUITE_VERSION
    assert f"Version: {build.VERSION}" in text
    assert "CC0" in text and "never train" in text.lower()
    assert f"{len(cases):,}" in text
    for f in build.FUNCTIONALITIES:
        assert f"`{f}`" in text, f


def test_group_names_and_slurs_normalize_to_the_placeholder(build: ModuleType) -> None:
    for _, plural, one, bare in build.GROUPS:
        assert normalize_for_overlap(f"All {plural} here.") == "all grp here"
        assert normalize_for_overlap(f"{one} here") == "a grp here"
        assert normalize_for_overlap(f"No {bare} here") == "no grp here"
    for slurs in build.SLURS.values():
        for s in slurs:
            assert normalize_for_overlap(f"the {s} again") == "the grp again", s
    assert normalize_for_overlap("{g} are, like, {GROUP}!!") == "grp are like grp"


# ------------------------------------------------------------------ overlap with civility-own
def test_overlap_report_finds_exact_and_near_duplicates() -> None:
    own = [
        "Muslims are NOT parasites!!",
        "{g} will always be welcome at our table on a Sunday afternoon",
        "the council meets today",
    ]
    check_texts = [
        "Refugees are not parasites.",  # exact after normalization
        "Jews will always be welcome at our table on a Sunday evening",  # near
        "a sentence that shares nothing with the others",
    ]
    rep = overlap_report(check_texts, own, ["a.jsonl", "written/b.tsv", "a.jsonl"])
    assert [e["check"] for e in rep["exact"]] == ["Refugees are not parasites."]
    assert [e["source"] for e in rep["near"]] == ["written/b.tsv"]
    assert rep["overlap"] == 2
    assert overlap_report(["the market opens today"], own)["overlap"] == 0


def test_load_own_texts_reads_jsonl_and_tsv(tmp_path: Path) -> None:
    (tmp_path / "written").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "train.jsonl").write_text(json.dumps({"text": "one row", "labels": {}}) + "\n")
    (tmp_path / "written" / "x.tsv").write_text("T\tkind\tid-1\tyou are wrong about rents\n")
    (tmp_path / "templates" / "y.tsv").write_text("id\ttemplate\nt1\t{g} are welcome\n")
    got = sorted(check.load_own_texts(tmp_path))
    assert got == [
        ("templates/y.tsv", "{g} are welcome"),
        ("train.jsonl", "one row"),
        ("written/x.tsv", "you are wrong about rents"),
    ]


def test_no_overlap_with_civility_own(cases: list[Case]) -> None:
    own = check.load_own_texts()
    if not own:
        pytest.skip("no civility-own files found")
    rep = overlap_report([c.text for c in cases], [t for _, t in own], [s for s, _ in own])
    assert rep["overlap"] == 0, check.render_overlap(rep)


def test_overlap_cli_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = load_cases()[0]
    cases_file = tmp_path / "cases.jsonl"
    cases_file.write_text(json.dumps(one.__dict__) + "\n")
    own = tmp_path / "own"
    own.mkdir()
    (own / "train.jsonl").write_text(json.dumps({"text": "nothing alike at all"}) + "\n")
    assert check.main(["--overlap", "--cases", str(cases_file), "--own", str(own)]) == 0
    (own / "more.jsonl").write_text(json.dumps({"text": one.text.upper()}) + "\n")
    assert check.main(["--overlap", "--cases", str(cases_file), "--own", str(own)]) == 1
    assert "EXACT" in capsys.readouterr().out


# ------------------------------------------------------------------ evaluation
class _FakeScorer:
    """Holds any text containing 'vermin' (TOXICITY 0.9), approves the rest."""

    version = "fake.0"
    thresholds = {"TOXICITY": 0.5}
    config: dict[str, Any] = {"holds": {"TOXICITY": 0.5}}
    cascade: dict[str, Any] | None = None

    def score(self, texts: list[str]) -> list[SimpleNamespace]:
        return [SimpleNamespace(scores={"TOXICITY": 0.9 if "vermin" in t else 0.1}) for t in texts]


def _case(i: int, func: str, text: str, expected: str, target: str) -> Case:
    return Case(f"{func}-{i}", func, text, expected, target, "written")


def test_evaluate_figures_on_a_fake_scorer() -> None:
    cases = [
        _case(1, "hate_dehumanize", "A are vermin", "hold", "a"),
        _case(2, "hate_dehumanize", "B are rats", "hold", "b"),
        _case(3, "neg_hate", "A are not vermin", "approve", "a"),
        _case(4, "neg_hate", "B are not rats", "approve", "b"),
        _case(5, "insult_reader", "you fool", "hold", "reader"),
    ]
    rep = evaluate(_FakeScorer(), cases, batch=2, failures=1)
    assert rep["n"] == 5 and rep["n_hateful"] == 3
    assert rep["accuracy"] == pytest.approx(2 / 5)
    assert rep["hateful_held"] == pytest.approx(1 / 3)
    assert rep["non_hateful_held"] == pytest.approx(1 / 2)
    assert rep["identity_clean_held"] == pytest.approx(1 / 2)
    assert rep["functionalities"]["hate_dehumanize"]["accuracy"] == 0.5
    assert rep["targets"]["a"]["accuracy"] == 0.5 and rep["targets"]["b"]["accuracy"] == 0.5
    assert rep["targets"]["reader"]["group"] is False
    assert list(rep["targets"])[-1] == "reader"  # groups first
    assert rep["group_accuracy_spread"] == 0.0
    assert rep["group_non_hateful_held_spread"] == 1.0
    assert rep["failures"]["hate_dehumanize"] == ["B are rats"]
    md = render_markdown(rep)
    assert "| `neg_hate` | approve | 2 | 50.0% | 50.0% |" in md
    assert "| reader | 1 | 0.0% |" in md


def test_evaluate_on_the_shipped_model_subset(shipped: Any, cases: list[Case]) -> None:
    subset: list[Case] = []
    seen: dict[str, int] = {}
    for c in cases:
        if seen.get(c.functionality, 0) < 3:
            subset.append(c)
            seen[c.functionality] = seen.get(c.functionality, 0) + 1
    rep = evaluate(shipped, subset)
    assert rep["model"] == shipped.version and rep["n"] == len(subset)
    assert set(rep["functionalities"]) == set(seen)
    for key in ("accuracy", "hateful_held", "non_hateful_held", "identity_clean_held"):
        assert 0.0 <= rep[key] <= 1.0, key
    assert set(rep["holds"]) == set(shipped.attributes)
    assert json.loads(json.dumps(rep))["n"] == len(subset)
    assert "| functionality | expected |" in render_markdown(rep)


def test_check_cli_writes_json(tmp_path: Path, cases: list[Case]) -> None:
    cases_file = tmp_path / "cases.jsonl"
    cases_file.write_text("".join(json.dumps(c.__dict__) + "\n" for c in cases[::200]))
    out = tmp_path / "report.json"
    assert check.main(["--cases", str(cases_file), "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    assert rep["n"] == len(cases[::200]) and "failures" in rep


def test_civility_eval_summary_and_card_include_the_suite(shipped: Any) -> None:
    from civility.training.evaluate import render_card, summarize

    rep = evaluate(shipped, load_cases()[:50])
    res = {"sets": {}, "peers": [], "civility-check": rep}
    assert summarize(res).startswith("civility-check: accuracy")
    assert "## civility-check (functional tests v" in render_card(shipped, res)


# ------------------------------------------------------------------ the gate (full suite)
def test_gate_full_suite_on_shipped_model(shipped: Any, cases: list[Case]) -> None:
    rep = evaluate(shipped, cases)
    print()
    print(
        f"civility-check on {rep['model']}: accuracy {rep['accuracy']:.4f}, hateful held "
        f"{rep['hateful_held']:.4f}, non-hateful held {rep['non_hateful_held']:.4f}, "
        f"identity-clean held {rep['identity_clean_held']:.4f}, group spread "
        f"{rep['group_accuracy_spread']:.4f} {rep['group_accuracy_min']} "
        f"{rep['group_accuracy_max']}"
    )
    for f, v in rep["functionalities"].items():
        print(f"  {f:24s} {v['expected']:8s} n={v['n']:4d} accuracy {v['accuracy']:.4f}")
    assert rep["cases_sha256"] == GATE_CASES_SHA256, "suite changed: measure and reset floors"
    assert set(rep["functionalities"]) == set(FUNCTIONALITY_FLOORS)
    below = {
        f: round(v["accuracy"], 4)
        for f, v in rep["functionalities"].items()
        if v["accuracy"] < FUNCTIONALITY_FLOORS[f]
    }
    assert not below, f"functionalities below their floor: {below}"
    assert rep["accuracy"] >= OVERALL_FLOOR
    assert rep["group_accuracy_spread"] <= GROUP_SPREAD_CEILING
    assert rep["non_hateful_held"] <= NON_HATEFUL_HELD_CEILING
    assert math.isclose(OVERALL_FLOOR, MEASURED_ACCURACY - 0.02, abs_tol=0.001)
