"""`civility bench scoring`: throughput and latency of the scorer next to a BERT-base encoder.

The BERT-base reference (Detoxify "original"'s architecture: 12 layers, hidden 768, 12 heads,
FFN 3072) has random weights and runs in plain numpy float32 at the comments' real token lengths
(capped at --bert-max-len); only its speed is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.model import Scorer

_SAMPLE = [
    "The army said five soldiers were killed in clashes near the border on Tuesday.",
    "You are a pathetic idiot and everyone here knows it.",
    "I disagree with the council's decision; the budget numbers simply do not add up, and the "
    "mayor should explain why the bridge repairs were postponed again this year.",
    "Great article, thanks for the careful reporting on the school board meeting.",
    "They are rats to be exterminated.",
    "What a load of crap. The author clearly has no clue what he is talking about.",
    "My grandmother moved here in 1962 and ran the bakery on Main Street for forty years. "
    "It is sad to see it close, but the new owners seem to care about the neighbourhood.",
    "Shut up, nobody asked you.",
]


def bench_texts(n: int, seed: int = 0, toxic_share: float | None = 0.1) -> list[str]:
    """n comment-like texts. With the datasets at hand: held-out test rows of the training
    sets, ``toxic_share`` of them TOXICITY-positive (about a news site's share; Civil Comments
    has ~8 %), or with ``toxic_share=None`` the SemEval Toxic Spans test posts (all toxic: the
    cascade's worst case). Without them: a shuffled built-in sample with small variations."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    try:
        texts = _dataset_texts(n, rng, toxic_share)
    except Exception:  # noqa: BLE001 - training deps may be absent; fall back to the sample
        texts = []
    if not texts:
        texts = [f"{s} ({i})" for i in range(64) for s in _SAMPLE]
    idx = rng.integers(0, len(texts), size=n)
    return [texts[i] for i in idx]


def _dataset_texts(n: int, rng: np.random.Generator, toxic_share: float | None) -> list[str]:
    from civility.training.datasets import (
        datasets_root,
        load_config,
        load_labeled,
        load_semeval_spans,
    )

    root = datasets_root()
    if not (root / "toxicspans").exists():
        return []
    if toxic_share is None:
        return [t for t, _ in load_semeval_spans(root, "test")]
    toxic: list[str] = []
    clean: list[str] = []
    for entry in load_config()["dataset"]:
        if entry.get("role") == "eval" or entry["loader"] == "own":
            continue
        test = load_labeled(entry, root).select("test")
        for t, y in zip(test.texts, test.labels[:, 0], strict=True):
            (toxic if y == 1 else clean if y == 0 else []).append(t)
    k = int(round(n * toxic_share))
    pick = [toxic[i] for i in rng.integers(0, len(toxic), k)]
    pick += [clean[i] for i in rng.integers(0, len(clean), n - k)]
    return [pick[i] for i in rng.permutation(len(pick))]


ROUTING_POINTS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.01)


def routing_table(
    scorer: Scorer, first: Scorer, n: int, batch: int, points: tuple[float, ...] = ROUTING_POINTS
) -> list[dict[str, float]]:
    """Per routing point (stage-1 TOXICITY from which stage 2 re-scores; 1.01 = only the
    comments to highlight), on n of the 2,000 Perspective-scored Wikipedia talk comments (the
    nearest thing here to a site's real stream, whose routed share decides the cascade's
    speed): the share routed, comments/s batched, and TOXICITY ROC-AUC against Perspective's
    flags (score >= 0.5). ``scorer`` is the cascade, ``first`` its stage 1 alone. [] without
    the dataset."""
    from civility.training.datasets import datasets_root, load_perspective_wikipedia
    from civility.training.metrics import roc_auc

    try:
        rows = load_perspective_wikipedia(datasets_root())
    except FileNotFoundError:
        return []
    # The file is ordered by score: a seeded sample keeps a small n representative.
    rows = [rows[i] for i in sorted(np.random.default_rng(0).permutation(len(rows))[:n])]
    texts = [r["comment_text"] for r in rows]
    flagged = np.array([float(r["TOXICITY@6"]) >= 0.5 for r in rows], np.int64)
    p1 = first.probabilities(texts)[:, 0]
    shipped = scorer.route_from
    out = []
    try:
        for point in points:
            scorer.route_from = point  # what Scorer.load(route_from=point) sets
            res: dict[str, Any] = {}
            _timed(res, "", scorer, texts, batch, single=0)
            out.append(
                {
                    "route_from": point,
                    "routed_share": float((p1 >= point).mean()),
                    "comments_per_s_batched": res["comments_per_s_batched"],
                    "auc_vs_perspective": roc_auc(flagged, scorer.probabilities(texts)[:, 0]),
                }
            )
    finally:
        scorer.route_from = shipped
    return out


