"""Civility's own export (`civility export SITE`, JSON Lines; see civility.exports), read back.

It yields the importers' neutral records (civility.imports.parsers), so the one importer
(civility.imports.actions) writes them: stories by URL, one account per exported author id
(with its name, profile link and badges), comments with their parents, statuses and dates, under
their exported id (so a re-run finds them again). What the neutral record has no field for
(edited, featured, updated_at, reaction and report counts, the model's scores and the moderation
reasons) travels in ``ImportedComment.extra`` and is written as exported.

Our own format is read strictly: the scan checks every line, the header, that each comment's
author came before it, and the end record's counts; anything off refuses the whole file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from civility.imports.parsers import (
    ImportData,
    ImportedComment,
    ImportedThread,
    ImportedUser,
    ImportFormatError,
    Record,
    Source,
    open_export,
)

FORMAT = "civility-site-export"
SUPPORTED_VERSIONS = {1}
STATUSES = {"approved", "pending", "rejected", "deleted"}


def _date(value: Any, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise ImportFormatError(f"{where}: bad date {value!r}") from None
    if when.tzinfo is None:
        raise ImportFormatError(f"{where}: date {value!r} has no time zone")
    return when


def _require(record: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in record]
    if missing:
        raise ImportFormatError(f"{where}: missing {', '.join(missing)}")


class CivilitySource(Source):
    name, label = "civility", "Civility"
    keeps_empty_threads = True

    def _lines(self) -> Iterator[tuple[str, dict[str, Any]]]:
        stream = open_export(self.path)
        try:
            for lineno, raw in enumerate(iter(stream.readline, b""), 1):
                if not raw.strip():
                    continue
                where = f"line {lineno}"
                try:
                    record = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    raise ImportFormatError(
                        f"{where}: not JSON (is this a Civility export?)"
                    ) from None
                if not isinstance(record, dict):
                    raise ImportFormatError(f"{where}: not a JSON object")
                yield where, record
        finally:
            stream.close()

    def records(self, *, scan: bool) -> Iterator[Record]:
        header = False
        end: dict[str, Any] | None = None
        counts = {"stories": 0, "users": 0, "comments": 0}
        authors: set[str] = set()  # the scan checks each comment's author came before it
        for where, record in self._lines():
            if end is not None:
                raise ImportFormatError(f"{where}: records after the end record")
            kind = record.get("type")
            if not header:
                if kind != "export" or record.get("format") != FORMAT:
                    raise ImportFormatError(
                        "the first line is not a Civility export header (civility export SITE)"
                    )
                if record.get("version") not in SUPPORTED_VERSIONS:
                    raise ImportFormatError(f"export version {record.get('version')!r} is unknown")
                header = True
            elif kind == "story":
                _require(record, ("id", "url"), where)
                counts["stories"] += 1
                if scan:
                    yield ImportedThread(
                        key=str(record["id"]),
                        url=str(record["url"]),
                        title=str(record.get("title") or ""),
                        closed=bool(record.get("closed")),
                    )
            elif kind == "user":
                _require(record, ("id",), where)
                counts["users"] += 1
                if scan:
                    authors.add(str(record["id"]))
                    badges = record.get("badges")
                    yield ImportedUser(
                        key=str(record["id"]),
                        name=str(record.get("name") or ""),
                        url=str(record.get("profile_url") or ""),
                        badges=[str(b) for b in badges] if isinstance(badges, list) else [],
                    )
            elif kind == "comment":
                counts["comments"] += 1
                comment = _comment(record, where)
                if scan:
                    if comment.author_key not in authors:
                        raise ImportFormatError(
                            f"{where}: author {comment.author_key!r} has no user record before it"
                        )
                    yield None
                else:
                    yield comment
            elif kind == "end":
                end = record
            else:
                raise ImportFormatError(f"{where}: unknown record type {kind!r}")
        if not header:
            raise ImportFormatError("the file is empty (is this a Civility export?)")
        if end is None:
            raise ImportFormatError("the file stops before its end record (truncated?)")
        if end.get("counts") != counts:
            raise ImportFormatError(
                f"the end record counts {end.get('counts')}, the file has {counts}"
            )


def _comment(record: dict[str, Any], where: str) -> ImportedComment:
    _require(record, ("id", "story", "author", "status", "body", "created_at"), where)
    status = record["status"]
    if status not in STATUSES:
        raise ImportFormatError(f"{where}: unknown status {status!r}")
    try:
        extra: dict[str, Any] = {
            "edited": bool(record.get("edited")),
            "featured": bool(record.get("featured")),
            "reaction_count": max(0, int(record.get("reaction_count") or 0)),
            "report_count": max(0, int(record.get("report_count") or 0)),
            "scores": record.get("scores") or {},
            "moderation_reasons": record.get("reasons") or [],
            "rejection_reason": str(record.get("rejection_reason") or "")[:500],
        }
    except (TypeError, ValueError):
        raise ImportFormatError(f"{where}: a count is not a number") from None
    if record.get("updated_at"):
        extra["updated_at"] = _date(record["updated_at"], where)
    parent = record.get("parent")
    return ImportedComment(
        key=str(record["id"]),
        thread_key=str(record["story"]),
        parent_key=str(parent) if parent is not None else None,
        author_key=str(record["author"]),
        author_name="",  # from its user record
        body="" if status == "deleted" else str(record["body"]),
        created_at=_date(record["created_at"], where),
        status=status,
        extra=extra,
    )


def parse_civility(source: str | Path) -> ImportData:
    return CivilitySource(source).load()
