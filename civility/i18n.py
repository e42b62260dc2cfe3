"""Translations: the languages Civility speaks and compiling their catalogues.

The catalogues are written by hand in civility/locale/<lang>/LC_MESSAGES/: django.po (templates,
e-mails, server messages) and djangojs.po (the widget, thread.js). Only the .po files are kept in
git; the .mo files Django reads are compiled from them by `compile_catalogs`, which `civility
serve`, `civility demo`, `civility compilemessages` and the test run call (Babel, pure Python: no
system gettext needed on a server). Updating a catalogue after changing strings:

    cd civility && ../.venv/bin/civility manage makemessages -l de -l fr -l es -l en \
        --no-obsolete && ../.venv/bin/civility manage makemessages -d djangojs \
        -l de -l fr -l es -l en --no-obsolete

then translate the new entries (tests/i18n/test_catalogues.py lists any left untranslated).
"""

from __future__ import annotations

import sys
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# (code, name in that language): the order is the order offered to people.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
DOMAINS = ("django", "djangojs")


def catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every .po file: one per language and domain."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def compile_catalogs(locale_dir: Path = LOCALE_DIR, force: bool = False) -> list[Path]:
    """Compile each .po whose .mo is missing or older; return the .mo files written.

    Fuzzy entries are left out (as msgfmt does), so a guess never reaches a reader. A folder that
    cannot be written (a read-only install) keeps the .mo files it has, and says so.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in catalogues(locale_dir):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name, domain=po.stem)
        tmp = mo.with_suffix(".mo.tmp")
        try:
            with tmp.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            tmp.replace(mo)  # readers never see half a file
        except OSError as exc:
            print(f"civility: cannot compile {po}: {exc}", file=sys.stderr)
            continue
        written.append(mo)
    return written


def compile_main(argv: list[str]) -> int:
    """`civility compilemessages [--force]`: compile the translation catalogues."""
    force = "--force" in argv
    written = compile_catalogs(force=force)
    print(f"compiled {len(written)} of {len(catalogues())} catalogues in {LOCALE_DIR}")
    return 0
