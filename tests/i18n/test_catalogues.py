"""The translation catalogues are complete, consistent with the source and compile.

When a test here fails because strings changed, update the catalogues and translate what is new
(from the repository root):

    cd civility && ../.venv/bin/civility manage makemessages -l de -l fr -l es -l en --no-obsolete
    ../.venv/bin/civility manage makemessages -d djangojs -l de -l fr -l es -l en --no-obsolete

then fill in every empty msgstr (and remove "#, fuzzy" once a guess is checked) in
civility/locale/<lang>/LC_MESSAGES/django.po and djangojs.po; the English catalogue repeats the
English text (`msgen` writes it). makemessages needs GNU gettext (apt-get install gettext).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from civility.i18n import DOMAINS, LANGUAGES, LOCALE_DIR, catalogues, compile_catalogs

REPO = Path(__file__).resolve().parents[2]
HOW = (
    "update the catalogues: cd civility && ../.venv/bin/civility manage makemessages"
    " -l de -l fr -l es -l en --no-obsolete (and again with -d djangojs), then translate every"
    " empty or fuzzy entry in civility/locale/*/LC_MESSAGES/*.po (see tests/i18n/test_catalogues.py)"
)
# %(name)s, %s, %d and friends: what a translation must keep, in any order.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _entries(po: Path) -> list:
    with po.open("rb") as f:
        return [m for m in read_po(f) if m.id]


@pytest.mark.parametrize("lang", [code for code, _ in LANGUAGES])
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_catalogue_is_complete_with_matching_placeholders(lang: str, domain: str) -> None:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    assert po.exists(), f"{po} is missing: {HOW}"
    problems = []
    for m in _entries(po):
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if m.fuzzy:
            problems.append(f"fuzzy (a guess nobody checked): {ids[0]!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = _placeholders(ids[-1])
        for s in strings:
            # A singular may say "one" in words instead of the number (French, German ...).
            got = _placeholders(s)
            if got != wanted and not (len(ids) > 1 and s is strings[0] and set(got) <= set(wanted)):
                problems.append(f"placeholders {got} in {s!r}, the source has {wanted}")
    assert not problems, f"{po.relative_to(REPO)}:\n  " + "\n  ".join(problems) + f"\n\n{HOW}"


def test_the_catalogues_compile_and_translate() -> None:
    compile_catalogs(force=True)
    from django.utils import translation

    assert len(catalogues()) == len(LANGUAGES) * len(DOMAINS)
    for mo in LOCALE_DIR.glob("*/LC_MESSAGES/*.mo"):
        assert mo.stat().st_size > 0
    with translation.override("de"):
        assert translation.gettext("Reader comments") == "Leserkommentare"
    with translation.override("fr"):
        assert translation.ngettext(
            "The link works for %(hours)s hour.", "The link works for %(hours)s hours.", 24
        ) == ("Le lien fonctionne pendant %(hours)s heures.")
    with translation.override("es"):
        assert translation.gettext("Hate speech") == "Discurso de odio"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_the_catalogues_hold_every_string_in_the_source(tmp_path: Path) -> None:
    """makemessages on a copy of the source: nothing new to translate, nothing left over."""
    copy = tmp_path / "civility"
    shutil.copytree(
        REPO / "civility",
        copy,
        ignore=shutil.ignore_patterns(
            "__pycache__",
            "*.mo",
            "*.tmp",
            "artifacts",
            "training",
            "scoring",
            "migrations",
            "*.onnx",
        ),  # *.tmp: a catalogue another test compiles meanwhile (civility.i18n writes .mo.tmp)
    )
    # Settings of its own, so makemessages can only write into the copy.
    script = (
        "import django\n"
        "from django.conf import settings\n"
        f"settings.configure(USE_I18N=True, LOCALE_PATHS=[{str(copy / 'locale')!r}])\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "for domain in ('django', 'djangojs'):\n"
        "    call_command('makemessages', domain=domain, locale=['de', 'fr', 'es', 'en'],"
        " no_obsolete=True, verbosity=0)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", script], cwd=copy, env=env, check=True, timeout=300)
    problems = []
    for po in sorted((copy / "locale").glob("*/LC_MESSAGES/*.po")):
        ours = LOCALE_DIR / po.relative_to(copy / "locale")
        fresh = {str(m.id): m for m in _entries(po)}
        kept = {str(m.id) for m in _entries(ours)}
        rel = ours.relative_to(REPO)
        for key in sorted(set(fresh) - kept):
            problems.append(f"{rel}: new string not in the catalogue: {key[:90]}")
        for key in sorted(kept - set(fresh)):
            problems.append(f"{rel}: string no longer in the source: {key[:90]}")
        for key, m in fresh.items():
            if key in kept and m.fuzzy:
                problems.append(f"{rel}: changed in the source, translation to check: {key[:90]}")
    assert not problems, "\n".join(problems) + f"\n\n{HOW}"
