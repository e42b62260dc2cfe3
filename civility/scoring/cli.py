"""`civility score`: score texts from the command line (argv text, --file, or JSONL in/out)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from civility.scoring.model import Scorer


def _result_dict(text: str, res: Any, version: str) -> dict[str, Any]:
    return {
        "text": text,
        "scores": res.scores,
        "spans": [asdict(s) for s in res.spans],
        "language": res.language,
        "model": version,
    }


def score_main(argv: list[str]) -> int:
    """Entry point: ``civility score "text" ...`` or ``civility score --file in.jsonl``."""
    ap = argparse.ArgumentParser(prog="civility score", description=__doc__)
    ap.add_argument("texts", nargs="*", help="texts to score")
    ap.add_argument(
        "--file", help="input file: JSONL with a 'text' field, or plain lines (use - for stdin)"
    )
    ap.add_argument("--model", help="artifact folder (default: the shipped model)")
    ap.add_argument("--jsonl", action="store_true", help="print one JSON object per text")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args(argv)
    texts: list[str] = list(args.texts)
    if args.file:
        fh = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                if line.lstrip().startswith("{"):
                    texts.append(str(json.loads(line)["text"]))
                else:
                    texts.append(line)
    if not texts:
        ap.error("give texts or --file")
    scorer = Scorer.load(args.model) if args.model else Scorer.default()
    jsonl = args.jsonl or bool(args.file)
    for i in range(0, len(texts), args.batch_size):
        chunk = texts[i : i + args.batch_size]
        for t, r in zip(chunk, scorer.score(chunk), strict=False):
            if jsonl:
                print(json.dumps(_result_dict(t, r, scorer.version), ensure_ascii=False))
            else:
                print(f"{t!r} [{r.language}]")
                for a, v in r.scores.items():
                    print(f"  {a:<16} {v:.3f}")
                for s in r.spans:
                    print(
                        f"  span {s.attribute} {s.start}:{s.end} {t[s.start : s.end]!r} "
                        f"{s.score:.2f}"
                    )
    return 0
