"""Parser for Civility's own export (`civility export SITE`, JSON Lines; see civility.exports).

It yields the importers' neutral records (civility.imports.parsers), so the one importer
(civility.imports.actions) writes them: stories by URL, one account per exported author id,
comments with their parents, statuses and dates. What the neutral record has no field for
(edited, featured, updated_at, reaction and report counts, the model's scores and the moderation
reasons) travels in ``ImportedComment.extra`` and is written as exported."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from civility.imports.parsers import (
    ImportData,
    ImportedComment,
    ImportedThread,
    ImportFormatError,
)

FORMAT = "civility-site-export"
SUPPORTED_VERSIONS = {1}
STATUSES = {"approved", "pending", "rejected", "deleted"}


def _lines(source: str | Path | IO[bytes]) -> Any:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ImportFormatError(f"{path}: no such file")
        with path.open("rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        opened = gzip.open(path, "rb") if gzipped else path.open("rb")
        with opened as stream:
            yield from stream
    else:
        yield from source


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


def parse_civility(source: str | Path | IO[bytes]) -> ImportData:
    data = ImportData(source="civility")
    users: dict[str, dict[str, Any]] = {}
    header = False
    end: dict[str, Any] | None = None
    counts = {"stories": 0, "users": 0, "comments": 0}
    for lineno, raw in enumerate(_lines(source), 1):
        where = f"line {lineno}"
        if not raw.strip():
            continue
        if end is not None:
            raise ImportFormatError(f"{where}: records after the end record")
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ImportFormatError(f"{where}: not JSON (is this a Civility export?)") from None
        if not isinstance(record, dict):
            raise ImportFormatError(f"{where}: not a JSON object")
        kind = record.get("type")
        if not header:
            if kind != "export" or record.get("format") != FORMAT:
                raise ImportFormatError(
                    "the first line is not a Civility export header (civility export SITE)"
                )
            if record.get("version") not in SUPPORTED_VERSIONS:
                raise ImportFormatError(f"export version {record.get('version')!r} is unknown")
            header = True
            continue
        if kind == "story":
            _require(record, ("id", "url"), where)
            counts["stories"] += 1
            key = str(record["id"])
            data.threads[key] = ImportedThread(
                key=key,
                url=str(record["url"]),
                title=str(record.get("title") or ""),
                closed=bool(record.get("closed")),
            )
        elif kind == "user":
            _require(record, ("id",), where)
            counts["users"] += 1
            users[str(record["id"])] = record
        elif kind == "comment":
            data.comments.append(_comment(record, users, where))
            counts["comments"] += 1
        elif kind == "end":
            end = record
        else:
            raise ImportFormatError(f"{where}: unknown record type {kind!r}")
    if not header:
        raise ImportFormatError("the file is empty (is this a Civility export?)")
    if end is None:
        raise ImportFormatError("the file stops before its end record (truncated?)")
    if end.get("counts") != counts:
        raise ImportFormatError(f"the end record counts {end.get('counts')}, the file has {counts}")
    return data


def _comment(record: dict[str, Any], users: dict[str, dict[str, Any]], where: str) -> Any:
    _require(record, ("id", "story", "author", "status", "body", "created_at"), where)
    status = record["status"]
    if status not in STATUSES:
        raise ImportFormatError(f"{where}: unknown status {status!r}")
    author_key = str(record["author"])
    author = users.get(author_key)
    if author is None:
        raise ImportFormatError(f"{where}: author {author_key!r} has no user record before it")
    extra: dict[str, Any] = {
        "edited": bool(record.get("edited")),
        "featured": bool(record.get("featured")),
        "reaction_count": max(0, int(record.get("reaction_count") or 0)),
        "report_count": max(0, int(record.get("report_count") or 0)),
        "scores": record.get("scores") or {},
        "moderation_reasons": record.get("reasons") or [],
        "rejection_reason": str(record.get("rejection_reason") or "")[:500],
    }
    if record.get("updated_at"):
        extra["updated_at"] = _date(record["updated_at"], where)
    parent = record.get("parent")
    url = str(author.get("profile_url") or "")
    return ImportedComment(
        key=str(record["id"]),
        thread_key=str(record["story"]),
        parent_key=str(parent) if parent is not None else None,
        author_name=str(author.get("name") or ""),
        author_email=str(author.get("email") or ""),
        author_url=url,
        author_key=author_key,
        body=str(record["body"]),
        created_at=_date(record["created_at"], where),
        status=status,
        extra=extra,
    )
