"""Cheap language guess: Unicode script first, then stopword overlap for Latin-script languages.

Good enough to refuse clearly non-English text (the model is English-only); not a real language-id
model. Returns an ISO 639-1 code, "und" when there is nothing to go on.
"""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_WORD = re.compile(r"[^\W\d_]+")

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the a an and or but of to in on at for with is are was were be been it this that these "
        "those you your i he she we they my his her our their not no do does did have has had will "
        "would can could should what who which when where why how all just so if there as by from "
        "me him them us am its than then too "
        "very up out about into over more most some any".split()
    ),
    "fr": frozenset(
        "le la les un une des et ou mais de du au "
        "aux en dans sur pour avec est sont était je tu il "
        "elle nous vous ils elles ce cette ces qui que "
        "quoi ne pas plus se sa son ses leur très".split()
    ),
    "de": frozenset(
        "der die das ein eine und oder aber von zu im in "
        "auf für mit ist sind war ich du er sie wir "
        "ihr es nicht kein dass wie was wer auch noch nur sehr dem den des sich bei aus".split()
    ),
    "es": frozenset(
        "el la los las un una unos y o pero de del en con por para es son está era yo tú él ella "
        "nosotros ellos que qué no muy más se su sus como al lo".split()
    ),
    "it": frozenset(
        "il lo la gli le un una e o ma di del della in con per è sono era io tu lui lei noi voi "
        "loro che non più si suo sua come anche questo questa".split()
    ),
    "pt": frozenset(
        "o a os as um uma e ou mas de do da em no na com por para é são era eu tu ele ela nós "
        "eles que não muito mais se seu sua como também isso".split()
    ),
    "nl": frozenset(
        "de het een en of maar van te in op voor met is zijn was ik jij hij zij wij niet geen dat "
        "die wat wie ook nog heel bij uit".split()
    ),
}

# (first code point, last code point, language) for scripts that identify a language well enough.
_SCRIPTS = (
    (0x0400, 0x04FF, "ru"),
    (0x0370, 0x03FF, "el"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"),
    (0x0900, 0x097F, "hi"),
    (0x0E00, 0x0E7F, "th"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
)


def detect_language(text: str) -> str:
    """Best-guess ISO 639-1 code of ``text`` ("en", "fr", ... or "und")."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "und"
    non_latin = [c for c in letters if ord(c) > 0x024F]
    if len(non_latin) > len(letters) / 2:
        counts: dict[str, int] = {}
        for c in non_latin:
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
        return max(counts, key=counts.__getitem__)
    words = [w.lower() for w in _WORD.findall(text)]
    hits = {lang: sum(w in sw for w in words) for lang, sw in _STOPWORDS.items()}
    best = max(hits, key=hits.__getitem__)
    # Short texts and slang rarely hit stopwords: default to English unless another language
    # clearly wins, since the platform is English-first.
    if hits[best] == 0 or hits[best] <= hits["en"]:
        return "en"
    if hits[best] >= 2 and hits[best] >= 2 * max(hits["en"], 1) - 1:
        return best
    return "en"
