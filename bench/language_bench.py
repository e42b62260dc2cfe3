"""The language guess (civility.scoring.language) on written sentences and on English comments.

    python bench/language_bench.py [--datasets ../shared/datasets]

Measures, with `detect_language` as it ships:
- accuracy on bench/language_samples.tsv: 30 comment-like sentences in each of de, fr, es, it,
  nl, pt, pl, tr, ru and ar written for this bench (from two-word retorts to two-clause
  sentences), per language and by length;
- how often English is called non-English: the short English comments, slang and typos of the
  same file, and every text of Toxic Spans (SemEval-2021) and OLID (train + test A), read in
  place from the shared datasets (nothing copied into the repository);
- time per call on each set, and the model's load time.

Figures on the 2-core development machine (py3langid 0.4.0, LATIN_LANGUAGES, CONFIDENCE 0.85;
a training run beside it, load average ~14, so times are high):
  written sentences 277/300 right (92.3 %): de 30, fr 27, es 23, it 26, nl 27, pt 26, pl 30,
  tr 28, ru 30, ar 30 of 30; sentences of four words or more 252/258, of one to three words
  25/42. Every miss is "en" (e.g. "Stai zitto.", "Cala a boca.", "¡Ridículo!"); no sentence
  got another non-English language.
  English called non-English: short/slang/typos 0/156, Toxic Spans 0/10,629, OLID 0/14,100
  (also 0 of the 25,348 rows of data/civility-own and data/civility-check).
  Time: 40-60 µs a short comment, 250-300 µs a Toxic Spans comment; model load 0.6-1.3 s.
Compared on the same sets: the hand-written stopword guess it replaces, 147/300 (every German
sentence without a stopword it knew was "en"; Toxic Spans 4 and OLID 9 called foreign);
py3langid over all its 97 languages with no English prior, 284/300 but 99 of the 156 short
English comments called foreign; lingua-language-detector (11 languages, low-accuracy mode,
96 MB installed), 291/300 but 77/156 short English foreign; pycld2 fails on Toxic Spans'
invalid UTF-8.
Not a test: tests/scoring/test_language_guess.py holds the gate.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from civility.scoring import language  # noqa: E402

SAMPLES = REPO / "bench" / "language_samples.tsv"


def samples() -> list[tuple[str, str]]:
    rows = []
    with open(SAMPLES, encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                lang, text = line.rstrip("\n").split("\t", 1)
                rows.append((lang, text))
    return rows


def toxic_spans(root: Path) -> list[str]:
    out: list[str] = []
    for name in ("semeval2021_tsd_train", "semeval2021_tsd_trial", "semeval2021_tsd_test"):
        with gzip.open(root / "toxicspans" / f"{name}.csv.gz", "rt", encoding="utf-8") as fh:
            out += [row["text"] for row in csv.DictReader(fh)]
    return out


def olid(root: Path) -> list[str]:
    out: list[str] = []
    for name in ("olid-training-v1.0.tsv.gz", "testset-levela.tsv.gz"):
        with gzip.open(root / "olid2019" / name, "rt", encoding="utf-8") as fh:
            out += [row["tweet"] for row in csv.DictReader(fh, delimiter="\t")]
    return out


def timed(texts: list[str]) -> tuple[list[str], float]:
    start = time.perf_counter()
    got = [language.detect_language(t) for t in texts]
    return got, (time.perf_counter() - start) / max(len(texts), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = os.environ.get("CIVILITY_DATASETS") or str(REPO.parent / "shared" / "datasets")
    parser.add_argument("--datasets", default=default)
    args = parser.parse_args()
    root = Path(args.datasets)

    start = time.perf_counter()
    language.warm()
    print(f"model load: {time.perf_counter() - start:.2f} s")

    rows = samples()
    foreign = [(lang, t) for lang, t in rows if lang != "en"]
    got, per_call = timed([t for _, t in foreign])
    right = collections.Counter()
    total = collections.Counter()
    by_len: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    wrong = []
    for (lang, text), guess in zip(foreign, got, strict=True):
        total[lang] += 1
        bucket = "1-3 words" if len(text.split()) <= 3 else "4+ words"
        by_len[bucket][1] += 1
        if guess == lang:
            right[lang] += 1
            by_len[bucket][0] += 1
        else:
            wrong.append((lang, guess, text))
    ok = sum(right.values())
    print(
        f"written sentences: {ok}/{len(foreign)} right ({ok / len(foreign):.1%}), "
        f"{per_call * 1e6:.0f} µs a call"
    )
    print("  " + "  ".join(f"{lang} {right[lang]}/{total[lang]}" for lang in total))
    for bucket, (r, n) in sorted(by_len.items()):
        print(f"  {bucket}: {r}/{n}")
    for lang, guess, text in wrong:
        print(f"  miss {lang} -> {guess}: {text}")

    sets = {"short English, slang, typos": [t for lang, t in rows if lang == "en"]}
    try:
        sets["Toxic Spans"] = toxic_spans(root)
        sets["OLID"] = olid(root)
    except FileNotFoundError as exc:
        print(f"(datasets not found: {exc})")
    for name, texts in sets.items():
        got, per_call = timed(texts)
        calls = [(g, t) for g, t in zip(got, texts, strict=True) if g not in ("en", "und")]
        print(
            f"{name}: {len(calls)}/{len(texts)} called non-English "
            f"({len(calls) / max(len(texts), 1):.2%}), {per_call * 1e6:.0f} µs a call"
        )
        for g, t in calls[:10]:
            print(f"  {g}: {t[:100]!r}")


if __name__ == "__main__":
    main()
