"""Language guess for comments: the writing system first, then a language-id model for Latin text.

The moderation model reads English only, so the question that matters is "is this English?", and
the costly mistake is calling an English comment foreign (it would be held or published unscored,
see the per-site `unsupported_language` policy). So:

1. Text that is mostly in a script other than Latin gets that script's language (Cyrillic "ru",
   with "uk", "be", "sr", "mk" where their own letters show; Arabic script "ar", "fa" or "ur" the
   same way; Greek, Hebrew, Devanagari, Thai, kana, Hangul, Han ...).
2. Latin text goes to py3langid (BSD-3-Clause, a naive Bayes model over byte n-grams that ships
   inside the wheel: numpy only, nothing downloaded, ~50 µs a comment), restricted to the Latin
   languages in `LATIN_LANGUAGES`. Another language wins only when its normalized probability
   reaches `CONFIDENCE`; below that the answer is English. Short English, slang and typos
   ("u r dumb", "ghetto trash", "wat a joke") then stay English while an ordinary sentence in
   German, French, Spanish ... is recognized; a two-word phrase in another language may still
   come out English (there is too little to go on).
3. "und" when there is nothing to go on: fewer than two letters, or letters of a script not in
   the table.

Text is NFKC-normalized first (fullwidth and "math bold" letters are Latin), and text written in
Cyrillic or Greek look-alikes of Latin letters is read as what it spells (an evasion trick, not
Russian), so disguising an English insult does not make it "unsupported".

`bench/language_bench.py` measures it (accuracy on written sentences in ten languages, the
share of English comments called non-English on Toxic Spans, OLID and short slang, time per
call); the figures are in its docstring.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

from civility.scoring.normalize import normalize

__all__ = ["CONFIDENCE", "LATIN_LANGUAGES", "detect_language", "warm"]

# Latin-script languages the model chooses among (ISO 639-1). More languages mean more ways for
# a short English comment to look foreign: this list keeps English slang at zero false calls on
# the bench while still naming the common European languages a newsroom sees.
LATIN_LANGUAGES: tuple[str, ...] = (
    "en",
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "pl",
    "tr",
    "sv",
    "da",
    "no",
    "fi",
    "cs",
    "ro",
    "hu",
    "id",
)
# The normalized probability another Latin language needs to beat English (chosen on the bench:
# the highest any English comment there reached was 0.83, "ghetto trash" as Italian).
CONFIDENCE = 0.85

# Addresses, handles and hashtag signs say nothing about the language; entities are undone.
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@\w+|#")

# (first code point, last code point, language) for scripts that identify a language well enough.
_SCRIPTS = (
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x052F, "ru"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"),
    (0x0750, 0x077F, "ar"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0C80, 0x0CFF, "kn"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1200, 0x137F, "am"),
    (0x1780, 0x17FF, "km"),
    (0x3040, 0x30FF, "ja"),
    (0x1100, 0x11FF, "ko"),
    (0xAC00, 0xD7AF, "ko"),
    (0x3400, 0x4DBF, "zh"),
    (0x4E00, 0x9FFF, "zh"),
    (0xFB50, 0xFDFF, "ar"),
    (0xFE70, 0xFEFF, "ar"),
)
# Letters that only some languages of a script use: (script's default, letters, language).
_REFINE = (
    ("ru", "ў", "be"),
    ("ru", "їєґі", "uk"),
    ("ru", "ѓќѕ", "mk"),
    ("ru", "ђћџјљњ", "sr"),
    ("ar", "ٹڈڑںے", "ur"),
    ("ar", "پچژگیک", "fa"),  # and the Persian forms of yeh and kaf
)
_LATIN_EXTRA = (0x1E00, 0x1EFF)  # Latin Extended Additional (Vietnamese, Welsh ...)
# Text in another script whose letters are Latin look-alikes but for this share is disguised Latin.
_DISGUISE_LEFT = 0.1
_READ = 600  # characters of a comment the guess reads

_lock = threading.Lock()
_identifier: Any = None


def _model() -> Any:
    """py3langid's identifier restricted to LATIN_LANGUAGES (loaded once, ~0.5 s)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                ident.set_languages(list(LATIN_LANGUAGES))
                _identifier = ident
    return _identifier


def warm() -> None:
    """Load the language model now (the Scorer does, so a first comment does not wait for it)."""
    _model()


def _is_latin(cp: int) -> bool:
    return cp <= 0x024F or _LATIN_EXTRA[0] <= cp <= _LATIN_EXTRA[1]


def _script_language(letters: list[str]) -> str:
    counts: dict[str, int] = {}
    for c in letters:
        cp = ord(c)
        for lo, hi, lang in _SCRIPTS:
            if lo <= cp <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return "und"
    # Kana present means Japanese even when most characters are Han.
    if counts.get("ja") and counts.get("zh"):
        return "ja"
    best = max(counts, key=counts.__getitem__)
    present = {c.lower() for c in letters}
    for script, marks, lang in _REFINE:
        if best == script and present.intersection(marks):
            return lang
    return best


@lru_cache(maxsize=256)  # the pipeline's language check and the Scorer ask about one text
def detect_language(text: str) -> str:
    """Best-guess ISO 639-1 code of ``text`` ("en", "de", "ru", ... or "und")."""
    # The first _READ characters say which language a comment is in as well as all of it would.
    clean = unicodedata.normalize("NFKC", _NOISE.sub(" ", html.unescape(text[:_READ])))
    letters = [c for c in clean if c.isalpha()]
    if len(letters) < 2:
        return "und"
    foreign = [c for c in letters if not _is_latin(ord(c))]
    if len(foreign) > len(letters) / 2:
        # Look-alike letters spelling Latin words ("уоu аrе а mоrоn" in Cyrillic) are an evasion,
        # not that script's language: read what they spell. Real Cyrillic or Greek text keeps
        # many letters with no Latin look-alike ("Ты просто идиот" keeps ы, п, и, д).
        folded = normalize(clean).text
        kept = [c for c in folded if c.isalpha()]
        if sum(not _is_latin(ord(c)) for c in kept) > len(kept) * _DISGUISE_LEFT:
            return _script_language(foreign)
        clean = folded
    lang, confidence = _model().classify(clean)
    if lang != "en" and confidence >= CONFIDENCE:
        return str(lang)
    return "en"
