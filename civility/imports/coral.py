"""Coral (coralproject/talk): its stories, comments and users, as a folder or a .zip holding
``stories``, ``comments`` and ``users`` files, each either

- CSV in coral-importer's layout (every column present, a header line optional):
  ``stories``: id, url, title, author, published_at, closed_at, mode;
  ``comments``: id, author_id, story_id, created_at, body, parent_id, status, rating;
  ``users``: id, email, username, role, banned, created_at; or
- JSON, as ``mongoexport`` writes Coral's collections (one document a line, or an array with
  ``--jsonArray``): stories ``{id, url, metadata.title, closedAt}``, comments ``{id, storyID,
  authorID, parentID, revisions[-1].body, status, createdAt, deletedAt, tags, actionCounts}``,
  users ``{id, username, email}`` (Coral 4's ``assets``/``asset_id``/``body_history`` too).

Statuses: APPROVED and NONE (published without a moderator's look) are published, REJECTED is
rejected, PREMOD and SYSTEM_WITHHELD await moderation; a comment with ``deletedAt`` is a deleted
placeholder. Bodies are Coral's HTML. Authors are Coral's user ids.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from civility.imports.markup import html_to_markup
from civility.imports.parsers import (
    DELETED_AUTHOR,
    ImportData,
    ImportedComment,
    ImportedThread,
    ImportedUser,
    ImportFormatError,
    Record,
    Skip,
    Source,
    http_url,
)

KINDS = {"stories": ("stories", "assets"), "comments": ("comments",), "users": ("users",)}
SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")
CSV_COLUMNS = {
    "stories": ("id", "url", "title", "author", "published_at", "closed_at", "mode"),
    "comments": (
        "id", "author_id", "story_id", "created_at", "body", "parent_id", "status", "rating",
    ),
    "users": ("id", "email", "username", "role", "banned", "created_at"),
}  # fmt: skip
STATUS = {
    "APPROVED": "approved",
    "ACCEPTED": "approved",
    "NONE": "approved",
    "REJECTED": "rejected",
    "PREMOD": "pending",
    "SYSTEM_WITHHELD": "pending",
}
_TAG = re.compile(r"<[a-zA-Z/][^<>]*>")


def coral_date(value: Any) -> datetime | None:
    """Coral's dates: ISO 8601, epoch milliseconds, or MongoDB extended JSON ({"$date": …})."""
    if isinstance(value, dict):
        value = value.get("$date", value.get("$numberLong"))
        if isinstance(value, dict):
            value = value.get("$numberLong")
    if value in (None, "", False):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _json_doc(text: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise ImportFormatError(f"{where}: not JSON (is this a Coral export?)") from None
    if not isinstance(doc, dict):
        raise ImportFormatError(f"{where}: not a JSON object")
    return doc


def _json_array(name: str, buf: str, rest: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The documents of a JSON array (mongoexport --jsonArray), read a chunk at a time."""
    decoder = json.JSONDecoder()
    pos, index = buf.index("[") + 1, 0
    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n,":
            pos += 1
        if pos < len(buf) and buf[pos] == "]":
            return
        try:
            if pos >= len(buf):
                raise ValueError("more")
            doc, end = decoder.raw_decode(buf, pos)
        except ValueError:
            more = next(rest, "")
            if not more:
                raise ImportFormatError(
                    f"{name}: document {index + 1} is not JSON, or the array is not closed"
                ) from None
            buf, pos = buf[pos:] + more, 0
            continue
        index += 1
        if not isinstance(doc, dict):
            raise ImportFormatError(f"{name}: document {index} is not a JSON object")
        yield f"{name} document {index}", doc
        pos = end


def _get(doc: dict[str, Any], *paths: str) -> Any:
    for path in paths:
        value: Any = doc
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, ""):
            return value
    return None


class CoralSource(Source):
    name, label = "coral", "Coral"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.files = self._find()

    # --- finding and opening the three files ---------------------------------------------
    def _names(self) -> list[str]:
        if self.path.is_dir():
            return [p.name for p in self.path.iterdir() if p.is_file()]
        if zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as archive:
                return [n for n in archive.namelist() if not n.endswith("/")]
        raise ImportFormatError(
            "a Coral export is a folder or a .zip with stories, comments and users files"
            " (.csv or .json)"
        )

    def _find(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in self._names():
            pure = PurePosixPath(name)
            if pure.suffix.lower() not in SUFFIXES:
                continue
            for kind, stems in KINDS.items():
                if pure.stem.lower() in stems and kind not in found:
                    found[kind] = name
        missing = [k for k in ("stories", "comments") if k not in found]
        if missing:
            raise ImportFormatError(
                f"no {' or '.join(missing)} file (.csv or .json) in it: is this a Coral export?"
            )
        return found

    def _open(self, name: str) -> IO[bytes]:
        if self.path.is_dir():
            return (self.path / name).open("rb")
        archive = zipfile.ZipFile(self.path)
        return archive.open(name)

    def _rows(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        name = self.files.get(kind)
        if name is None:
            return
        stream = self._open(name)
        try:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            if name.lower().endswith(".csv"):
                yield from self._csv_rows(kind, name, text)
            else:
                yield from self._json_rows(name, text)
        except UnicodeDecodeError:
            raise ImportFormatError(f"{name}: not UTF-8 text") from None
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ImportFormatError(f"{name}: unreadable ({exc})") from None
        finally:
            stream.close()

    @staticmethod
    def _csv_rows(kind: str, name: str, text: IO[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        columns = CSV_COLUMNS[kind]
        try:
            for lineno, row in enumerate(csv.reader(text), 1):
                if not row or (
                    lineno == 1 and [c.strip().lower() for c in row[:2]] == list(columns[:2])
                ):
                    continue
                if len(row) < len(columns):
                    raise ImportFormatError(
                        f"{name} line {lineno}: {len(row)} columns, coral-importer's layout has"
                        f" {len(columns)} ({', '.join(columns)})"
                    )
                yield f"{name} line {lineno}", dict(zip(columns, row, strict=False))
        except csv.Error as exc:
            raise ImportFormatError(f"{name}: malformed CSV ({exc})") from None

    @staticmethod
    def _json_rows(name: str, text: IO[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        first = text.read(1 << 16)
        rest = iter(lambda: text.read(1 << 16), "")
        if first.lstrip().startswith("["):
            yield from _json_array(name, first, rest)
            return
        pending, lineno = "", 0  # one document a line (mongoexport's default)
        for chunk in itertools.chain([first], rest):
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                lineno += 1
                if line.strip():
                    yield f"{name} line {lineno}", _json_doc(line, f"{name} line {lineno}")
        if pending.strip():
            lineno += 1
            yield f"{name} line {lineno}", _json_doc(pending, f"{name} line {lineno}")

    # --- records ----------------------------------------------------------------------------
    def records(self, *, scan: bool) -> Iterator[Record]:
        if scan:
            for where, doc in self._rows("stories"):
                story = self._story(where, doc)
                if story is not None:
                    yield story
            for _where, doc in self._rows("users"):
                key = str(_get(doc, "id") or "")
                if key:
                    name = _get(doc, "username", "metadata.displayName") or ""
                    yield ImportedUser(key=f"coral:{key}", name=str(name))
        for where, doc in self._rows("comments"):
            yield None if scan else self._comment(where, doc)

    @staticmethod
    def _story(where: str, doc: dict[str, Any]) -> ImportedThread | Skip | None:
        key = str(_get(doc, "id") or "")
        url = str(_get(doc, "url") or "").strip()
        if not key:
            return None
        where = f"Coral story {key} ({url[:200]}, {where})"
        if not http_url(url):
            return Skip("the story's URL is not an http(s) URL", where, thread_key=key)
        closed = _get(doc, "closedAt", "closed_at")
        return ImportedThread(
            key=key,
            url=url,
            title=str(_get(doc, "metadata.title", "title") or ""),
            closed=bool(closed) and closed != "false",
        )

    @staticmethod
    def _comment(where: str, doc: dict[str, Any]) -> ImportedComment | Skip:
        key = str(_get(doc, "id", "_id") or "")
        where = f"Coral comment {key or '(no id)'} ({where})"
        if not key:
            return Skip("a comment without an id", where)
        when = coral_date(_get(doc, "createdAt", "created_at"))
        if when is None:
            raw = _get(doc, "createdAt", "created_at")
            return Skip("bad date", where, f"createdAt {raw!r}", key=key)
        deleted = coral_date(_get(doc, "deletedAt", "deleted_at")) is not None
        raw_status = str(_get(doc, "status") or "NONE").upper()
        status = "deleted" if deleted else STATUS.get(raw_status, "pending")
        body = _get(doc, "body")
        for history in ("revisions", "body_history"):
            revisions = doc.get(history)
            if isinstance(revisions, list) and revisions and isinstance(revisions[-1], dict):
                body = revisions[-1].get("body", body)
        body = str(body or "")
        author = _get(doc, "authorID", "author_id")
        tags = doc.get("tags")
        tags = tags if isinstance(tags, list) else []
        names = {str(_get(t, "type", "tag.name") or "") for t in tags if isinstance(t, dict)}
        extra: dict[str, Any] = {}
        if "FEATURED" in names:
            extra["featured"] = True
        reactions = _get(doc, "actionCounts.REACTION", "action_counts.respect")
        if isinstance(reactions, int) and reactions > 0:
            extra["reaction_count"] = reactions
        if len(doc.get("revisions") or doc.get("body_history") or []) > 1:
            extra["edited"] = True
        parent = _get(doc, "parentID", "parent_id")
        return ImportedComment(
            key=key,
            thread_key=str(_get(doc, "storyID", "story_id", "asset_id") or ""),
            parent_key=str(parent) if parent else None,
            author_key=f"coral:{author}" if author else DELETED_AUTHOR,
            author_name="",  # from the users file
            body=""
            if status == "deleted"
            else html_to_markup(body, text_newlines=not _TAG.search(body)),
            created_at=when,
            status=status,
            extra=extra,
        )


def parse_coral(source: str | Path) -> ImportData:
    return CoralSource(source).load()
