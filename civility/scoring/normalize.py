"""Text normalization against evasion, with an offset map back to the original text.

``normalize(text)`` returns ``Normalized(text, offsets)`` where ``len(offsets) == len(text)`` of the
normalized string and ``offsets[i]`` is the index (Python str / code point index) in the ORIGINAL
text of the character that produced normalized character ``i``. A span ``[i, j)`` of the normalized
text therefore maps back to the original as ``[offsets[i], offsets[j - 1] + 1)`` (see
:func:`Normalized.to_original`).

Steps, in order:

1. zero-width / invisible characters (ZWSP, ZWJ, soft hyphen, BOM, ...) are dropped;
2. Unicode NFKC per character (fullwidth, math-bold, circled letters ...), accents dropped;
3. homoglyph / confusable folding (Cyrillic and Greek look-alikes to Latin);
4. lower-casing;
5. l33t inside words that contain letters ("sh1t", "1d10t", "b!tch", "@ss"), never in plain numbers
   ("5 soldiers", "2019", "covid19" keep their digits);
6. spaced-out letters ("i d i o t", "f.u.c.k", "k-i-l-l") are joined when at least 3 single letters
   are separated by one separator;
7. runs of 3+ identical letters collapse to one ("iiidiot", "fuuuck"); digits are never collapsed.

Word boundaries are kept (spaces survive every step except 6, which only joins single letters), so
"class", "assess" or "Scunthorpe" stay whole words; banned-word matching must still match on word
boundaries of the normalized text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Normalized", "normalize"]

_ZERO_WIDTH = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u3164\ufeff\uffa0"
)

# Cyrillic / Greek / IPA / misc look-alikes of Latin letters (after lower-casing).
_CONFUSABLES = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "һ": "h",
    "ԛ": "q",
    "ԝ": "w",
    "ѡ": "w",
    "ү": "y",
    "ɡ": "g",
    "ɑ": "a",
    "ɩ": "i",
    "ι": "i",
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    "ℓ": "l",
    "ı": "i",
    "ȷ": "j",
    "ø": "o",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ħ": "h",
    "ł": "l",
    "þ": "th",
}

_LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
}

# A "word" for l33t purposes: letters, digits and the l33t symbols glued together.
_LEET_WORD = re.compile(r"[a-z0-9@$!|]+")
_ORDINAL = re.compile(r"\d+(st|nd|rd|th|s)")
# >= 3 single letters separated by exactly one separator char: "i d i o t", "f.u.c.k", "k-i-l-l".
_SPACED = re.compile(r"(?<![a-z0-9])(?:[a-z][ .\-_*]){2,}[a-z](?![a-z0-9])")
_REPEAT = re.compile(r"([a-z])\1{2,}")


@dataclass(frozen=True)
class Normalized:
    """Normalized text plus ``offsets[i]`` = index in the original text of normalized char ``i``."""

    text: str
    offsets: list[int]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized half-open span ``[start, end)`` to a half-open span of the original."""
        if end <= start:
            pos = (
                self.offsets[start]
                if start < len(self.offsets)
                else (self.offsets[-1] + 1 if self.offsets else 0)
            )
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


def _fold_char(ch: str) -> str:
    """NFKC + accent stripping + lower-case + confusable folding of one character."""
    if ch in _ZERO_WIDTH:
        return ""
    out = unicodedata.normalize("NFKC", ch)
    if not out.isascii():
        # Drop combining marks ("ïdïøt" -> "idiot"); keep non-Latin scripts as they are.
        out = "".join(c for c in unicodedata.normalize("NFD", out) if not unicodedata.combining(c))
    out = out.lower()
    if not out.isascii():
        out = "".join(_CONFUSABLES.get(c, c) for c in out)
    return out


def _leet_word(word: str) -> str:
    """De-l33t one word; returns it unchanged when it looks like a number, ordinal or handle."""
    letters = sum(c.isalpha() for c in word)
    if letters < 2 or _ORDINAL.fullmatch(word):
        return word
    chars = list(word)
    n = len(chars)
    # Leading / trailing runs of 2+ digits are numbers ("24hours", "covid19", "user123").
    i = 0
    while i < n and chars[i].isdigit():
        i += 1
    lead_digits = i
    j = n
    while j > 0 and chars[j - 1].isdigit():
        j -= 1
    trail_digits = n - j
    for k, c in enumerate(chars):
        rep = _LEET.get(c)
        if rep is None:
            continue
        if c.isdigit():
            if (k < lead_digits and lead_digits >= 2) or (k >= j and trail_digits >= 2):
                continue
            if k < lead_digits and lead_digits == n - trail_digits:
                continue
        elif c in "!|":
            # Only between letters/digits: "b!tch", "sh!t"; "wow!" keeps its "!".
            if k == 0 or k == n - 1:
                continue
        elif c == "@" and k == 0 and not (n > 1 and chars[1] == "s"):
            continue  # "@user" is a mention; "@ss" is not
        elif c == "$" and k == 0 and n > 1 and chars[1].isdigit():
            continue  # "$5"
        chars[k] = rep
    return "".join(chars)


def normalize(text: str) -> Normalized:
    """Normalize ``text`` against evasion; see the module docstring for steps and offsets."""
    # Steps 1-4, per character, so each output char keeps its source index.
    if text.isascii():
        s = text.lower()
        offs = list(range(len(text)))
    else:
        parts: list[str] = []
        offs = []
        for i, ch in enumerate(text):
            if ch.isascii():
                parts.append(ch.lower())
                offs.append(i)
                continue
            out = _fold_char(ch)
            parts.append(out)
            offs.extend([i] * len(out))
        s = "".join(parts)
    # Step 5: l33t (length preserving, so offsets are unchanged).
    if any(c in s for c in _LEET):
        s = _LEET_WORD.sub(lambda m: _leet_word(m.group(0)), s)
    # Step 6: spaced-out letters -> keep only the letters.
    if _SPACED.search(s):
        s, offs = _rewrite(
            s, offs, _SPACED, lambda m: [k for k in range(m.start(), m.end()) if s[k].isalpha()]
        )
    # Step 7: long letter repeats -> one letter.
    if _REPEAT.search(s):
        s, offs = _rewrite(s, offs, _REPEAT, lambda m: [m.start()])
    return Normalized(s, offs)


def _rewrite(
    s: str,
    offs: list[int],
    pattern: re.Pattern[str],
    keep: Callable[[re.Match[str]], Iterable[int]],
) -> tuple[str, list[int]]:
    """Replace each match of ``pattern`` by the chars at the indices ``keep(match)`` returns."""
    out: list[str] = []
    new_offs: list[int] = []
    last = 0
    for m in pattern.finditer(s):
        out.append(s[last : m.start()])
        new_offs.extend(offs[last : m.start()])
        for k in keep(m):
            out.append(s[k])
            new_offs.append(offs[k])
        last = m.end()
    out.append(s[last:])
    new_offs.extend(offs[last:])
    return "".join(out), new_offs
