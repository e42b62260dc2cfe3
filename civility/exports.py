"""`civility export SITE [--format jsonl|disqus] [-o FILE]`: a publisher takes its comments away.

JSON Lines (``jsonl``, the default) is Civility's own format and loses nothing
`civility import civility FILE --site SLUG` needs to rebuild the site's threads: every comment
with its parent, status, dates, scores and reasons, reaction counts, and who wrote it. Authors
appear under a pseudonymous id ("u-" + an HMAC of the account, stable across exports) with their
public name; no password hashes, and e-mail addresses and SSO ids only with ``--with-emails``.
One record per line:

    {"type": "export", "format": "civility-site-export", "version": 1, "exported_at", "site": {...}}
    {"type": "story", "id", "url", "title", "closed", "created_at"}
    {"type": "user", "id": "u-…", "name", "kind", "badges", "profile_url", "joined"}
    {"type": "comment", "id", "story", "parent", "author", "status", "body", "created_at",
     "updated_at", "edited", "featured", "reaction_count", "report_count",
     "scores", "reasons", "rejection_reason"}
    {"type": "end", "counts": {"stories", "users", "comments"}}

Deleted comments are placeholders: their text (and the reasons and spans derived from it) is not
exported. ``disqus`` writes Disqus's export XML (shared/reference/comment-platforms.md e1), which
Disqus-compatible importers (Isso, Remark42, Civility's own) read: published, deleted
(``isDeleted``) and rejected (``isSpam``) comments; comments still awaiting moderation have no
Disqus equivalent and are left out (the JSON Lines export has them).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

EXPORT_FORMAT = "civility-site-export"
EXPORT_VERSION = 1
FORMATS = ("jsonl", "disqus")


def user_export_id(user_id: int) -> str:
    """An author's id in exports: stable, and meaningless without the server's secret."""
    from django.conf import settings

    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"civility.export-user:{user_id}".encode(), hashlib.sha256)
    return "u-" + digest.hexdigest()[:16]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user_kind(user: Any) -> str:
    from civility.accounts.data_rights import account_kind, is_erased

    return "erased" if is_erased(user) else account_kind(user)


def _records(site: Any, *, with_emails: bool = False) -> Iterator[dict[str, Any]]:
    """The JSON Lines records of ``site``, in file order (parents before their replies)."""
    from civility.accounts.models import User
    from civility.comments.models import Comment, Story

    yield {
        "type": "export",
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "site": {
            "slug": site.slug,
            "name": site.name,
            "allowed_origins": site.allowed_origins,
            "premoderation": site.premoderation,
            "allow_guests": site.allow_guests,
            "allow_local_accounts": site.allow_local_accounts,
            "max_comment_length": site.max_comment_length,
            "created_at": _iso(site.created_at),
        },
    }
    counts = {"stories": 0, "users": 0, "comments": 0}
    for story in Story.objects.filter(site=site).order_by("id").iterator(chunk_size=2000):
        counts["stories"] += 1
        yield {
            "type": "story",
            "id": story.pk,
            "url": story.url,
            "title": story.title,
            "closed": story.closed,
            "created_at": _iso(story.created_at),
        }
    comments = Comment.objects.filter(story__site=site)
    authors = User.objects.filter(pk__in=comments.values("author_id")).order_by("id")
    for user in authors.iterator(chunk_size=2000):
        counts["users"] += 1
        record: dict[str, Any] = {
            "type": "user",
            "id": user_export_id(user.pk),
            # Never the username: for local accounts it is the e-mail address.
            "name": user.display_name,
            "kind": _user_kind(user),
            "badges": list(user.badges or []),
            "profile_url": user.profile_url,
            "joined": _iso(user.date_joined),
        }
        if with_emails:
            record["email"] = user.email
            record["sso_id"] = user.sso_id
        yield record
    for c in comments.order_by("id").iterator(chunk_size=2000):
        counts["comments"] += 1
        deleted = c.status == Comment.Status.DELETED
        yield {
            "type": "comment",
            "id": c.pk,
            "story": c.story_id,
            "parent": c.parent_id,
            "author": user_export_id(c.author_id),
            "status": c.status,
            "body": "" if deleted else c.body,
            "created_at": _iso(c.created_at),
            "updated_at": _iso(c.updated_at),
            "edited": c.edited,
            "featured": c.featured,
            "reaction_count": c.reaction_count,
            "report_count": c.report_count,
            "scores": {} if deleted else c.scores,
            "reasons": [] if deleted else c.moderation_reasons,
            "rejection_reason": c.rejection_reason,
        }
    yield {"type": "end", "counts": counts}


def write_jsonl(site: Any, out: IO[str], *, with_emails: bool = False) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in _records(site, with_emails=with_emails):
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        if record["type"] == "end":
            counts = record["counts"]
    return counts


# Characters XML 1.0 cannot carry at all (controls other than tab, newline, carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: Any) -> str:
    return escape(_NOT_XML.sub("", str(text or "")))


def _disqus_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_disqus(site: Any, out: IO[str], *, with_emails: bool = False) -> dict[str, int]:
    """Disqus's export XML: <category>, then every <thread>, then every <post>."""
    users: dict[str, dict[str, Any]] = {}
    stories: dict[int, dict[str, Any]] = {}
    counts = {"stories": 0, "comments": 0, "left_out_pending": 0}
    forum = _x(site.slug)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write('<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n')
    out.write(
        f'<category dsq:id="1"><forum>{forum}</forum><title>General</title>'
        "<isDefault>true</isDefault></category>\n"
    )
    for record in _records(site, with_emails=with_emails):
        kind = record["type"]
        if kind == "story":
            stories[record["id"]] = record
            counts["stories"] += 1
            created = _disqus_date(datetime.fromisoformat(record["created_at"]))
            out.write(
                f'<thread dsq:id="{record["id"]}"><id></id><forum>{forum}</forum>'
                f'<category dsq:id="1"/><link>{_x(record["url"])}</link>'
                f"<title>{_x(record['title'])}</title><message></message>"
                f"<createdAt>{created}</createdAt>"
                "<author><name></name><email></email><isAnonymous>true</isAnonymous>"
                "<username></username></author><ipAddress></ipAddress>"
                f"<isClosed>{'true' if record['closed'] else 'false'}</isClosed>"
                "<isDeleted>false</isDeleted></thread>\n"
            )
        elif kind == "user":
            users[record["id"]] = record
        elif kind == "comment":
            if record["status"] == "pending":
                counts["left_out_pending"] += 1
                continue
            counts["comments"] += 1
            out.write(_disqus_post(record, users.get(record["author"], {})))
    out.write("</disqus>\n")
    return counts


