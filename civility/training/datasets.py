"""Loaders for the public datasets in ``shared/datasets`` and our own set, plus the config-driven
label mapping, cross-set deduplication and seeded splits.

Each loader yields ``Row(text, split, fields)``; ``datasets.toml`` maps loader fields to our seven
attributes. Sets without an official split get a deterministic hash split (80/10/10 on the
normalized text, so duplicates always land in the same split).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.constants import ATTRIBUTES

csv.field_size_limit(sys.maxsize)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = Path(__file__).resolve().parent / "datasets.toml"


def datasets_root() -> Path:
    """``$CIVILITY_DATASETS`` or ``<repo>/../shared/datasets``."""
    env = os.environ.get("CIVILITY_DATASETS")
    if env:
        return Path(env)
    return (REPO_ROOT / ".." / "shared" / "datasets").resolve()


@dataclass
class Row:
    text: str
    split: str  # "train" | "val" | "test"
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class LabeledSet:
    """Rows of one dataset with labels mapped to ATTRIBUTES (-1 = no label)."""

    name: str
    texts: list[str]
    splits: list[str]
    labels: np.ndarray  # (n, len(ATTRIBUTES)) float32, -1 missing
    role: str = "train"

    def select(self, split: str) -> LabeledSet:
        idx = [i for i, s in enumerate(self.splits) if s == split]
        return LabeledSet(
            self.name, [self.texts[i] for i in idx], [split] * len(idx), self.labels[idx], self.role
        )


def dedup_key(text: str) -> str:
    """Lower-cased alphanumerics only: the key used for duplicate detection."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def hash_split(text: str, val: float = 0.1, test: float = 0.1, seed: int = 13) -> str:
    """Deterministic split from the text's dedup key (duplicates share a split)."""
    h = hashlib.sha1(f"{seed}:{dedup_key(text)}".encode(), usedforsecurity=False).digest()
    u = int.from_bytes(h[:8], "big") / 2**64
    return "test" if u < test else ("val" if u < test + val else "train")


def _open_text(path: Path) -> io.TextIOWrapper:
    return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")


def _csv(path: Path, delimiter: str = ",") -> Iterable[dict[str, str]]:
    with _open_text(path) as fh:
        yield from csv.DictReader(fh, delimiter=delimiter)


# 2,000 Wikipedia talk-page comments with Perspective API's own scores of 2018-08-29 (one column
# per Perspective attribute and model version): Perspective calibration and the routing bench.
PERSPECTIVE_WIKIPEDIA = (
    "perspective-wikipedia-2k/perspective_wikipedia_2k_score_sample_20180829.csv.gz"
)


def load_perspective_wikipedia(root: Path) -> list[dict[str, str]]:
    return list(_csv(root / PERSPECTIVE_WIKIPEDIA))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------- loaders


# civility-own's files and the split each is read as. ``validation.jsonl`` (civility-own 2.0:
# 15 % of the written pairs, whole pairs) is "val": thresholds, cascade blend and holds are chosen
# on it and it is never trained on (build_train_val keeps val rows out of the training set).
OWN_SPLITS = (("train.jsonl", "train"), ("validation.jsonl", "val"), ("heldout.jsonl", "test"))


