"""`civility import {disqus,wordpress,civility} FILE --site SLUG`: bring comments over (another
platform's export, or Civility's own from `civility export`)."""

from __future__ import annotations

import argparse
import sys

from civility.cli import setup_django


def import_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="civility import", description=__doc__)
    parser.add_argument("format", choices=["disqus", "wordpress", "civility"])
    parser.add_argument("file", help="the export file (.xml, .jsonl; .gz too)")
    parser.add_argument("--site", required=True, help="slug of the site to import into")
    args = parser.parse_args(argv)

    setup_django()
    from civility.comments.models import Site
    from civility.errors import Refused
    from civility.imports.actions import import_comments
    from civility.imports.civility_jsonl import parse_civility
    from civility.imports.parsers import ImportFormatError, parse_disqus, parse_wordpress

    site = Site.objects.filter(slug=args.site).first()
    if site is None:
        print(f"civility import: no site with slug {args.site!r}", file=sys.stderr)
        return 2
    parse = {"disqus": parse_disqus, "wordpress": parse_wordpress, "civility": parse_civility}[
        args.format
    ]
    try:
        data = parse(args.file)
        result = import_comments(site=site, data=data)
    except (ImportFormatError, Refused) as exc:
        print(f"civility import: {args.file}: {exc}; nothing was imported", file=sys.stderr)
        return 2
    print(
        f"imported {result.comments_created} comments into {result.stories_created} new stories"
        f" ({result.users_created} new authors); skipped {result.comments_skipped},"
        f" orphans {result.orphans}"
    )
    return 0
