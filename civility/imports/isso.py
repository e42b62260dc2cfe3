"""Isso: its SQLite database file (``comments.db``), read as it is, read-only.

Isso keeps `threads (id, uri, title)` and `comments (tid, id, parent, created, modified, mode,
remote_addr, text, author, email, website, likes, dislikes, …)` (isso/db/comments.py). A thread's
``uri`` is usually the page's path, so the site's address is needed to make it a story URL
(``--base-url``; by default the site's one allowed origin). Modes: 1 published, 2 awaiting
moderation, 4 deleted but kept because it has replies. Texts are the reader's Markdown. Isso
keeps no accounts: authors are told apart by name and e-mail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from civility.imports.markup import markdown_to_markup
from civility.imports.parsers import (
    DELETED_AUTHOR,
    ImportData,
    ImportedComment,
    ImportedThread,
    ImportFormatError,
    Record,
    Skip,
    Source,
    guest_identity,
    http_url,
    real_email,
)

ISSO_MODES = {1: "approved", 2: "pending", 4: "deleted"}
_NEEDED = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "modified", "mode", "text", "author"},
}


class IssoSource(Source):
    name, label = "isso", "Isso"

    def __init__(self, path: str | Path, base_url: str = "") -> None:
        super().__init__(path)
        self.base_url = base_url.rstrip("/")

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise ImportFormatError("not a file (Isso's database is one file, e.g. comments.db)")
        with self.path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise ImportFormatError("not an SQLite database (is this Isso's comments.db?)")
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            for table, columns in _NEEDED.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if not columns <= have:
                    raise ImportFormatError(
                        f"no Isso {table} table with {', '.join(sorted(columns - have))}"
                        " (is this Isso's comments.db?)"
                    )
        except sqlite3.DatabaseError as exc:
            db.close()
            raise ImportFormatError(f"unreadable SQLite database ({exc})") from None
        except ImportFormatError:
            db.close()
            raise
        return db

    def _url(self, uri: str) -> str:
        uri = (uri or "").strip()
        if http_url(uri):
            return uri
        if not self.base_url:
            raise ImportFormatError(
                f"Isso names its threads by path ({uri!r}): give the site's address with"
                " --base-url https://your.site"
            )
        return urljoin(self.base_url + "/", uri.lstrip("/"))

    def records(self, *, scan: bool) -> Iterator[Record]:
        db = self._connect()
        try:
            if scan:
                for tid, uri, title in db.execute("SELECT id, uri, title FROM threads ORDER BY id"):
                    url = self._url(uri)
                    where = f"Isso thread {tid} ({uri})"
                    if not http_url(url):
                        yield Skip("the thread's URI is not a path or http(s) URL", where,
                                   thread_key=str(tid))  # fmt: skip
                    else:
                        yield ImportedThread(key=str(tid), url=url, title=title or "")
                (count,) = db.execute("SELECT COUNT(*) FROM comments").fetchone()
                for _ in range(count):
                    yield None
                return
            columns = "tid, id, parent, created, modified, mode, remote_addr, text, author, email"
            optional = {row[1] for row in db.execute("PRAGMA table_info(comments)")}
            columns += ", website" if "website" in optional else ", ''"
            columns += ", likes" if "likes" in optional else ", 0"
            for row in db.execute(f"SELECT {columns} FROM comments ORDER BY id"):  # noqa: S608
                yield self._comment(*row)
        except sqlite3.DatabaseError as exc:
            raise ImportFormatError(f"unreadable SQLite database ({exc})") from None
        finally:
            db.close()

    @staticmethod
    def _comment(
        tid: int,
        cid: int,
        parent: int | None,
        created: float | None,
        modified: float | None,
        mode: int | None,
        remote_addr: str | None,
        text: str | None,
        author: str | None,
        email: str | None,
        website: str | None,
        likes: int | None,
    ) -> ImportedComment | Skip:
        where = f"Isso comment {cid} (thread {tid})"
        try:
            when = datetime.fromtimestamp(float(created), UTC)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError, OSError):
            return Skip("bad date", where, f"created {created!r}", key=str(cid))
        status = ISSO_MODES.get(mode or 0, "pending")
        name = author or ""
        if status == "deleted" and not name:
            identity = DELETED_AUTHOR
        else:
            identity = guest_identity(name, email or "")
        url = website or ""
        if url and not http_url(url) and "." in url and " " not in url:
            url = "https://" + url  # Isso accepts "example.org" and shows it as a link
        extra: dict[str, object] = {}
        if modified:
            extra["edited"] = True
        if likes:
            extra["reaction_count"] = max(0, int(likes))
        return ImportedComment(
            key=str(cid),
            thread_key=str(tid),
            parent_key=str(parent) if parent is not None else None,
            author_key=identity,
            author_name=name,
            author_email=real_email(email or ""),
            author_url=url if http_url(url) else "",
            body="" if status == "deleted" else markdown_to_markup(text or ""),
            created_at=when,
            status=status,
            ip=remote_addr or "",
            extra=extra,
        )


def parse_isso(source: str | Path, base_url: str = "") -> ImportData:
    return IssoSource(source, base_url).load()