def load_own(path: Path) -> list[Row]:
    """civility-own rows; ``fields`` are the labels plus the provenance fields a row has
    (``source``, ``pattern``, ``target``, ``pair``, ``version``) and its ``spans``."""
    rows = []
    for name, split in OWN_SPLITS:
        if not (path / name).exists() and name == "validation.jsonl":
            continue  # 1.x datasets have no validation file
        with open(path / name, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    f = dict(d["labels"])
                    for k in ("source", "pattern", "target", "pair", "version", "spans"):
                        if k in d:
                            f[f"_{k}"] = d[k]
                    rows.append(Row(d["text"], split, f))
    return rows


def load_own_split(path: Path, split: str) -> list[dict[str, Any]]:
    """The raw rows (text, labels, spans, provenance) of one civility-own split."""
    name = {s: n for n, s in OWN_SPLITS}[split]
    f = path / name
    if not f.exists():
        return []
    return [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]


def _semeval_texts(path: Path, split: str) -> list[tuple[str, list[int]]]:
    out = []
    for r in _csv(path / f"semeval2021_tsd_{split}.csv.gz"):
        out.append((r["text"], json.loads(r["spans"])))
    return out


def load_semeval_spans(root: Path, split: str) -> list[tuple[str, list[int]]]:
    """SemEval-2021 Task 5 (text, gold character offsets) for split train / trial / test."""
    return _semeval_texts(root / "toxicspans", split)


def load_toxicspans(path: Path) -> list[Row]:
    test_keys = {dedup_key(t) for t, _ in _semeval_texts(path, "test")}
    val_keys = {dedup_key(t) for t, _ in _semeval_texts(path, "trial")}
    n_ann: Counter[str] = Counter()
    not_toxic: Counter[str] = Counter()
    ann_comment: dict[str, str] = {}
    for r in _csv(path / "acl2022_annotations.csv.gz"):
        ann_comment[r["annotation"]] = r["comment_id"]
        n_ann[r["comment_id"]] += 1
        not_toxic[r["comment_id"]] += r["not toxic"] == "True"
    typed: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    type_map = {
        "Insult": "insult",
        "Profane/Obscene": "profane",
        "Threat": "threat",
        "Identity based Attack": "identity",
        "Identity based ": "identity",
        "Insu": "insult",
    }
    for r in _csv(path / "acl2022_spans.csv.gz"):
        t = type_map.get(r["type"])
        cid = ann_comment.get(r["annotation"])
        if t and cid:
            typed[cid][t].add(r["annotation"])
    rows = []
    for r in _csv(path / "acl2022_comments.csv.gz"):
        cid, text = r["comment_id"], r["comment_text"]
        n = n_ann[cid]
        if not n or n > 10:  # skip the 357-annotation quiz item and unannotated posts
            continue
        key = dedup_key(text)
        split = "test" if key in test_keys else ("val" if key in val_keys else "train")
        f: dict[str, Any] = {"toxic_frac": 1.0 - not_toxic[cid] / n}
        for t in ("insult", "profane", "threat", "identity"):
            f[t] = len(typed[cid][t]) / n
        rows.append(Row(text, split, f))
    return rows


def load_olid(path: Path) -> list[Row]:
    rows = []
    for r in _csv(path / "olid-training-v1.0.tsv.gz", "\t"):
        a = r["subtask_a"]
        rows.append(
            Row(
                r["tweet"],
                hash_split(r["tweet"], 0.1, 0.0),
                {
                    "a": a,
                    "b": r["subtask_b"] if a == "OFF" else "NOT",
                    "c": r["subtask_c"] if r["subtask_b"] == "TIN" else "NOT",
                },
            )
        )
    lab: dict[str, dict[str, str]] = defaultdict(dict)
    for level in "abc":
        with _open_text(path / f"labels-level{level}.csv.gz") as fh:
            for rec in csv.reader(fh):
                if len(rec) >= 2:
                    lab[rec[0].strip()][level] = rec[1].strip()
    for r in _csv(path / "testset-levela.tsv.gz", "\t"):
        lv = lab[r["id"]]
        a = lv.get("a", "")
        b = "NOT" if a == "NOT" else lv.get("b", "")
        c = "NOT" if a == "NOT" else lv.get("c", "")
        rows.append(Row(r["tweet"], "test", {"a": a, "b": b, "c": c, "id": r["id"]}))
    return rows


def load_hatexplain(path: Path) -> list[Row]:
    rows = []
    for r in _csv(path / "training_data.csv.gz"):
        rows.append(Row(r["text"], "train", {"label": int(r["majority_label"])}))
    for fname, split in (
        ("hatexplain_validation.json.gz", "val"),
        ("hatexplain_test.json.gz", "test"),
    ):
        with _open_text(path / fname) as fh:
            for line in fh:
                d = json.loads(line)
                label = Counter(d["annotators"]["label"]).most_common(1)[0][0]
                rows.append(Row(" ".join(d["post_tokens"]), split, {"label": label}))
    return rows


def load_ghc(path: Path) -> list[Row]:
    rows = []
    for fname, official in (("ghc_train.tsv.gz", "train"), ("ghc_test.tsv.gz", "test")):
        for r in _csv(path / fname, "\t"):
            hd, cv, vo = int(r["hd"]), int(r["cv"]), int(r["vo"])
            split = hash_split(r["text"], 0.1, 0.0) if official == "train" else "test"
            rows.append(
                Row(
                    r["text"],
                    split,
                    {
                        "hd": hd,
                        "cv": cv,
                        "vo": vo,
                        "any": int(hd or cv or vo),
                        "severe": int(cv or (hd and vo)),
                    },
                )
            )
    return rows


def load_implicit_hate(path: Path) -> list[Row]:
    stg2: dict[str, str] = {}
    for r in _csv(path / "implicit_hate_v1_stg2_posts.tsv.gz", "\t"):
        stg2[dedup_key(r["post"])] = r["implicit_class"]
    rows = []
    for r in _csv(path / "implicit_hate_v1_stg1_posts.tsv.gz", "\t"):
        cls = r["class"]
        ic = "not_hate" if cls == "not_hate" else stg2.get(dedup_key(r["post"]), "")
        rows.append(Row(r["post"], hash_split(r["post"]), {"class": cls, "implicit_class": ic}))
    return rows


def load_davidson(path: Path) -> list[Row]:
    return [
        Row(r["tweet"], hash_split(r["tweet"]), {"class": int(r["class"])})
        for r in _csv(path / "labeled_data.csv.gz")
    ]


def load_ethos(path: Path) -> list[Row]:
    violence: dict[str, float] = {}
    for r in _csv(path / "Ethos_Dataset_Multi_Label.csv.gz", ";"):
        violence[dedup_key(r["comment"])] = float(r["violence"])
    rows = []
    for r in _csv(path / "Ethos_Dataset_Binary.csv.gz", ";"):
        hate = float(r["isHate"])
        rows.append(
            Row(
                r["comment"],
                "test",
                {"hate": hate, "violence": violence.get(dedup_key(r["comment"]), 0.0)},
            )
        )
    return rows


LOADERS: dict[str, Callable[[Path], list[Row]]] = {
    "own": load_own,
    "toxicspans": load_toxicspans,
    "olid": load_olid,
    "hatexplain": load_hatexplain,
    "ghc": load_ghc,
    "implicit_hate": load_implicit_hate,
    "davidson": load_davidson,
    "ethos": load_ethos,
}


# ------------------------------------------------------------------------------------ mapping


def _map_label(value: Any, spec: dict[str, Any]) -> float:
    if value is None or value == "":
        return -1.0
    if "pos" in spec:
        if value in spec["pos"]:
            return 1.0
        return 0.0 if value in spec.get("neg", []) else -1.0
    v = float(value)
    if v >= spec["ge"]:
        return 1.0
    return 0.0 if v < spec["lt"] else -1.0


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed TOML config: ``dataset`` list and ``spans`` source."""
    with open(path or DEFAULT_CONFIG, "rb") as fh:
        return tomllib.load(fh)


def load_span_data(cfg: dict[str, Any], root: Path, split: str) -> list[tuple[str, list[int]]]:
    """(text, gold character offsets) from the config's span source; split train/trial/test."""
    spec = cfg.get("spans")
    if not spec:
        return []
    path = resolve_path(spec, root)
    if spec["format"] == "semeval":
        return _semeval_texts(path, split)
    out = []
    f = path / f"{split}.jsonl"
    if f.exists():
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out.append((d["text"], list(d["spans"])))
    return out


def resolve_path(entry: dict[str, Any], root: Path) -> Path:
    p = entry["path"]
    return REPO_ROOT / p[len("@repo/") :] if p.startswith("@repo/") else root / p


def load_labeled(entry: dict[str, Any], root: Path) -> LabeledSet:
    rows = LOADERS[entry["loader"]](resolve_path(entry, root))
    specs = entry.get("labels", {})
    y = np.full((len(rows), len(ATTRIBUTES)), -1.0, dtype=np.float32)
    for j, attr in enumerate(ATTRIBUTES):
        spec = specs.get(attr)
        if spec:
            y[:, j] = [_map_label(r.fields.get(spec["field"]), spec) for r in rows]
    return LabeledSet(
        entry["name"],
        [r.text for r in rows],
        [r.split for r in rows],
        y,
        entry.get("role", "train"),
    )


def dataset_files(entry: dict[str, Any], root: Path) -> list[Path]:
    p = resolve_path(entry, root)
    return sorted(x for x in p.iterdir() if x.is_file() and x.suffix in (".gz", ".jsonl"))


def build_train_val(
    sets: list[LabeledSet], extra_eval_texts: Iterable[str] = ()
) -> tuple[LabeledSet, LabeledSet, dict[str, int]]:
    """Combine train/val rows of the train-role sets: every text that occurs in any test split
    or eval-only set is removed, then cross-set duplicates keep the first (config order)."""
    eval_keys = {dedup_key(t) for t in extra_eval_texts}
    for s in sets:
        for t, sp in zip(s.texts, s.splits, strict=False):
            if sp == "test" or s.role == "eval":
                eval_keys.add(dedup_key(t))
    seen: set[str] = set()
    stats = {"removed_eval_overlap": 0, "removed_duplicates": 0}
    out: dict[str, tuple[list[str], list[np.ndarray], list[str]]] = {
        "train": ([], [], []),
        "val": ([], [], []),
    }
    for s in sets:
        if s.role == "eval":
            continue
        for t, sp, y in zip(s.texts, s.splits, s.labels, strict=False):
            if sp == "test":
                continue
            k = dedup_key(t)
            if not k:
                continue
            if k in eval_keys:
                stats["removed_eval_overlap"] += 1
                continue
            if k in seen:
                stats["removed_duplicates"] += 1
                continue
            seen.add(k)
            out[sp][0].append(t)
            out[sp][1].append(y)
            out[sp][2].append(s.name)
    res = []
    for sp in ("train", "val"):
        texts, ys, names = out[sp]
        labels = np.stack(ys) if ys else np.zeros((0, len(ATTRIBUTES)), np.float32)
        ls = LabeledSet("combined", texts, [sp] * len(texts), labels)
        ls.sources = names  # type: ignore[attr-defined]
        res.append(ls)
    return res[0], res[1], stats


# ------------------------------------------------------------------------- bias / eval-only sets


def load_templates(root: Path) -> list[tuple[str, str, int]]:
    """Jigsaw en_sentence_templates + bias_madlibs_77k: (text, identity term, toxic 0/1)."""
    out = []
    for r in _csv(root / "unintended-bias" / "en_sentence_templates.csv.gz"):
        out.append((r["phrase"], _identity_of(r["phrase"]), int(r["toxicity"] == "toxic")))
    return out


def load_madlibs(root: Path) -> list[tuple[str, str, int]]:
    out = []
    for r in _csv(root / "unintended-bias" / "bias_madlibs_77k.csv.gz"):
        out.append((r["Text"], _identity_of(r["Text"]), int(r["Label"] == "BAD")))
    return out


IDENTITY_TERMS = (
    "lesbian gay bisexual transgender trans queer lgbt lgbtq homosexual straight heterosexual male "
    "female nonbinary african african american black european hispanic latino latina latinx "
    "mexican canadian american asian indian middle eastern chinese japanese christian muslim "
    "jewish buddhist catholic protestant sikh taoist old older young younger teenage millenial "
    "middle aged elderly blind deaf paralyzed white"
).split()


def _identity_of(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    # Prefer two-word terms ("african american", "middle eastern") over their parts.
    for a, b in zip(words, words[1:], strict=False):
        if f"{a} {b}" in ("african american", "middle eastern", "middle aged"):
            return f"{a} {b}"
    for w in reversed(words):
        if w in IDENTITY_TERMS:
            return w
    return "other"


def load_toxigen(root: Path) -> list[tuple[str, str, int]]:
    """Unique ToxiGen prompt statements: (text, group, hateful 0/1)."""
    out = []
    seen: set[tuple[str, str]] = set()
    for p in sorted((root / "toxigen-prompts").glob("*_1k.txt.gz")):
        kind, group = p.name.split("_", 1)
        group = group[: -len("_1k.txt.gz")]
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            for line in fh:
                for st in line.strip().split("\\n"):
                    st = st.strip().lstrip("-").strip()
                    st = st.rstrip("-").strip()
                    if st and (st, group) not in seen:
                        seen.add((st, group))
                        out.append((st, group, int(kind == "hate")))
    return out


def load_wiki_bias(root: Path) -> list[tuple[str, int]]:
    return [
        (r["comment"], int(r["toxic"] == "True"))
        for r in _csv(root / "unintended-bias" / "toxicity_nonfuzzed_testset.csv.gz")
    ]
