"""Hashed sparse features shared by training and serving (numpy + tokenizers only).

Document features: word-piece uni/bi/tri-grams (MiniLM's uncased WordPiece tokenizer, run in Rust)
and character 3-5-grams of the normalized text, hashed into ``2**bits`` buckets, binary presence
times a learned IDF, L2-normalized per document. Token features (span head): each word piece with
its neighbours, hashed into ``2**span_bits`` buckets.

Everything is vectorized over a batch with numpy; hashes use fixed 64-bit mixing so training-time
and serving-time features are bit-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from tokenizers import Encoding, Tokenizer

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_S29 = np.uint64(29)
_S32 = np.uint64(32)
MAX_CHARS = 3000  # longer comments are scored on their first MAX_CHARS normalized characters
MAX_TOKENS = 768

# Identity terms are "blinded" before featurization (replaced by a same-length run of a
# private-use character: the tokenizer drops it, char n-grams see only the placeholder): the
# model must judge what is said about a group, not which group is named. This is what keeps
# neutral sentences that name a group ("I am a proud Muslim") from inheriting the group's
# co-occurrence with hate in the training sets. Same length, so offsets into the normalized text
# stay valid. Slurs are NOT identity terms and stay visible.
#
# The list is versioned: an artifact records the version it was trained with (config
# "blind_version"; artifacts without it are version 1) and is served with exactly that list.
# Version 1 (civility-tox-2026.11.1) had gaps: multi-word entries were split into words (so
# "middle" and "eastern" were blinded anywhere and "middle east" was not), possessives
# ("women's", "muslim's") and plurals / related forms ("disabilities", "natives", "females",
# "bi", "mosque") stayed visible and kept their co-occurrence with hate.
IDENTITY_TERMS = (
    "muslims? moslems? islam islamic jews? jewish judaism christians? christianity catholics? "
    "protestants? hindus? hinduism sikhs? buddhists? buddhism atheists? taoists? mormons? "
    "gays? lesbians? bisexuals? bisexuality transgenders? trans transsexuals? queers? lgbt "
    "lgbtq lgbtqia homosexuals? homosexuality heterosexuals? nonbinary non-binary straight "
    "blacks? whites? africans? african-americans? americans? asians? chinese japanese koreans? "
    "indians? mexicans? latinos? latinas? latinx hispanics? arabs? middle eastern middle-eastern "
    "immigrants? refugees? migrants? europeans? canadians? palestinians? israelis? somalis? "
    "native indigenous deaf blind disabled disability paralyzed elderly teenage millenials? "
    "young younger old older aged "
    "women woman men man female male girls? boys?"
).split()
IDENTITY_TERMS_V2 = tuple(
    t
    for t in IDENTITY_TERMS
    if t not in ("middle", "eastern")  # v1 artefacts of splitting "middle eastern"
) + tuple(
    (
        "bi pansexuals? asexuals? intersex genderqueer "
        "natives? aboriginals? females? males? "
        "disabilities autistic handicapped "
        "foreigners? expats? "
        "mosques? synagogues? hijabs? quran koran ramadan "
        "caucasians? latin latine agnostics? evangelicals? "
        "pakistanis? iranians? iraqis? syrians? afghans? turks? nigerians? haitians? "
        "jamaicans? cubans? filipinos? filipinas? vietnamese russians? ukrainians? roma"
    ).split()
)
# Multi-word identity terms (v2): matched as phrases, any run of spaces between the words.
IDENTITY_PHRASES_V2 = (
    "middle eastern",
    "middle east",
    "native americans?",
    "first nations",
    "people of colou?r",
    "asylum seekers?",
    "mental illness(?:es)?",
    "mental disabilit(?:y|ies)",
    "intellectual disabilit(?:y|ies)",
    "learning disabilit(?:y|ies)",
)


def _identity_re(terms: tuple[str, ...] | list[str], phrases: tuple[str, ...] = ()) -> re.Pattern:
    alts = [p.replace(" ", r"\s+") for p in phrases] + list(terms)
    if not phrases:  # version 1, kept byte for byte
        return re.compile(r"(?<![\w'])(?:" + "|".join(alts) + r")(?![\w'])")
    # Version 2 also blinds a possessive "'s" / "'" with the term ("women's", "muslims'").
    return re.compile(r"(?<![\w'])(?:" + "|".join(alts) + r")(?:'s|')?(?![\w'])")


_IDENTITY_RES = {
    1: _identity_re(IDENTITY_TERMS),
    2: _identity_re(IDENTITY_TERMS_V2, IDENTITY_PHRASES_V2),
}
BLIND_VERSION = 2  # what `civility train` uses now
_BLIND = "\ue000"


def blind_identity(text: str, version: int = BLIND_VERSION) -> str:
    """Replace identity terms of a normalized (lower-case) text by a same-length placeholder."""
    return _IDENTITY_RES[version].sub(lambda m: _BLIND * (m.end() - m.start()), text)


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix-style 64-bit hash of uint64 array ``x`` with a salt (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ np.uint64(salt)) * _M1
        x ^= x >> _S29
        x *= _M2
        x ^= x >> _S32
    return x


@dataclass
class DocFeatures:
    """Sparse matrix in COO form with rows sorted: value = idf[col] / row L2 norm."""

    rows: np.ndarray  # int64, sorted
    cols: np.ndarray  # int64
    n_docs: int


class Featurizer:
    """Turns normalized texts into hashed sparse document and token features."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        bits: int = 20,
        span_bits: int = 18,
        blind: bool = False,
        blind_version: int = 1,
    ) -> None:
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.bits = bits
        self.span_bits = span_bits
        self.blind = blind
        if blind_version not in _IDENTITY_RES:
            raise ValueError(f"unknown identity-blinding version {blind_version}")
        self.blind_version = blind_version

    @classmethod
    def from_file(
        cls,
        path: str,
        bits: int = 20,
        span_bits: int = 18,
        blind: bool = False,
        blind_version: int = 1,
    ) -> Featurizer:
        return cls(Tokenizer.from_file(path), bits, span_bits, blind, blind_version)

    def prepare(self, norm_texts: list[str]) -> list[str]:
        """Truncate and (if configured) blind identity terms; kept text keeps its length."""
        if self.blind:
            return [blind_identity(t[:MAX_CHARS], self.blind_version) for t in norm_texts]
        return [t[:MAX_CHARS] for t in norm_texts]

    def encode(self, norm_texts: list[str]) -> list[Encoding]:
        """WordPiece-encode normalized texts (no special tokens)."""
        return self.tokenizer.encode_batch(self.prepare(norm_texts), add_special_tokens=False)

    def doc_features(self, norm_texts: list[str], encodings: list[Encoding]) -> DocFeatures:
        """Unique (row, bucket) pairs of each document's word-piece and char n-grams."""
        n = len(norm_texts)
        shift = np.uint64(64 - self.bits)
        rows_parts: list[np.ndarray] = []
        hash_parts: list[np.ndarray] = []
        # Word-piece n-grams over the flattened batch; n-grams crossing documents are masked.
        lens = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=n)
        if lens.sum():
            ids = np.fromiter(
                (i for e in encodings for i in e.ids), dtype=np.uint64, count=int(lens.sum())
            )
            row = np.repeat(np.arange(n, dtype=np.int64), lens)
            hash_parts.append(_mix(ids, 1))
            rows_parts.append(row)
            with np.errstate(over="ignore"):
                if len(ids) > 1:
                    same = row[:-1] == row[1:]
                    bi = ids[:-1] * np.uint64(1_000_003) + ids[1:]
                    hash_parts.append(_mix(bi[same], 2))
                    rows_parts.append(row[:-1][same])
                if len(ids) > 2:
                    same3 = row[:-2] == row[2:]
                    tri = (ids[:-2] * np.uint64(1_000_003) + ids[1:-1]) * np.uint64(
                        1_000_003
                    ) + ids[2:]
                    hash_parts.append(_mix(tri[same3], 3))
                    rows_parts.append(row[:-2][same3])
        # Character 3-5-grams of " text " (padding marks word edges at the ends).
        padded = [" " + t + " " for t in self.prepare(norm_texts)]
        clens = np.fromiter((len(t) for t in padded), dtype=np.int64, count=n)
        codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(
            np.uint64
        )
        crow = np.repeat(np.arange(n, dtype=np.int64), clens)
        # Collapse whitespace variants so "a\nb" and "a b" share n-grams.
        codes = np.where((codes == 10) | (codes == 9) | (codes == 13), np.uint64(32), codes)
        # n-grams touching a blinded identity term are dropped: "a group is named" must not
        # become a feature of its own (it co-occurs with hate in the training sets).
        blind_cum = np.concatenate([[0], np.cumsum(codes == ord(_BLIND))])
        with np.errstate(over="ignore"):
            for k in (3, 4, 5):
                if len(codes) < k:
                    continue
                h = codes[: len(codes) - k + 1].copy()
                for j in range(1, k):
                    h = h * np.uint64(1_114_111) + codes[j : len(codes) - k + 1 + j]
                ok = crow[: len(codes) - k + 1] == crow[k - 1 :]
                ok &= blind_cum[k:] == blind_cum[: len(codes) - k + 1]
                hash_parts.append(_mix(h[ok], 10 + k))
                rows_parts.append(crow[: len(codes) - k + 1][ok])
        if not hash_parts:
            return DocFeatures(np.zeros(0, np.int64), np.zeros(0, np.int64), n)
        rows = np.concatenate(rows_parts)
        cols = (np.concatenate(hash_parts) >> shift).astype(np.int64)
        key = np.unique(rows * (1 << self.bits) + cols)
        return DocFeatures(key >> self.bits, key & ((1 << self.bits) - 1), n)

    def token_features(self, encodings: list[Encoding]) -> tuple[np.ndarray, np.ndarray, int]:
        """Span-head features: (token_index, bucket) pairs over the flattened batch tokens.

        Features of token t: its id, prev/next ids, (prev, t) and (t, next) bigrams, the id of the
        first piece of its word and whether it continues a word (keeps "re ##tar ##d" together).
        """
        lens = [len(e.ids) for e in encodings]
        total = int(sum(lens))
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
        ids = np.fromiter((i for e in encodings for i in e.ids), dtype=np.uint64, count=total)
        doc = np.repeat(np.arange(len(encodings), dtype=np.int64), lens)
        word = np.fromiter(
            ((-1 if w is None else w) for e in encodings for w in e.word_ids),
            dtype=np.int64,
            count=total,
        )
        idx = np.arange(total, dtype=np.int64)
        # Neighbours within the same document; 0 = boundary.
        prev = np.zeros(total, np.uint64)
        nxt = np.zeros(total, np.uint64)
        same_prev = np.zeros(total, bool)
        same_prev[1:] = doc[1:] == doc[:-1]
        prev[1:] = np.where(same_prev[1:], ids[:-1], 0)
        same_next = np.zeros(total, bool)
        same_next[:-1] = doc[:-1] == doc[1:]
        nxt[:-1] = np.where(same_next[:-1], ids[1:], 0)
        cont = same_prev & np.concatenate([[False], word[1:] == word[:-1]])
        # First piece of each token's word: propagate word starts forward.
        start_pos = np.where(~cont, idx, 0)
        np.maximum.accumulate(start_pos, out=start_pos)
        first = ids[start_pos]
        big = np.uint64(1_000_003)
        with np.errstate(over="ignore"):
            feats = [
                _mix(ids, 21),
                _mix(prev, 22),
                _mix(nxt, 23),
                _mix(prev * big + ids, 24),
                _mix(ids * big + nxt, 25),
                _mix(first * np.uint64(2) + cont.astype(np.uint64), 26),
            ]
        shift = np.uint64(64 - self.span_bits)
        cols = np.concatenate([(f >> shift).astype(np.int64) for f in feats])
        rows = np.tile(idx, len(feats))
        return rows, cols, total
