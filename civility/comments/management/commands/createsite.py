"""`civility manage createsite SLUG --name ... --origin https://news.example [--sso-secret]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civility.comments.actions import configure_site
from civility.comments.models import Site
from civility.errors import Refused


def public_url(given: str | None) -> str:
    """Where readers' browsers find Civility: --url, else CIVILITY_PUBLIC_URL, else the address
    a `civility demo` on this data folder serves on (it records it), else the default."""
    from django.conf import settings

    if given:
        if not given.startswith(("http://", "https://")):
            raise CommandError(f"--url must look like https://comments.example, not {given!r}")
        return given.rstrip("/")
    if settings.PUBLIC_URL_CONFIGURED:
        return str(settings.PUBLIC_URL)
    recorded = Path(settings.DATA_DIR) / "demo-url"
    if recorded.exists() and recorded.read_text().strip():
        return recorded.read_text().strip().rstrip("/")
    return str(settings.PUBLIC_URL)


class Command(BaseCommand):
    help = "Register a publisher's site (or update its origins) and print its embed snippet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--origin", action="append", default=[], help="allowed origin (repeatable)"
        )
        parser.add_argument(
            "--sso-secret", action="store_true", help="generate an SSO signing secret"
        )
        parser.add_argument("--guests", action="store_true", help="allow guest comments")
        parser.add_argument(
            "--premoderation", choices=[c for c, _ in Site.PreModeration.choices], default=None
        )
        parser.add_argument(
            "--url",
            help="Civility's address as readers reach it, for the snippet (default"
            " CIVILITY_PUBLIC_URL, else the address `civility demo` is serving on)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        base = public_url(opts.get("url"))
        try:
            site, created = configure_site(
                slug=opts["slug"],
                name=opts["name"],
                origins=opts["origin"],
                new_sso_secret=opts["sso_secret"],
                allow_guests=True if opts["guests"] else None,
                premoderation=opts["premoderation"],
            )
        except Refused as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{'Created' if created else 'Updated'} site {site.slug!r}.\n")
        self.stdout.write(
            "Embed snippet:\n"
            '  <div id="civility-thread"></div>\n'
            f'  <script src="{base}/embed.js" data-site="{site.slug}" async></script>\n'
        )
        if opts["sso_secret"]:
            self.stdout.write(f"SSO secret (HS256; keep it on your backend): {site.sso_secret}\n")
