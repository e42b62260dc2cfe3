"""`civility apikey create NAME [--qps N] | list | revoke NAME|ID`."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civility apikey", description="Perspective-compatible API keys"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a key and print it (once)")
    create.add_argument("name")
    create.add_argument("--qps", type=int, default=1, help="queries per second (default 1)")
    sub.add_parser("list", help="list keys with today's request counts")
    revoke = sub.add_parser("revoke", help="revoke a key by name or id")
    revoke.add_argument("key", metavar="NAME|ID")
    coral = sub.add_parser(
        "coral", help="a site's Coral signing secrets (external moderation phase)"
    )
    coral.add_argument("site", metavar="SITE_SLUG")
    group = coral.add_mutually_exclusive_group()
    group.add_argument("--add", metavar="SECRET", help="accept signatures made with SECRET")
    group.add_argument("--remove", metavar="SECRET", help="stop accepting SECRET")
    return parser


def _coral(args: argparse.Namespace) -> int:
    from django.db import transaction

    from civility.comments.models import Site

    with transaction.atomic():
        site = Site.objects.select_for_update().filter(slug=args.site).first()
        if site is None:
            print(f"civility apikey: no site {args.site!r}", file=sys.stderr)
            return 1
        settings = dict(site.settings or {})
        coral = dict(settings.get("coral") or {})
        secrets = [s for s in coral.get("signing_secrets") or [] if isinstance(s, str)]
        if args.add:
            if args.add not in secrets:
                secrets.append(args.add)
        elif args.remove:
            if args.remove not in secrets:
                print("civility apikey: that secret is not configured", file=sys.stderr)
                return 1
            secrets.remove(args.remove)
        if args.add or args.remove:
            coral["signing_secrets"] = secrets
            settings["coral"] = coral
            site.settings = settings
            site.save(update_fields=["settings"])
    from django.conf import settings as django_settings

    print(f"Coral phase URL: {django_settings.PUBLIC_URL}/coral/moderate/{site.slug}")
    print(f"{len(secrets)} signing secret(s): " + ", ".join(s[:8] + "…" for s in secrets))
    return 0


def apikey_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from civility.cli import setup_django

    setup_django()
    from django.db.models import Sum
    from django.utils import timezone

    from civility.perspective.keys import create_key, revoke_key
    from civility.perspective.models import ApiKey

    if args.command == "create":
        if args.qps < 1:
            print("civility apikey: --qps must be at least 1", file=sys.stderr)
            return 2
        if ApiKey.objects.filter(name=args.name).exists():
            print(f"civility apikey: a key named {args.name!r} already exists", file=sys.stderr)
            return 1
        key, raw = create_key(args.name, qps=args.qps)
        print(raw)
        print(
            f"created key {key.name!r} (id {key.pk}, {key.qps} qps); it is shown only once",
            file=sys.stderr,
        )
        return 0
    if args.command == "list":
        today = timezone.now().date()
        print(f"{'ID':>4}  {'NAME':<24} {'PREFIX':<10} {'QPS':>5} {'TODAY':>7}  STATUS")
        for key in ApiKey.objects.order_by("pk"):
            used = key.usage.filter(day=today).aggregate(n=Sum("requests"))["n"] or 0
            status = "revoked" if key.revoked else "active"
            print(f"{key.pk:>4}  {key.name:<24} {key.prefix:<10} {key.qps:>5} {used:>7}  {status}")
        return 0
    if args.command == "coral":
        return _coral(args)
    # revoke
    revoked = revoke_key(args.key)
    if revoked is None:
        print(f"civility apikey: no key named or numbered {args.key!r}", file=sys.stderr)
        return 1
    print(f"revoked key {revoked.name!r} (id {revoked.pk})")
    return 0