class RandomBertBase:
    """BERT-base-shaped encoder with random weights in numpy (speed reference only)."""

    def __init__(
        self,
        layers: int = 12,
        hidden: int = 768,
        heads: int = 12,
        ffn: int = 3072,
        vocab: int = 30522,
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)

        def w(*shape: int) -> np.ndarray:
            return rng.standard_normal(shape, dtype=np.float32) * 0.02

        self.heads = heads
        self.emb = w(vocab, hidden)
        self.pos = w(512, hidden)
        self.layers = [
            {
                "qkv": w(hidden, 3 * hidden),
                "o": w(hidden, hidden),
                "f1": w(hidden, ffn),
                "f2": w(ffn, hidden),
            }
            for _ in range(layers)
        ]
        self.cls = w(hidden, 6)

    @staticmethod
    def _ln(x: np.ndarray) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        v = x.var(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        b, t = ids.shape
        h = self.emb[ids] + self.pos[:t]
        d = h.shape[-1] // self.heads
        neg = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        for L in self.layers:
            qkv = h @ L["qkv"]
            q, k, v = np.split(qkv.reshape(b, t, 3, self.heads, d).transpose(2, 0, 3, 1, 4), 3)
            att = (q[0] @ k[0].transpose(0, 1, 3, 2)) / np.sqrt(d) + neg
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v[0]).transpose(0, 2, 1, 3).reshape(b, t, -1)
            h = self._ln(h + ctx @ L["o"])
            f = h @ L["f1"]
            f = 0.5 * f * (1 + np.tanh(0.7978845608 * (f + 0.044715 * f**3)))  # GELU
            h = self._ln(h + f @ L["f2"])
        return 1 / (1 + np.exp(-(h[:, 0] @ self.cls)))


def _bert_ids(scorer: Scorer, texts: list[str], max_len: int) -> list[list[int]]:
    encs = scorer.featurizer.encode(texts)
    return [[101] + e.ids[: max_len - 2] + [102] for e in encs]


