"""Static files storage: WhiteNoise's compressed, content-hashed files, with a fallback.

`civility serve` and `civility demo` run collectstatic at start (`collect_static`), so every
{% static %} URL carries a content hash and is served compressed with a year's Cache-Control.
Before any collectstatic (tests, a `civility manage` command on a fresh checkout) Django's
manifest storage would raise on every {% static %}; this one gives the plain name instead, which
WhiteNoise serves from the apps' folders (WHITENOISE_USE_FINDERS).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet
            return name


def collect_static() -> None:
    """Copy, hash and compress the static files into STATIC_ROOT (quietly; unchanged files are
    skipped, so a restart is quick)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
