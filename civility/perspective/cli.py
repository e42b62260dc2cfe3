"""`civility apikey create NAME [--qps N] [--site SLUG] | list | revoke NAME|ID | bind NAME|ID SLUG`
and `civility perspective calibrate --from FILE ... | log ...` (the Perspective migration kit)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civility apikey", description="Perspective-compatible API keys"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a key and print it (once)")
    create.add_argument("name")
    create.add_argument("--qps", type=int, default=1, help="queries per second (default 1)")
    create.add_argument(
        "--site", metavar="SLUG", help="the site whose Perspective calibration the key gets"
    )
    sub.add_parser("list", help="list keys with today's request counts")
    revoke = sub.add_parser("revoke", help="revoke a key by name or id")
    revoke.add_argument("key", metavar="NAME|ID")
    bind = sub.add_parser(
        "bind", help="serve a key with a site's Perspective calibration (- for none)"
    )
    bind.add_argument("key", metavar="NAME|ID")
    bind.add_argument("site", metavar="SITE_SLUG|-")
    coral = sub.add_parser(
        "coral", help="a site's Coral signing secrets (external moderation phase)"
    )
    coral.add_argument("site", metavar="SITE_SLUG")
    group = coral.add_mutually_exclusive_group()
    group.add_argument("--add", metavar="SECRET", help="accept signatures made with SECRET")
    group.add_argument("--remove", metavar="SECRET", help="stop accepting SECRET")
    return parser


def _coral(args: argparse.Namespace) -> int:
    from django.conf import settings as django_settings

    from civility.errors import Refused
    from civility.perspective.actions import set_coral_secrets

    try:
        site, secrets = set_coral_secrets(site_slug=args.site, add=args.add, remove=args.remove)
    except Refused as exc:
        print(f"civility apikey: {exc.message}", file=sys.stderr)
        return 1
    print(f"Coral phase URL: {django_settings.PUBLIC_URL}/coral/moderate/{site.slug}")
    print(f"{len(secrets)} signing secret(s): " + ", ".join(s[:8] + "…" for s in secrets))
    return 0


def _site_or_none(slug: str) -> Any:
    from civility.comments.models import Site

    return Site.objects.filter(slug=slug).first()


def _bind(name_or_id: str, slug: str) -> int:
    from civility.perspective.models import ApiKey

    key = ApiKey.objects.filter(name=name_or_id).first()
    if key is None and name_or_id.isdigit():
        key = ApiKey.objects.filter(pk=int(name_or_id)).first()
    if key is None:
        print(f"civility apikey: no key named or numbered {name_or_id!r}", file=sys.stderr)
        return 1
    site = None
    if slug != "-":
        site = _site_or_none(slug)
        if site is None:
            print(f"civility apikey: no site {slug!r}", file=sys.stderr)
            return 1
    key.site = site
    key.save(update_fields=["site"])
    where = f"site {site.slug!r}'s calibration" if site else "the global calibration"
    print(f"key {key.name!r} (id {key.pk}) now gets {where}")
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
        site = _site_or_none(args.site) if args.site else None
        if args.site and site is None:
            print(f"civility apikey: no site {args.site!r}", file=sys.stderr)
            return 1
        key, raw = create_key(args.name, qps=args.qps)
        if site is not None:
            key.site = site
            key.save(update_fields=["site"])
        print(raw)
        print(
            f"created key {key.name!r} (id {key.pk}, {key.qps} qps); it is shown only once",
            file=sys.stderr,
        )
        return 0
    if args.command == "list":
        today = timezone.now().date()
        print(f"{'ID':>4}  {'NAME':<24} {'PREFIX':<10} {'QPS':>5} {'TODAY':>7}  STATUS   SITE")
        for key in ApiKey.objects.select_related("site").order_by("pk"):
            used = key.usage.filter(day=today).aggregate(n=Sum("requests"))["n"] or 0
            status = "revoked" if key.revoked else "active"
            site = key.site.slug if key.site else "-"
            print(
                f"{key.pk:>4}  {key.name:<24} {key.prefix:<10} {key.qps:>5} {used:>7}  "
                f"{status:<8} {site}"
            )
        return 0
    if args.command == "bind":
        return _bind(args.key, args.site)
    if args.command == "coral":
        return _coral(args)
    # revoke
    revoked = revoke_key(args.key)
    if revoked is None:
        print(f"civility apikey: no key named or numbered {args.key!r}", file=sys.stderr)
        return 1
    print(f"revoked key {revoked.name!r} (id {revoked.pk})")
    return 0


# --- civility perspective: the migration kit ----------------------------------------------


def _threshold(value: str) -> tuple[str | None, float]:
    from civility.perspective.publisher_log import CALIBRATED

    name, _, number = value.rpartition("=")
    attr = name.strip().upper() or None
    if attr is not None and attr not in CALIBRATED:
        raise argparse.ArgumentTypeError(
            f"unknown attribute {attr!r} (one of {', '.join(CALIBRATED)})"
        )
    try:
        t = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected 0.8 or ATTRIBUTE=0.8") from None
    if not 0.0 < t < 1.0:
        raise argparse.ArgumentTypeError(f"{value!r}: a threshold is between 0 and 1")
    return attr, t


def _perspective_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civility perspective", description="The Perspective API migration kit"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cal = sub.add_parser(
        "calibrate",
        help="fit Civility's scores to a publisher's logged Perspective scores",
        description="Fit, on part of FILE, a per-attribute monotone map from Civility's scores to"
        " the Perspective scores the publisher logged; report on the rest how well they agree;"
        " install it for a site only with --install.",
    )
    cal.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        metavar="FILE",
        help="CSV/TSV/JSONL (optionally .gz): a text column and Perspective's"
        " score columns (TOXICITY, INSULT, ...)",
    )
    cal.add_argument(
        "--threshold",
        action="append",
        type=_threshold,
        default=[],
        metavar="[ATTRIBUTE=]T",
        help="the publisher's flag threshold on"
        " Perspective's scale (default 0.8; repeat per attribute)",
    )
    cal.add_argument("--site", metavar="SLUG", help="the site to install for")
    cal.add_argument(
        "--install",
        action="store_true",
        help="serve the fit for the site's API keys (civility apikey bind)",
    )
    cal.add_argument(
        "--hold-thresholds",
        action="store_true",
        help="with --install: also set the site's hold thresholds to the"
        " publisher's thresholds on Civility's scale",
    )
    cal.add_argument(
        "--test-share", type=float, default=0.5, help="share of rows kept for testing (default 0.5)"
    )
    cal.add_argument("--text-column", metavar="NAME", help="the column holding the text")
    cal.add_argument(
        "--drop-duplicates",
        action="store_true",
        help="keep each duplicated text's first row instead of refusing",
    )
    cal.add_argument(
        "--examples",
        type=int,
        default=3,
        help="disagreements shown each way per attribute (default 3)",
    )
    cal.add_argument("--report", type=Path, metavar="FILE.json", help="also write the report")

    lg = sub.add_parser(
        "log",
        help="serve in log mode: forward to Perspective, keep text and scores for calibration",
        description="Without an option: `civility serve` (same options) in log mode. It forwards"
        " comments:analyze and :suggestscore to Perspective, returns its answers unchanged and"
        " keeps analyze's text and scores for CIVILITY_PERSPECTIVE_LOG_RETENTION_DAYS.",
    )
    what = lg.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="say what log mode stores; counts")
    what.add_argument("--purge", action="store_true", help="delete rows past retention now")
    what.add_argument(
        "--export",
        type=Path,
        metavar="FILE.jsonl",
        help="write the stored rows for calibrate --from",
    )
    lg.add_argument("--site", metavar="SLUG", help="with --export: only that site's keys' rows")
    return parser


def perspective_main(argv: list[str]) -> int:
    parser = _perspective_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not (args.command == "log" and not (args.status or args.purge or args.export)):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "log":
        return _log(args, rest)
    return _calibrate(args)


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"civility perspective {command}: {message}", file=sys.stderr)
    return code


def _calibrate(args: argparse.Namespace) -> int:
    if args.install and not args.site:
        return _fail("calibrate", "--install needs --site SLUG", 2)
    if args.hold_thresholds and not args.install:
        return _fail("calibrate", "--hold-thresholds goes with --install", 2)
    if not 0.1 <= args.test_share <= 0.9:
        return _fail("calibrate", "--test-share must be between 0.1 and 0.9", 2)
    from civility.cli import setup_django

    setup_django()
    from civility.perspective import engine, site_calibration
    from civility.perspective.publisher_log import CALIBRATED, InputError, read_publisher_log

    site = None
    if args.site:
        site = _site_or_none(args.site)
        if site is None:
            return _fail("calibrate", f"no site {args.site!r}")
    thresholds: dict[str, float] = {}
    default = site_calibration.DEFAULT_THRESHOLD
    for attr, t in args.threshold:
        if attr is None:
            default = t
        else:
            thresholds[attr] = t
    thresholds = {a: thresholds.get(a, default) for a in CALIBRATED}
    try:
        data = read_publisher_log(args.source, args.text_column, args.drop_duplicates)
        try:
            scorer = engine.get_scorer()
        except (FileNotFoundError, OSError) as exc:
            return _fail("calibrate", f"no scoring model installed ({exc})")
        report = site_calibration.fit_site(
            data,
            scorer,
            thresholds,
            test_share=args.test_share,
            examples=max(0, args.examples),
            progress=site_calibration.progress_printer("civility perspective calibrate"),
        )
    except InputError as exc:
        return _fail("calibrate", str(exc))
    print(site_calibration.render(report))
    if args.report:
        args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        print(f"\nreport written to {args.report}")
    print()
    if args.install and site is not None:
        for line in site_calibration.install(site, report, args.hold_thresholds):
            print(line)
        keys = site.api_keys.filter(revoked=False).count()
        if not keys:
            print(
                f"note: no API key serves site {site.slug!r} yet:"
                f" civility apikey bind NAME {site.slug}"
            )
    else:
        print("not installed: add --install --site SLUG (and --hold-thresholds) to use it")
    return 0


def _log(args: argparse.Namespace, serve_argv: list[str]) -> int:
    from civility.cli import setup_django

    setup_django()
    from django.conf import settings

    from civility.perspective import logmode

    serving = not (args.status or args.purge or args.export)
    if serving:  # set before gunicorn forks its workers, which inherit it
        settings.PERSPECTIVE_LOG = True

    try:
        banner = logmode.describe()
    except ValueError as exc:
        return _fail("log", str(exc))
    if args.purge:
        print(f"purged {logmode.purge()} stored scores older than {logmode.retention_days()} days")
        return 0
    if args.export:
        if args.site and _site_or_none(args.site) is None:
            return _fail("log", f"no site {args.site!r}")
        try:
            n = logmode.export(args.export, args.site)
        except OSError as exc:
            return _fail("log", f"cannot write {args.export}: {exc.strerror or exc}")
        print(
            f"wrote {n} rows to {args.export}; next: civility perspective calibrate --from"
            f" {args.export} --site SLUG"
        )
        return 0
    if args.status:
        state = "on" if logmode.enabled() else "off (CIVILITY_PERSPECTIVE_LOG is not set)"
        print(f"log mode in this environment: {state}")
        print(banner)
        for line in logmode.status_lines():
            print(line)
        return 0
    print(banner, flush=True)
    from civility.serve import serve_main

    return serve_main(serve_argv)