def _disqus_post(c: dict[str, Any], author: dict[str, Any]) -> str:
    from civility.comments.render import render

    html = "" if c["status"] == "deleted" else render(c["body"])
    parent = f'<parent dsq:id="{c["parent"]}"/>' if c["parent"] is not None else ""
    anonymous = author.get("kind") in {"guest", "erased"}
    return (
        f'<post dsq:id="{c["id"]}"><id></id>'
        f"<message>{_x(html)}</message>"
        f"<createdAt>{_disqus_date(datetime.fromisoformat(c['created_at']))}</createdAt>"
        f"<isDeleted>{'true' if c['status'] == 'deleted' else 'false'}</isDeleted>"
        f"<isSpam>{'true' if c['status'] == 'rejected' else 'false'}</isSpam>"
        f"<author><email>{_x(author.get('email', ''))}</email>"
        f"<name>{_x(author.get('name', ''))}</name>"
        f"<isAnonymous>{'true' if anonymous else 'false'}</isAnonymous>"
        f"<username>{_x(c['author'])}</username></author>"
        f"<ipAddress></ipAddress><thread dsq:id={quoteattr(str(c['story']))}/>{parent}</post>\n"
    )


WRITERS: dict[str, Callable[..., dict[str, int]]] = {"jsonl": write_jsonl, "disqus": write_disqus}


def export_site(
    *, site: Any, out: IO[str], fmt: str = "jsonl", with_emails: bool = False, actor: Any = None
) -> dict[str, int]:
    """Write ``site``'s export to ``out``; audited (who took which site's data, in which form)."""
    from django.db import transaction

    from civility.audit import record
    from civility.errors import Refused

    if fmt not in WRITERS:
        raise Refused("bad_format", f"format must be one of {', '.join(FORMATS)}")
    counts = WRITERS[fmt](site, out, with_emails=with_emails)
    with transaction.atomic():
        record(
            "site.exported",
            site=site,
            actor=actor,
            data={"format": fmt, "with_emails": with_emails, **counts},
        )
    return counts


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path in {None, "-"}:
        yield sys.stdout
        return
    assert path is not None
    target = Path(path)
    if target.suffix == ".gz":
        with gzip.open(target, "wt", encoding="utf-8") as fh:
            yield fh
    else:
        with target.open("w", encoding="utf-8") as fh:
            yield fh


def export_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="civility export",
        description="Export a site's stories, authors and comments (JSON Lines or Disqus XML).",
    )
    parser.add_argument("site", help="slug of the site")
    parser.add_argument("--format", choices=FORMATS, default="jsonl")
    parser.add_argument("-o", "--output", help="file to write (.gz compresses); default stdout")
    parser.add_argument(
        "--with-emails",
        action="store_true",
        help="include authors' e-mail addresses and SSO ids (personal data: handle with care)",
    )
    args = parser.parse_args(argv)

    from civility.cli import setup_django

    setup_django()
    from civility.comments.models import Site

    site = Site.objects.filter(slug=args.site).first()
    if site is None:
        print(f"civility export: no site with slug {args.site!r}", file=sys.stderr)
        return 2
    if args.output not in {None, "-"} and not Path(args.output).parent.is_dir():
        print(f"civility export: no folder {Path(args.output).parent}", file=sys.stderr)
        return 2
    with _output(args.output) as out:
        counts = export_site(site=site, out=out, fmt=args.format, with_emails=args.with_emails)
    summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    print(f"exported {site.slug} ({args.format}): {summary}", file=sys.stderr)
    return 0