def _pad(batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    t = max(len(x) for x in batch)
    ids = np.zeros((len(batch), t), np.int64)
    mask = np.zeros((len(batch), t), np.int64)
    for i, x in enumerate(batch):
        ids[i, : len(x)] = x
        mask[i, : len(x)] = 1
    return ids, mask


def _timed(
    res: dict[str, Any], prefix: str, scorer: Scorer, texts: list[str], batch: int, single: int
) -> None:
    """Batched throughput and single-comment latency of ``scorer.score`` (spans included)."""
    scorer.score(texts[:batch])  # warm-up
    t = time.perf_counter()
    for i in range(0, len(texts), batch):
        scorer.score(texts[i : i + batch])
    res[f"{prefix}comments_per_s_batched"] = len(texts) / (time.perf_counter() - t)
    lat = []
    for x in texts[:single]:
        t = time.perf_counter()
        scorer.score_one(x)
        lat.append(time.perf_counter() - t)
    if lat:
        res[f"{prefix}single_p50_ms"] = float(np.percentile(lat, 50) * 1000)
        res[f"{prefix}single_p99_ms"] = float(np.percentile(lat, 99) * 1000)


def _cold_load(model: str | None) -> dict[str, float]:
    """Load time and peak RSS of a fresh interpreter that imports, loads and scores once."""
    code = (
        "import time, resource, json\n"
        "t = time.perf_counter()\n"
        "from civility.scoring import Scorer\n"
        f"s = Scorer.load({model!r})\n"
        "load = time.perf_counter() - t\n"
        "s.score(['warm up text'] * 256)\n"
        # VmHWM is this process image's own peak. ru_maxrss is not: Linux keeps it across exec,
        # so it also counted the benchmark process this child was spawned from (710 MB measured,
        # 160 MB real).
        "try:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "    rss = int(hwm[0].split()[1]) / 1024\n"
        "except (OSError, IndexError):\n"
        "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'cold_load_s': load, 'rss_mb': rss}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_bench(
    model: str | None = None,
    n: int = 2000,
    batch: int = 256,
    single: int = 300,
    bert_texts: int = 64,
    bert_batch: int = 16,
    bert_max_len: int = 128,
    with_bert: bool = True,
    toxic_share: float = 0.1,
) -> dict[str, Any]:
    scorer = Scorer.load(model)
    texts = bench_texts(n, toxic_share=toxic_share)
    res: dict[str, Any] = {
        "model": scorer.version,
        "texts": n,
        "stream": f"held-out test rows, {toxic_share:.0%} toxic",
        "batch_size": batch,
        "mean_chars": float(np.mean([len(x) for x in texts])),
    }
    _timed(res, "", scorer, texts, batch, single)
    if scorer.encoder is not None:
        first = Scorer.load(model, stage2=False)
        # Stage 1's TOXICITY decides the routing; the blended one what the site flags.
        p1 = first.probabilities(texts)[:, 0]
        res["routed_share"] = float((p1 >= scorer.route_from).mean())
        tox = scorer.probabilities(texts)[:, 0]
        res["flagged_share"] = float((tox >= scorer.thresholds["TOXICITY"]).mean())
        _timed(res, "stage1_only_", first, texts, batch, single)
        worst = bench_texts(n, toxic_share=None)
        _timed(res, "all_toxic_", scorer, worst, batch, single=0)
        res["all_toxic_routed_share"] = float(
            (first.probabilities(worst)[:, 0] >= scorer.route_from).mean()
        )
        res["routing_on_wikipedia_comments"] = routing_table(scorer, first, n, batch)
    res.update(_cold_load(model))
    if with_bert:
        bert = RandomBertBase()
        # Length-sorted batches keep padding small (the usual way to serve an encoder).
        ids = sorted(_bert_ids(scorer, texts[:bert_texts], bert_max_len), key=len)
        bert(*_pad(ids[:2]))  # warm-up
        t = time.perf_counter()
        for i in range(0, len(ids), bert_batch):
            bert(*_pad(ids[i : i + bert_batch]))
        res["bert_base_comments_per_s_batched"] = len(ids) / (time.perf_counter() - t)
        bl = []
        for one in ids[:16]:
            t = time.perf_counter()
            bert(*_pad([one]))
            bl.append(time.perf_counter() - t)
        res["bert_base_single_p50_ms"] = float(np.percentile(bl, 50) * 1000)
        res["bert_max_len"] = bert_max_len
        res["speedup_vs_bert_batched"] = (
            res["comments_per_s_batched"] / res["bert_base_comments_per_s_batched"]
        )
    size = sum(f.stat().st_size for f in Path(scorer.path).iterdir() if f.is_file())
    res["artifact_mb"] = size / 2**20
    res["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    res["cpu"] = cpu_description()
    return res


def cpu_description() -> str:
    """The CPU's model name and its int8 instructions: the same artifact measured 490 and 200
    comments/s on two hosts behind one machine name, so figures are only comparable within
    one run (BERT-base is measured beside ours for that) or on the same CPU."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    name = next(
        (ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), ""
    )
    flags = next(
        (ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), []
    )
    int8 = [f for f in ("avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return ", ".join([name or platform.processor() or "unknown", *int8])


def bench_main(argv: list[str]) -> int:
    """Entry point of ``civility bench scoring``."""
    ap = argparse.ArgumentParser(prog="civility bench scoring", description=__doc__)
    ap.add_argument("--model", help="artifact folder (default: shipped)")
    ap.add_argument("-n", type=int, default=2000, help="texts for the batched run")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--single", type=int, default=300, help="texts for single-text latency")
    ap.add_argument("--no-bert", action="store_true", help="skip the BERT-base reference")
    ap.add_argument("--bert-texts", type=int, default=64)
    ap.add_argument(
        "--toxic-share", type=float, default=0.1, help="share of toxic comments in the stream"
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--write-card",
        action="store_true",
        help="replace the Speed section of the artifact's MODEL_CARD.md",
    )
    args = ap.parse_args(argv)
    res = run_bench(
        args.model,
        args.n,
        args.batch_size,
        args.single,
        args.bert_texts,
        with_bert=not args.no_bert,
        toxic_share=args.toxic_share,
    )
    res["command"] = "civility bench scoring " + " ".join(argv)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print(_format(res))
    if args.write_card:
        write_speed_section(Path(args.model) if args.model else None, _format(res))
    return 0


def _format(res: dict[str, Any]) -> str:
    lines = []
    for k, v in res.items():
        if isinstance(v, list):  # a table of rows with the same keys
            if v:
                lines += ["", k, "", "| " + " | ".join(v[0]) + " |", "|---" * len(v[0]) + "|"]
                lines += ["| " + " | ".join(f"{x:.3f}" for x in row.values()) + " |" for row in v]
                lines.append("")
        else:
            lines.append(f"{k:<36} {v:.3f}" if isinstance(v, float) else f"{k:<36} {v}")
    return "\n".join(lines)


def write_speed_section(model: Path | None, text: str) -> None:
    """Put the bench figures into MODEL_CARD.md (replacing an older Speed section)."""
    from civility.scoring.model import DEFAULT_ARTIFACT

    card = (model or DEFAULT_ARTIFACT) / "MODEL_CARD.md"
    old = card.read_text(encoding="utf-8") if card.exists() else ""
    head, sep, tail = old.partition("\n## Speed\n")
    rest = ""
    if sep and "\n## " in tail:
        rest = "\n## " + tail.split("\n## ", 1)[1]
    section = (
        "\n## Speed\n\nMeasured with `civility bench scoring` on this machine (shared "
        "with other jobs while measured):\n\n```\n" + text + "\n```\n"
    )
    card.write_text(head.rstrip("\n") + "\n" + section + rest, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(bench_main(sys.argv[1:]))
