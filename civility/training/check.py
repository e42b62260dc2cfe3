"""civility-check: Civility's functional test suite for the moderation model, and its report.

    python -m civility.training.check [--model DIR] [--json OUT]   # score the suite
    python -m civility.training.check --overlap                    # overlap with civility-own

The suite (``data/civility-check/cases.jsonl``, built by ``data/civility-check/build.py``) is a
held-out TEST set: never train, tune thresholds or pick a model on it. Each case is decided with
the model's *default* holds (`civility.scoring.policy`), exactly as a fresh site would decide it:
"hold" when any attribute reaches its hold threshold, else "approve".

The overlap check compares the suite with civility-own (every ``*.jsonl`` under
``data/civility-own`` and every ``*.tsv`` under its ``written/`` and ``templates/``) after
normalization (lower-case, punctuation stripped, whitespace collapsed, group names and template
placeholders replaced by one placeholder), for exact matches and near-duplicates (Jaccard of
word 3-shingles >= 0.8, or difflib ratio >= 0.9).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from civility.scoring.policy import default_decision, default_hold_thresholds

SUITE_VERSION = "1.0.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_DIR = REPO_ROOT / "data" / "civility-check"
DEFAULT_CASES = CHECK_DIR / "cases.jsonl"
OWN_DIR = REPO_ROOT / "data" / "civility-own"

FIELDS = ("id", "functionality", "text", "expected", "target", "template")
EXPECTED = ("hold", "approve")
# Targets that are not identity groups (excluded from the per-group spread).
NON_GROUP_TARGETS = frozenset({"reader", "public_figure", "none"})
# Clean cases that name a group: the ones a biased model over-holds.
IDENTITY_CLEAN = ("neg_hate", "positive_identity", "counter_quote", "counter_name", "neutral_group")


@dataclass(frozen=True)
class Case:
    id: str
    functionality: str
    text: str
    expected: str  # "hold" | "approve"
    target: str  # a group key, "reader", "public_figure" or "none"
    template: str  # template id, or "written"

    @property
    def hateful(self) -> bool:
        return self.expected == "hold"


def load_cases(path: str | Path | None = None) -> list[Case]:
    """Read cases.jsonl; raises ValueError on a missing field or an unknown decision."""
    p = Path(path) if path is not None else DEFAULT_CASES
    cases = []
    with open(p, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = [f for f in FIELDS if not isinstance(row.get(f), str) or not row[f]]
            if missing:
                raise ValueError(f"{p}:{n}: missing or empty {missing}")
            if row["expected"] not in EXPECTED:
                raise ValueError(f"{p}:{n}: expected must be one of {EXPECTED}")
            cases.append(Case(**{f: row[f] for f in FIELDS}))
    return cases


# ------------------------------------------------------------------------------ evaluation
class CheckScorer(Protocol):
    version: str
    thresholds: dict[str, float]
    config: dict[str, Any]
    cascade: dict[str, Any] | None

    def score(self, texts: list[str]) -> Sequence[Any]: ...


def _rate(xs: list[bool]) -> float:
    return float(sum(xs) / len(xs)) if xs else float("nan")


def _spread(values: dict[str, float]) -> float:
    vals = [v for v in values.values() if v == v]
    return float(max(vals) - min(vals)) if vals else float("nan")


def cases_digest(cases: Sequence[Case]) -> str:
    h = hashlib.sha256()
    for c in cases:
        h.update("\t".join(getattr(c, f) for f in FIELDS).encode("utf-8") + b"\n")
    return h.hexdigest()


def evaluate(
    scorer: CheckScorer, cases: Sequence[Case], batch: int = 256, failures: int = 0
) -> dict[str, Any]:
    """Decide every case with the scorer's default holds; accuracy overall, per functionality
    and per target group, the spread over groups, and how much hateful / clean text is held.

    ``failures``: keep up to this many failed texts per functionality in the report."""
    holds = default_hold_thresholds(scorer)
    texts = [c.text for c in cases]
    held: list[bool] = []
    for i in range(0, len(texts), batch):
        for r in scorer.score(texts[i : i + batch]):
            held.append(default_decision(r.scores, holds) == "hold")
    correct = [h == c.hateful for h, c in zip(held, cases, strict=True)]

    by_func: dict[str, list[int]] = defaultdict(list)
    by_target: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by_func[c.functionality].append(i)
        by_target[c.target].append(i)

    funcs: dict[str, Any] = {}
    for f, idx in by_func.items():
        funcs[f] = {
            "expected": cases[idx[0]].expected,
            "n": len(idx),
            "accuracy": _rate([correct[i] for i in idx]),
            "held": _rate([held[i] for i in idx]),
        }
    targets: dict[str, Any] = {}
    for t in sorted(by_target, key=lambda t: (t in NON_GROUP_TARGETS, t)):
        idx = by_target[t]
        targets[t] = {
            "group": t not in NON_GROUP_TARGETS,
            "n": len(idx),
            "accuracy": _rate([correct[i] for i in idx]),
            "hateful_held": _rate([held[i] for i in idx if cases[i].hateful]),
            "non_hateful_held": _rate([held[i] for i in idx if not cases[i].hateful]),
        }
    groups = {t: v for t, v in targets.items() if v["group"]}
    acc = {t: v["accuracy"] for t, v in groups.items()}
    out: dict[str, Any] = {
        "suite_version": SUITE_VERSION,
        "cases_sha256": cases_digest(cases),
        "model": scorer.version,
        "holds": holds,
        "n": len(cases),
        "accuracy": _rate(correct),
        "n_hateful": sum(c.hateful for c in cases),
        "hateful_held": _rate([h for h, c in zip(held, cases, strict=True) if c.hateful]),
        "n_non_hateful": sum(not c.hateful for c in cases),
        "non_hateful_held": _rate([h for h, c in zip(held, cases, strict=True) if not c.hateful]),
        "identity_clean_held": _rate(
            [h for h, c in zip(held, cases, strict=True) if c.functionality in IDENTITY_CLEAN]
        ),
        "functionalities": funcs,
        "targets": targets,
        "group_accuracy_spread": _spread(acc),
        "group_accuracy_min": min(acc.items(), key=lambda kv: kv[1]) if acc else None,
        "group_accuracy_max": max(acc.items(), key=lambda kv: kv[1]) if acc else None,
        "group_hateful_held_spread": _spread({t: v["hateful_held"] for t, v in groups.items()}),
        "group_non_hateful_held_spread": _spread(
            {t: v["non_hateful_held"] for t, v in groups.items()}
        ),
    }
    if failures:
        fails: dict[str, list[str]] = defaultdict(list)
        for i, c in enumerate(cases):
            if not correct[i] and len(fails[c.functionality]) < failures:
                fails[c.functionality].append(c.text)
        out["failures"] = dict(fails)
    return out


def _pct(x: float) -> str:
    return "—" if x != x else f"{100 * x:.1f}%"


def render_markdown(rep: dict[str, Any], heading: str = "##") -> str:
    """The civility-check section of the model card."""
    lo, hi = rep.get("group_accuracy_min"), rep.get("group_accuracy_max")
    lines = [
        f"{heading} civility-check (functional tests v{rep['suite_version']}, default holds)",
        "",
        "Our own held-out functional test suite (`data/civility-check`, never trained on): "
        "each case is decided with the model's default hold thresholds, as a new site would.",
        "",
        f"- cases: {rep['n']} ({rep['n_hateful']} expected hold, {rep['n_non_hateful']} "
        f"expected approve); sha256 `{rep['cases_sha256'][:16]}`",
        f"- accuracy: {_pct(rep['accuracy'])}",
        f"- hateful cases held: {_pct(rep['hateful_held'])}; non-hateful cases held: "
        f"{_pct(rep['non_hateful_held'])} (negations, defences, counter-speech and neutral "
        f"mentions of groups: {_pct(rep['identity_clean_held'])})",
    ]
    if lo and hi:
        lines.append(
            f"- accuracy spread over target groups: {100 * rep['group_accuracy_spread']:.1f} "
            f"points (lowest {lo[0]} {_pct(lo[1])}, highest {hi[0]} {_pct(hi[1])}); spread of "
            f"clean cases held: {100 * rep['group_non_hateful_held_spread']:.1f} points"
        )
    lines += [
        "",
        "| functionality | expected | n | accuracy | held |",
        "|---|---|---|---|---|",
    ]
    for f, v in rep["functionalities"].items():
        lines.append(
            f"| `{f}` | {v['expected']} | {v['n']} | {_pct(v['accuracy'])} | {_pct(v['held'])} |"
        )
    lines += [
        "",
        "| target | n | accuracy | hateful held | non-hateful held |",
        "|---|---|---|---|---|",
    ]
    for t, v in rep["targets"].items():
        lines.append(
            f"| {t} | {v['n']} | {_pct(v['accuracy'])} | {_pct(v['hateful_held'])} | "
            f"{_pct(v['non_hateful_held'])} |"
        )
    fails = rep.get("failures")
    if fails:
        lines += ["", "Failed cases (first few per functionality):", ""]
        for f, texts in fails.items():
            lines += [f"- `{f}`: " + " / ".join(json.dumps(t, ensure_ascii=False) for t in texts)]
    return "\n".join(lines) + "\n"


def summary_line(rep: dict[str, Any]) -> str:
    return (
        f"civility-check: accuracy {_pct(rep['accuracy'])}, hateful held "
        f"{_pct(rep['hateful_held'])}, non-hateful held {_pct(rep['non_hateful_held'])}, "
        f"group spread {100 * rep['group_accuracy_spread']:.1f} points"
    )


# ------------------------------------------------------------------------------ overlap
# Group names (and slurs) are replaced by one placeholder before comparing, so a sentence
# with a different group name still counts as the same sentence. Longer terms first.
IDENTITY_TERMS = """
women woman girls girl ladies lady females female men man boys
trans transgender transgenders transsexual transsexuals nonbinary non binary enby
gay gays lesbian lesbians bisexual bisexuals homosexual homosexuals queer queers lgbt lgbtq
black blacks white whites brown asian asians african africans arab arabs latino latinos latina
latinas hispanic hispanics indigenous aboriginal aboriginals native natives
disabled autistic deaf blind wheelchair users cripple cripples
muslim muslims islamic christian christians catholic catholics protestant protestants jew jews
jewish hindu hindus sikh sikhs buddhist buddhists atheist atheists mormon mormons
immigrant immigrants migrant migrants asylum seeker asylum seekers refugee refugees foreigner
foreigners expat expats
roma romani romany gypsy gypsies traveller travellers traveler travelers
ukrainian ukrainians russian russians palestinian palestinians israeli israelis serb serbs
serbian serbians croat croats croatian bosnian bosnians bosniak bosniaks albanian albanians
kosovar kosovars pole poles polish romanian romanians bulgarian bulgarians syrian syrians
afghan afghans iraqi iraqis iranian iranians somali somalis sudanese eritrean eritreans
nigerian nigerians mexican mexicans chinese japanese korean koreans indian indians pakistani
pakistanis bangladeshi bangladeshis turk turks turkish kurd kurds kurdish armenian armenians
chechen chechens american americans british english scottish scots irish french german germans
italian italians spanish dutch greek greeks
bitches sluts trannies tranny shemales faggots fags dykes niggers nigger coons retards spastics
ragheads muzzies kikes yids wetbacks beaners rapefugees pajeets dotheads gyppos gypos pikeys
khokhols ukrops fakestinians sandniggers vatniks orcs
"""
_MULTI = ["asylum seekers", "asylum seeker", "wheelchair users", "non binary", "boat invaders"]
_TERMS = sorted(set(IDENTITY_TERMS.split()) | set(_MULTI), key=lambda t: (-len(t.split()), t))
_TERM_RE = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in _TERMS) + r")\b")
_GROUP_NOUN_RE = re.compile(
    r"\bgrp(?: (?:people|persons|person|folk|folks|community|communities|families|family))?\b"
)
_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}|\[[A-Z_ ]+\]|<[a-zA-Z_ ]+>")
_NON_WORD_RE = re.compile(r"[^0-9a-z]+")
GROUP_MARK = "grp"


def normalize_for_overlap(text: str) -> str:
    """Lower-case, template placeholders and group names -> "grp", punctuation stripped,
    whitespace collapsed, "an" -> "a"."""
    t = unicodedata.normalize("NFKC", text)
    t = _PLACEHOLDER_RE.sub(f" {GROUP_MARK} ", t)
    t = _NON_WORD_RE.sub(" ", t.lower())
    t = _TERM_RE.sub(GROUP_MARK, t)
    t = _GROUP_NOUN_RE.sub(GROUP_MARK, t)
    words = ["a" if w == "an" else w for w in t.split()]
    out: list[str] = []
    for w in words:
        if not (w == GROUP_MARK and out and out[-1] == GROUP_MARK):
            out.append(w)
    return " ".join(out)


def shingles(norm: str, k: int = 3) -> frozenset[tuple[str, ...]]:
    words = norm.split()
    if len(words) < k:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + k]) for i in range(len(words) - k + 1))


_TEXT_COLUMNS = ("text", "template", "comment", "sentence", "frame")


def _tsv_texts(path: Path) -> list[str]:
    """Texts of a TSV: its text-like columns when the header names one, else every cell of
    two or more words (so an unknown layout is over-checked rather than skipped)."""
    rows = [line.rstrip("\r\n").split("\t") for line in path.read_text("utf-8").splitlines()]
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    cols = [i for i, h in enumerate(header) if h in _TEXT_COLUMNS]
    if cols:
        return [r[i] for r in rows[1:] for i in cols if i < len(r) and r[i].strip()]
    return [c for r in rows for c in r if len(c.split()) >= 2]


def load_own_texts(own_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """(source file, text) of every civility-own row: all *.jsonl under the folder, and all
    *.tsv under its written/ and templates/ folders."""
    root = Path(own_dir) if own_dir is not None else OWN_DIR
    out: list[tuple[str, str]] = []
    if not root.exists():
        return out
    for f in sorted(root.rglob("*.jsonl")):
        rel = str(f.relative_to(root))
        for line in f.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                text = row.get("text") if isinstance(row, dict) else None
                if isinstance(text, str) and text.strip():
                    out.append((rel, text))
    for sub in ("written", "templates"):
        for f in sorted((root / sub).rglob("*.tsv")) if (root / sub).exists() else []:
            rel = str(f.relative_to(root))
            out += [(rel, t) for t in _tsv_texts(f)]
    return out


def overlap_report(
    check_texts: Sequence[str],
    own_texts: Sequence[str],
    own_sources: Sequence[str] | None = None,
    jaccard: float = 0.8,
    ratio: float = 0.9,
) -> dict[str, Any]:
    """Exact matches (after normalization) and near-duplicates between the two sets.

    Candidates share at least one word 3-shingle (an inverted index, no MinHash); a pair is a
    near-duplicate when the shingle Jaccard reaches ``jaccard`` or difflib's ratio of the
    normalized strings reaches ``ratio``."""
    sources = list(own_sources) if own_sources is not None else ["civility-own"] * len(own_texts)
    own_norm: dict[str, tuple[str, str]] = {}  # normalized -> (an original text, its source)
    for t, s in zip(own_texts, sources, strict=True):
        own_norm.setdefault(normalize_for_overlap(t), (t, s))
    own_norm.pop("", None)
    check_norm: dict[str, str] = {}
    for t in check_texts:
        check_norm.setdefault(normalize_for_overlap(t), t)
    check_norm.pop("", None)

    exact = [
        {"check": check_norm[n], "own": own_norm[n][0], "source": own_norm[n][1], "normalized": n}
        for n in sorted(set(check_norm) & set(own_norm))
    ]
    own_keys = list(own_norm)
    own_sh = [shingles(n) for n in own_keys]
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for j, sh in enumerate(own_sh):
        for piece in sh:
            index[piece].append(j)
    near = []
    for n in sorted(check_norm):
        if n in own_norm:
            continue
        sh = shingles(n)
        shared = Counter(j for s in sh for j in index.get(s, ()))
        for j, inter in shared.items():
            o = own_keys[j]
            jac = inter / (len(sh) + len(own_sh[j]) - inter)
            r = 0.0
            if jac < jaccard and 2 * min(len(n), len(o)) / (len(n) + len(o)) >= ratio:
                sm = difflib.SequenceMatcher(None, n, o, autojunk=False)
                if sm.real_quick_ratio() >= ratio and sm.quick_ratio() >= ratio:
                    r = sm.ratio()
            if jac >= jaccard or r >= ratio:
                near.append(
                    {
                        "check": check_norm[n],
                        "own": own_norm[o][0],
                        "source": own_norm[o][1],
                        "jaccard": round(jac, 3),
                        "ratio": round(r, 3),
                    }
                )
    return {
        "check_texts": len(check_norm),
        "own_texts": len(own_norm),
        "own_sources": dict(Counter(sources)),
        "thresholds": {"jaccard_3_shingles": jaccard, "difflib_ratio": ratio},
        "exact": exact,
        "near": near,
        "overlap": len(exact) + len(near),
    }


def render_overlap(rep: dict[str, Any]) -> str:
    lines = [
        f"civility-check vs civility-own: {rep['check_texts']} normalized check texts, "
        f"{rep['own_texts']} normalized civility-own texts from "
        + (", ".join(f"{s} ({n})" for s, n in rep["own_sources"].items()) or "no files"),
        f"exact matches after normalization: {len(rep['exact'])}; near-duplicates "
        f"(Jaccard >= {rep['thresholds']['jaccard_3_shingles']} on word 3-shingles or ratio >= "
        f"{rep['thresholds']['difflib_ratio']}): {len(rep['near'])}",
    ]
    for e in rep["exact"]:
        lines.append(f"  EXACT {e['source']}: {e['check']!r} ~ {e['own']!r}")
    for e in rep["near"]:
        lines.append(
            f"  NEAR  {e['source']} (J {e['jaccard']}, r {e['ratio']}): "
            f"{e['check']!r} ~ {e['own']!r}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m civility.training.check",
        description="Score civility-check with an artifact's default holds, or check its "
        "overlap with civility-own.",
    )
    ap.add_argument("--model", type=Path, help="artifact folder (default: the shipped one)")
    ap.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    ap.add_argument("--json", type=Path, metavar="OUT", help="also write the report as JSON")
    ap.add_argument("--failures", type=int, default=3, help="failed texts shown per function")
    ap.add_argument("--overlap", action="store_true", help="overlap report; exit 1 on overlap")
    ap.add_argument("--own", type=Path, default=OWN_DIR, help="civility-own folder")
    args = ap.parse_args(argv)
    cases = load_cases(args.cases)
    if args.overlap:
        own = load_own_texts(args.own)
        rep = overlap_report([c.text for c in cases], [t for _, t in own], [s for s, _ in own])
        print(render_overlap(rep))
        if args.json:
            args.json.write_text(json.dumps(rep, indent=1) + "\n", encoding="utf-8")
        return 1 if rep["overlap"] else 0
    from civility.scoring.model import Scorer

    scorer = Scorer.load(args.model) if args.model else Scorer.default()
    rep = evaluate(scorer, cases, failures=args.failures)
    print(render_markdown(rep, heading="#"))
    if args.json:
        args.json.write_text(json.dumps(rep, indent=1, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
