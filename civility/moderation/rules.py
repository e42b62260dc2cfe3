"""Per-site word rules: banned phrases reject, suspect phrases hold.

Matching runs on `civility.scoring.normalize` output (zero-width removal, NFKC, accents, homoglyphs,
l33t, spaced letters) and maps matches back to offsets in the ORIGINAL text. On top of it:

* letter repeats: runs of 3+ identical characters are first cut to 2 (so "asssss" stays "ass"
  instead of normalize's "as"), and each single letter of a phrase accepts 1+ copies ("iidiot");
* leftover l33t the normalizer keeps on purpose ("a$$", "i d i 0 t") is accepted inside a match,
  but digits only where the matched word already has 2+ real letters ("A55" is a phone model);
* spaced-out words ("i  d  i  o  t", "idi 0 t") match only when every piece is at most 3 chars;
* matches must sit on word boundaries of the normalized text, so "class", "assess" and
  "Scunthorpe" never match "ass" or "cunt"; a plural "s"/"es" is allowed ("idiots").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from civility.scoring.normalize import normalize
from civility.verdicts import HOLD, REJECT, ReasonCode, Vote

__all__ = ["RuleMatch", "compile_phrase", "match_phrases", "match_word_rules", "normalize_phrase"]

_LEET_FOR = {
    "a": "4@",
    "b": "8",
    "e": "3",
    "g": "9",
    "i": "1!|",
    "l": "1|",
    "o": "0",
    "s": "5$",
    "t": "7+",
}
_SEP = r"[\s.\-_*,/+~'\"`^:;=#]"
_SEP_RE = re.compile(_SEP + "+")
_ALNUM_BEFORE = r"(?<![^\W_])"
_ALNUM_AFTER = r"(?![^\W_])"
_RUN3 = re.compile(r"(.)\1{2,}", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class RuleMatch:
    """A rule hit; ``start``/``end`` are offsets in the ORIGINAL text (end exclusive)."""

    phrase: str
    action: str
    start: int
    end: int


def normalize_phrase(phrase: str) -> str:
    """The canonical form of a rule phrase (what is stored and compared)."""
    return " ".join(normalize(phrase).text.split())


def _letter(c: str) -> str:
    alts = _LEET_FOR.get(c, "")
    return "[" + re.escape(c + alts) + "]" if alts else re.escape(c)


def _word_pattern(word: str) -> str:
    parts: list[str] = []
    for m in re.finditer(r"(.)\1*", word):
        c, k = m.group(1), len(m.group(0))
        cls = _letter(c)
        parts.append(f"{cls}+" if k == 1 else f"{cls}{{{k},}}")
    # Letters may be split by short separators ("i  d  i  o  t"); validated after matching.
    return f"{_SEP}{{0,3}}".join(parts)


@lru_cache(maxsize=4096)
def compile_phrase(phrase: str) -> re.Pattern[str] | None:
    words = normalize_phrase(phrase).split()
    if not words:
        return None
    body = f"{_SEP}*".join(_word_pattern(w) for w in words)
    return re.compile(f"{_ALNUM_BEFORE}(?:{body})(?:e?s)?{_ALNUM_AFTER}")


def _pre_collapse(text: str) -> tuple[str, list[int], list[int]]:
    """Cut runs of 3+ identical chars to 2; return text, start and end offsets into ``text``."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for m in _RUN3.finditer(text):
        for i in range(last, m.start()):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        out.append(text[m.start()])
        out.append(text[m.start() + 1])
        starts += [m.start(), m.start() + 1]
        ends += [m.start() + 1, m.end()]
        last = m.end()
    for i in range(last, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return "".join(out), starts, ends


def _plausible(matched: str, n_words: int) -> bool:
    """Reject matches that only exist because of the tolerant parts of the pattern."""
    pieces = [p for p in _SEP_RE.split(matched) if p]
    if len(pieces) > n_words and any(len(p) > 3 for p in pieces):
        return False  # separators inside a word only for spaced-out letters
    for piece in pieces:
        letters = sum(c.isalpha() for c in piece)
        digits = sum(c.isdigit() for c in piece)
        if digits and letters < 2 and len(pieces) <= n_words:
            return False  # "A55", "455": numbers and model names, not l33t
    return any(c.isalpha() for c in matched)


@dataclass(frozen=True)
class _Prepared:
    norm_text: str
    to_original: Any


_SPACERS = frozenset(" .-_*")


def _spread(pre: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    """Double every single-char separator so the normalizer joins no spaced-out letters.

    normalize() joins "a m o r o n" into "amoron", swallowing the article; on this variant the
    rule patterns match the spaced letters themselves, on word boundaries.
    """
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    for ch, st, en in zip(pre, starts, ends, strict=True):
        copies = 2 if ch in _SPACERS else 1
        out.append(ch * copies)
        new_starts += [st] * copies
        new_ends += [en] * copies
    return "".join(out), new_starts, new_ends


def _prepare(text: str, spread: bool = False) -> _Prepared:
    pre, pre_starts, pre_ends = _pre_collapse(text)
    if spread:
        pre, pre_starts, pre_ends = _spread(pre, pre_starts, pre_ends)
    norm = normalize(pre)

    def to_original(start: int, end: int) -> tuple[int, int]:
        s, e = norm.to_original(start, end)
        if e <= s:
            return (pre_starts[s] if s < len(pre_starts) else len(text),) * 2
        return pre_starts[s], pre_ends[e - 1]

    return _Prepared(norm.text, to_original)


def match_phrases(rules: list[tuple[str, str]], text: str) -> list[RuleMatch]:
    """Match (phrase, action) pairs against ``text``; offsets refer to ``text``."""
    if not rules or not text:
        return []
    variants = [_prepare(text)]
    if any(c in _SPACERS for c in text):
        variants.append(_prepare(text, spread=True))
    found: list[RuleMatch] = []
    for phrase, action in rules:
        pattern = compile_phrase(phrase)
        if pattern is None:
            continue
        n_words = len(normalize_phrase(phrase).split())
        for prepared in variants:
            for m in pattern.finditer(prepared.norm_text):
                if not _plausible(m.group(0), n_words):
                    continue
                start, end = prepared.to_original(m.start(), m.end())
                overlaps = any(
                    r.phrase == phrase and r.start < end and start < r.end for r in found
                )
                if not overlaps:
                    found.append(RuleMatch(phrase, action, start, end))
    found.sort(key=lambda r: (r.start, r.end))
    return found


@cache
def word_rules_rows() -> Any:
    """The site's word rules, read with the site (`fetch_joined`) where a post reads it."""
    from civility.db.lookups import RowsOf
    from civility.moderation.models import WordRule

    return RowsOf("fetched_word_rules", WordRule, "site", ("phrase", "action"))


def match_word_rules(site: Any, text: str) -> list[RuleMatch]:
    """All of ``site``'s word rules that match ``text``, in text order."""
    from civility.db.lookups import rows_for

    return match_phrases(rows_for(site, word_rules_rows()), text)


def rule_votes(text: str, matches: list[RuleMatch]) -> list[Vote]:
    """Pipeline votes for rule matches, with the matched span."""
    out: list[Vote] = []
    for m in matches:
        banned = m.action == "reject"
        out.append(
            Vote(
                REJECT if banned else HOLD,
                ReasonCode.BANNED_WORD if banned else ReasonCode.SUSPECT_WORD,
                f'{"Banned" if banned else "Suspect"} word "{m.phrase}"',
                {
                    "phrase": m.phrase,
                    "matched": text[m.start : m.end],
                    "start": m.start,
                    "end": m.end,
                },
            )
        )
    return out
