"""Train-time spelling evasion for civility-own rows: character swaps, deletions, insertions,
spacing ("r a t s") and leet ("r4t5"), seeded and deterministic.

Readers who want past a filter misspell the word that matters, so a perturbation goes to a word
inside a gold span when the row has one (the offending word), else to a content word of four
letters or more. The labels stay those of the plain text (labelling guide: "misspelt, spaced,
leet or look-alike versions get the labels of the plain text"); spans are remapped to the new
text character by character (an inserted character belongs to a span when both its neighbours
do), and dropped when a span loses every character.

    rows = augment_rows(rows, share=0.3, seed=13)   # new rows only, to add to the originals

Used for both stages: `civility train` (stage 1 document and span heads) and the stage-2
encoder's examples (``EncoderParams.augment``).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("swap", "delete", "insert", "spacing", "leet")
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "l": "1", "g": "9"}
_WORD = re.compile(r"[A-Za-z]{4,}")
_KEYBOARD_NEAR = {
    "a": "qs",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


@dataclass
class Edited:
    """Characters of a text, each with the index it had in the original (None: inserted)."""

    chars: list[str]
    origin: list[int | None]

    @classmethod
    def of(cls, text: str) -> Edited:
        return cls(list(text), list(range(len(text))))

    def text(self) -> str:
        return "".join(self.chars)


def _word_at(e: Edited, start: int, end: int) -> tuple[int, int]:
    """Positions in ``e`` of original characters start..end-1 (both still present)."""
    pos = [i for i, o in enumerate(e.origin) if o is not None and start <= o < end]
    return pos[0], pos[-1] + 1


def perturb_word(e: Edited, start: int, end: int, kind: str, rng: random.Random) -> None:
    """Apply one perturbation to the original word start..end (an alphabetic run >= 4)."""
    lo, hi = _word_at(e, start, end)
    n = hi - lo
    if kind == "swap":  # two neighbouring inner letters
        i = lo + rng.randrange(1, n - 2) if n > 3 else lo
        e.chars[i], e.chars[i + 1] = e.chars[i + 1], e.chars[i]
        e.origin[i], e.origin[i + 1] = e.origin[i + 1], e.origin[i]
    elif kind == "delete":  # an inner letter
        i = lo + rng.randrange(1, n - 1)
        del e.chars[i], e.origin[i]
    elif kind == "insert":  # a doubled letter or a keyboard neighbour
        i = lo + rng.randrange(1, n)
        prev = e.chars[i - 1]
        near = _KEYBOARD_NEAR.get(prev.lower(), "")
        c = prev if not near or rng.random() < 0.5 else rng.choice(near)
        e.chars.insert(i, c)
        e.origin.insert(i, None)
    elif kind == "spacing":  # "r a t s"
        for i in range(hi - 1, lo, -1):
            e.chars.insert(i, " ")
            e.origin.insert(i, None)
    elif kind == "leet":  # at least one letter, about half of those that have a leet form
        cand = [i for i in range(lo, hi) if e.chars[i].lower() in LEET]
        if not cand:
            return
        pick = [i for i in cand if rng.random() < 0.5] or [rng.choice(cand)]
        for i in pick:
            e.chars[i] = LEET[e.chars[i].lower()]
    else:
        raise ValueError(f"unknown perturbation {kind!r}")


def remap_spans(e: Edited, spans: Sequence[Sequence[int]]) -> list[list[int]]:
    """[start, end) spans of the original text -> spans of the edited text (empty ones dropped)."""
    gold = {c for s, t in spans for c in range(s, t)}
    inside = [o is not None and o in gold for o in e.origin]
    for i, o in enumerate(e.origin):  # an inserted character joins a span around it
        if o is None and 0 < i < len(inside) - 1 and inside[i - 1] and inside[i + 1]:
            inside[i] = True
    out: list[list[int]] = []
    i = 0
    while i < len(inside):
        if inside[i]:
            j = i
            while j < len(inside) and inside[j]:
                j += 1
            out.append([i, j])
            i = j
        else:
            i += 1
    return out


def augment_text(
    text: str,
    spans: Sequence[Sequence[int]] = (),
    rng: random.Random | None = None,
    kinds: Sequence[str] = KINDS,
) -> tuple[str, list[list[int]], str] | None:
    """One perturbed copy of ``text``: (text, remapped spans, kind), or None when the text has
    no word of four letters or more."""
    rng = rng or random.Random(0)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        return None
    gold = {c for s, t in spans for c in range(s, t)}
    in_span = [w for w in words if any(c in gold for c in range(*w))]
    pool = in_span or words
    kind = rng.choice(list(kinds))
    e = Edited.of(text)
    start, end = rng.choice(pool)
    perturb_word(e, start, end, kind, rng)
    if kind in ("swap", "delete", "insert") and len(pool) > 1 and rng.random() < 0.3:
        others = [w for w in pool if w != (start, end)]
        s2, t2 = rng.choice(others)
        perturb_word(e, s2, t2, rng.choice(["swap", "delete", "insert"]), rng)
    new = e.text()
    if new == text:
        return None
    return new, remap_spans(e, spans), kind


def _chosen(text: str, share: float, seed: int) -> bool:
    h = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < share


def augment_rows(
    rows: Sequence[dict[str, Any]], share: float, seed: int = 13
) -> list[dict[str, Any]]:
    """Perturbed copies of a seeded ``share`` of ``rows`` (dicts with ``text``, ``labels`` and
    optionally ``spans``): new rows with the same labels, remapped ``spans`` and
    ``source``/``augment`` provenance. Which rows are chosen depends only on each row's text and
    the seed, so adding rows does not reshuffle the others."""
    out = []
    for r in rows:
        if share <= 0 or not _chosen(r["text"], share, seed):
            continue
        rng = random.Random(f"{seed}:{r['text']}")
        res = augment_text(r["text"], r.get("spans") or [], rng)
        if res is None:
            continue
        text, spans, kind = res
        new = dict(r)
        new.update(
            text=text,
            spans=spans,
            augment=kind,
            source=f"augment:{kind}({r.get('source', 'civility-own')})",
        )
        out.append(new)
    return out
