"""`civility manage createsite SLUG --name ... --origin https://news.example [--sso-secret]`."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from civility.audit import record
from civility.comments.models import Site


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

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.conf import settings

        for origin in opts["origin"]:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise CommandError(f"origin must look like https://news.example, not {origin!r}")
        with transaction.atomic():
            site, created = Site.objects.get_or_create(
                slug=opts["slug"], defaults={"name": opts["name"] or opts["slug"]}
            )
            if opts["name"]:
                site.name = opts["name"]
            if opts["origin"]:
                site.allowed_origins = [o.rstrip("/") for o in opts["origin"]]
            if opts["sso_secret"]:
                site.sso_secret = secrets.token_urlsafe(32)
            if opts["guests"]:
                site.allow_guests = True
            if opts["premoderation"]:
                site.premoderation = opts["premoderation"]
            site.save()
            record(
                "site.created" if created else "site.updated",
                site=site,
                data={"origins": site.allowed_origins, "sso": bool(site.sso_secret)},
            )
        base = settings.PUBLIC_URL
        self.stdout.write(f"{'Created' if created else 'Updated'} site {site.slug!r}.\n")
        self.stdout.write(
            "Embed snippet:\n"
            '  <div id="civility-thread"></div>\n'
            f'  <script src="{base}/embed.js" data-site="{site.slug}" async></script>\n'
        )
        if opts["sso_secret"]:
            self.stdout.write(f"SSO secret (HS256; keep it on your backend): {site.sso_secret}\n")
