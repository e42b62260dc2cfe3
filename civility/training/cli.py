"""`civility train` and `civility eval` entry points."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from civility.scoring.model import DEFAULT_ARTIFACT


def train_main(argv: list[str]) -> int:
    """Train the scoring artifact from ../shared/datasets (or $CIVILITY_DATASETS)."""
    from civility.training.encoder import EncoderParams, add_encoder
    from civility.training.train import TrainParams, train

    ap = argparse.ArgumentParser(prog="civility train", description=train_main.__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT, help="artifact folder")
    ap.add_argument("--config", type=Path, help="datasets TOML (default: the shipped one)")
    ap.add_argument("--datasets", type=Path, help="datasets root")
    ap.add_argument("--version", default=TrainParams.version)
    ap.add_argument("--seed", type=int, default=TrainParams.seed)
    ap.add_argument("--C", type=float, default=TrainParams.C)
    ap.add_argument("--bits", type=int, default=TrainParams.bits)
    ap.add_argument(
        "--encoder-samples",
        type=int,
        default=EncoderParams.samples,
        help="stage 2 (MiniLM fine-tune) examples; 0 = stage 1 only",
    )
    ap.add_argument("--no-eval", action="store_true", help="skip evaluation / model card")
    args = ap.parse_args(argv)
    root = _existing_root(args.datasets)
    if root is None:
        return 2
    if args.encoder_samples:
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            print(
                "stage 2 needs the [train] extra (torch, transformers); "
                "pass --encoder-samples 0 for stage 1 alone",
                file=sys.stderr,
            )
            return 2
    params = TrainParams(version=args.version, seed=args.seed, C=args.C, bits=args.bits)
    train(args.out, args.config, root, params)
    if args.encoder_samples:
        enc = EncoderParams(seed=args.seed, samples=args.encoder_samples)
        add_encoder(args.out, root, enc, args.config)
    if not args.no_eval:
        return eval_main(
            ["--model", str(args.out)]
            + (["--config", str(args.config)] if args.config else [])
            + (["--datasets", str(args.datasets)] if args.datasets else [])
        )
    return 0


def _existing_root(given: Path | None) -> Path | None:
    """The datasets folder, or None after saying why there is none."""
    from civility.training.datasets import datasets_root

    root = given or datasets_root()
    if not root.exists():
        print(f"datasets folder {root} not found (set CIVILITY_DATASETS)", file=sys.stderr)
        return None
    return root


def eval_main(argv: list[str]) -> int:
    """Evaluate an artifact on every held-out split; writes MODEL_CARD.md next to it."""
    from civility.training.evaluate import evaluate, summarize

    ap = argparse.ArgumentParser(prog="civility eval", description=eval_main.__doc__)
    ap.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT, help="artifact folder")
    ap.add_argument("--config", type=Path)
    ap.add_argument("--datasets", type=Path)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-card", action="store_true", help="do not write MODEL_CARD.md")
    ap.add_argument("--json", action="store_true", help="print all numbers as JSON")
    ap.add_argument("--no-check", action="store_true", help="skip the civility-check suite")
    args = ap.parse_args(argv)
    root = _existing_root(args.datasets)
    if root is None:
        return 2
    res = evaluate(
        args.model,
        args.config,
        root,
        write_card=not args.no_card,
        with_peers=not args.no_peers,
        with_check=not args.no_check,
    )
    print(json.dumps(res, indent=1, default=float) if args.json else summarize(res))
    return 0
