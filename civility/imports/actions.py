"""Import another platform's comments into a site: streamed, in short batches, resumable,
idempotent by the source's own ids, audited once.

How a run goes (``import_comments``):

1. **Scan** the whole file (civility.imports.parsers): a broken, truncated or hostile file is
   refused here, before anything is written. The scan counts the comments (for the progress
   bar) and puts the threads, and authors listed apart, in a *spool*: a temporary SQLite file of
   the importer's own, so memory does not grow with the file.
2. **Import** the comments in file order, ``batch_size`` at a time. Each batch first reads what
   it needs (the comments already imported, parents, stories, authors), then writes in one short
   transaction: its stories, authors and comments, and the run's checkpoint (``ImportRun``).
   On SQLite the write turn is held only for that transaction, so the live site's posts get
   theirs between batches. A reply whose parent comes later in the file waits in the spool
   until it does (or, at the end, is stored at the top level); the checkpoint never passes a
   waiting reply, so a run stopped anywhere resumes from the checkpoint without losing one.
3. **Finish**: the run is marked finished and the import is audited once (``site.imported``).

Each comment keeps its id on the old platform (``Comment.source_key``), so a re-run (a newer
export) updates what changed there: edited text, status, deletion; a status a moderator changed
here since the last import is kept unless the comment was deleted at the source.

Imported comments skip the decision pipeline: they were published (or not) on the old platform,
and rate limits or new-commenter holds make no sense for history. They are written by
``store_comment`` like every comment, with ``audit_action=None`` and ``announce=False``.
Authors get one placeholder account per identity *in the file* and per site (they cannot sign
in: no usable password). Story URLs must be at one of the site's allowed origins.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import ipaddress
import json
import os
import socket
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from civility.audit import record
from civility.clientip import hash_ip
from civility.comments import cache as thread_cache
from civility.comments.actions import normalize_url, origin_allowed, store_comment
from civility.comments.models import Comment, Site, Story, body_digest
from civility.comments.render import render
from civility.errors import Refused
from civility.imports.models import ImportRun
from civility.imports.parsers import (
    ImportData,
    ImportedComment,
    ImportedThread,
    ImportedUser,
    ImportFormatError,
    Record,
    Skip,
    Source,
)

# At most this many comments a batch; fewer when a batch's write transaction would last longer
# than WRITE_SECONDS (the time a post may wait for its turn on SQLite), measured as it goes.
BATCH_SIZE = 500
WRITE_SECONDS = 0.2
MAX_WARNINGS = 200
# Comment fields a source may carry beyond the neutral record (ImportedComment.extra).
EXTRA_FIELDS = {
    "edited",
    "featured",
    "reaction_count",
    "report_count",
    "scores",
    "moderation_reasons",
    "rejection_reason",
    "updated_at",
}
DELETED = Comment.Status.DELETED


class ImportRefused(ImportFormatError):
    """The import cannot start (another run of the same file is in progress, …)."""


class ImportInterrupted(Exception):
    """The run stopped (Ctrl-C) after its last committed batch; running it again resumes."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("interrupted")
        self.result = result


@dataclass
class ImportResult:
    source: str = ""
    run_id: int = 0
    total: int = 0  # comment records in the file
    resumed_from: int = 0  # where this run started (0: from the beginning)
    position: int = 0  # records done
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: Counter[str] = field(default_factory=Counter)  # what the updates changed
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> comments
    top_level: Counter[str] = field(default_factory=Counter)  # replies stored top level, why
    stories_created: int = 0
    users_created: int = 0
    not_in_file: int = 0  # comments imported earlier from this source, absent from this file
    batches: int = 0  # write transactions this run
    longest_write: float = 0.0  # seconds: the longest write transaction (SQLite: the lock)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    # The names the first importer used.
    @property
    def comments_created(self) -> int:
        return self.created

    @property
    def comments_skipped(self) -> int:
        return sum(self.skipped.values())

    def counts(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "changes": dict(self.changes),
            "skipped": dict(self.skipped),
            "top_level": dict(self.top_level),
            "stories_created": self.stories_created,
            "users_created": self.users_created,
        }

    def restore(self, counts: dict[str, Any]) -> None:
        for name in ("created", "updated", "unchanged", "stories_created", "users_created"):
            setattr(self, name, int(counts.get(name, 0)))
        for name in ("changes", "skipped", "top_level"):
            setattr(self, name, Counter(counts.get(name) or {}))


class Progress(Protocol):
    def scanned(self, result: ImportResult, threads: int) -> None: ...
    def advanced(self, result: ImportResult) -> None: ...
    def warn(self, message: str) -> None: ...


class _Quiet:
    def scanned(self, result: ImportResult, threads: int) -> None:
        pass

    def advanced(self, result: ImportResult) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


# --- the spool: the importer's own scratch database ------------------------------------------


def _dump(c: ImportedComment) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        raise TypeError(type(value))

    return json.dumps(dataclasses.asdict(c), default=encode)


def _load(text: str) -> ImportedComment:
    def decode(obj: dict[str, Any]) -> Any:
        return datetime.fromisoformat(obj["$dt"]) if set(obj) == {"$dt"} else obj

    return ImportedComment(**json.loads(text, object_hook=decode))


_THREAD_COLUMNS = "key, url, title, closed, skip, story_id, checked"


class Spool:
    """Threads, authors, skipped ids and replies waiting for their parent, on disk."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="civility-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "spool.sqlite3", isolation_level=None)
        self.db.executescript(
            """
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE threads (key TEXT PRIMARY KEY, url TEXT, title TEXT, closed INTEGER,
                                  skip TEXT, warn INTEGER, story_id INTEGER, checked INTEGER);
            CREATE TABLE users (key TEXT PRIMARY KEY, name TEXT, url TEXT, badges TEXT);
            CREATE TABLE skipped (key TEXT PRIMARY KEY);
            CREATE TABLE waiting (pos INTEGER PRIMARY KEY, key TEXT, parent_key TEXT,
                                  record TEXT, taken INTEGER DEFAULT 0);
            CREATE INDEX waiting_parent ON waiting (parent_key);
            CREATE INDEX waiting_key ON waiting (key);
            """
        )

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_thread(self, t: ImportedThread) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO threads (key, url, title, closed) VALUES (?, ?, ?, ?)",
            (t.key, t.url, t.title, int(t.closed)),
        )

    def thread_keys(self, size: int) -> Iterator[list[str]]:
        rows = self.db.execute("SELECT key FROM threads WHERE skip IS NULL ORDER BY rowid")
        while chunk := [key for (key,) in rows.fetchmany(size)]:
            yield chunk

    def skip_thread(self, key: str, reason: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO threads (key, skip, checked) VALUES (?, ?, 1)", (key, reason)
        )

    def threads(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(set(keys))
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {_THREAD_COLUMNS} FROM threads WHERE key IN ({marks})",  # noqa: S608
                chunk,
            ):
                out[row[0]] = dict(
                    zip(
                        ("key", "url", "title", "closed", "skip", "story_id", "checked"),
                        row,
                        strict=True,
                    )
                )
        return out

    def set_thread(self, key: str, **fields: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(
            f"UPDATE threads SET {sets} WHERE key = ?",  # noqa: S608
            [*fields.values(), key],
        )

    def add_user(self, u: ImportedUser) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
            (u.key, u.name, u.url, json.dumps(u.badges)),
        )

    def users(self, keys: Iterable[str]) -> dict[str, ImportedUser]:
        keys = list(set(keys))
        out: dict[str, ImportedUser] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, name, url, badges in self.db.execute(
                f"SELECT key, name, url, badges FROM users WHERE key IN ({marks})",  # noqa: S608
                chunk,
            ):
                out[key] = ImportedUser(key, name or "", url or "", json.loads(badges or "[]"))
        return out

    def add_skipped(self, keys: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO skipped VALUES (?)", [(k,) for k in keys])

    def skipped_among(self, keys: Iterable[str]) -> set[str]:
        keys = list(set(keys))
        out: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out |= {
                row[0]
                for row in self.db.execute(
                    f"SELECT key FROM skipped WHERE key IN ({marks})",  # noqa: S608
                    chunk,
                )
            }
        return out

    def wait(self, items: list[tuple[int, ImportedComment]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO waiting (pos, key, parent_key, record) VALUES (?, ?, ?, ?)",
            [(pos, c.key, c.parent_key, _dump(c)) for pos, c in items],
        )

    def children(self, keys: Iterable[str]) -> list[tuple[int, ImportedComment]]:
        """Replies waiting for these comments (now stored, or skipped): taken out of the
        queue, but kept (and so counted by min_waiting) until done() says they are written."""
        keys = list(set(keys))
        out: list[tuple[int, ImportedComment]] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT pos, record FROM waiting WHERE taken = 0 AND parent_key IN ({marks})"  # noqa: S608
                " ORDER BY pos",
                chunk,
            ).fetchall()
            self.db.executemany(
                "UPDATE waiting SET taken = 1 WHERE pos = ?", [(pos,) for pos, _ in rows]
            )
            out += [(pos, _load(text)) for pos, text in rows]
        return sorted(out, key=lambda item: item[0])

    def orphans(self, limit: int) -> list[tuple[int, ImportedComment]]:
        """Replies still waiting at the end of the file: their parent never came. The ones
        whose parent is not itself waiting first (replies to those follow them)."""
        rows = self.db.execute(
            "SELECT pos, record FROM waiting w WHERE taken = 0 AND NOT EXISTS"
            " (SELECT 1 FROM waiting p WHERE p.key = w.parent_key) ORDER BY pos LIMIT ?",
            (limit,),
        ).fetchall()
        if not rows:  # parents that wait for each other: break the circle at the first
            rows = self.db.execute(
                "SELECT pos, record FROM waiting WHERE taken = 0 ORDER BY pos LIMIT 1"
            ).fetchall()
        self.db.executemany(
            "UPDATE waiting SET taken = 1 WHERE pos = ?", [(pos,) for pos, _ in rows]
        )
        return [(pos, _load(text)) for pos, text in rows]

    def done(self, positions: Iterable[int]) -> None:
        self.db.executemany("DELETE FROM waiting WHERE pos = ?", [(p,) for p in positions])

    def min_waiting(self) -> int | None:
        (pos,) = self.db.execute("SELECT MIN(pos) FROM waiting").fetchone()
        return pos  # type: ignore[no-any-return]


# --- reading a whole export held in memory ------------------------------------------------


class MemorySource(Source):
    """An ImportData (a small export parsed at once, or built by hand) as a source."""

    def __init__(self, data: ImportData) -> None:
        self.data = data
        self.name = data.source
        self.label = data.source.capitalize()
        self.path = Path(f"({data.source} data)")

    def records(self, *, scan: bool) -> Iterator[Record]:
        comment_skips = [s for s in self.data.skipped if s.thread_key is None]
        if scan:
            yield from self.data.threads.values()
            yield from self.data.users.values()
            yield from (s for s in self.data.skipped if s.thread_key is not None)
            for _ in range(len(self.data.comments) + len(comment_skips)):
                yield None
            return
        yield from self.data.comments
        yield from comment_skips

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for c in self.data.comments:
            digest.update(f"{c.key}\0{c.status}\0{c.body}\0".encode())
        return digest.hexdigest()


# --- the importer ----------------------------------------------------------------------------


def _local_host(host: str) -> bool:
    host = host.lower().strip("[]")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".test")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_unspecified


@dataclass
class _Batch:
    """What one batch did, applied to the run's result once its transaction commits."""

    created: list[str] = field(default_factory=list)  # keys
    skipped_keys: list[str] = field(default_factory=list)
    waiting: list[tuple[int, ImportedComment]] = field(default_factory=list)
    counted: list[tuple[int, str, str]] = field(default_factory=list)  # (pos, outcome, detail)
    warnings: list[str] = field(default_factory=list)
    stories: dict[str, int] = field(default_factory=dict)  # thread key -> new story id
    stories_created: int = 0
    users_created: int = 0


class _Importer:
    def __init__(
        self,
        *,
        site: Site,
        source: Source,
        actor: Any,
        batch_size: int,
        progress: Progress | None,
        restart: bool,
    ) -> None:
        self.site, self.source, self.actor = site, source, actor
        self.batch_size = max(1, batch_size)
        self.size = min(self.batch_size, 50)  # grows or shrinks with the measured write time
        self.progress: Progress = progress or _Quiet()
        self.restart = restart
        self.result = ImportResult(source=source.name)
        self.allowed = [o.rstrip("/").lower() for o in site.allowed_origins or []]
        self.warned_origins: set[str] = set()
        self.prefix = f"{site.pk}:{source.name}:"
        self.resume_seen = 0
        self.legacy = False
        self.end = 0
        self.run: ImportRun

    # --- small helpers ------------------------------------------------------------------
    def skey(self, key: str) -> str:
        if len(key) > 150:  # keep the column bounded whatever the source's ids look like
            key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()
        return self.prefix + key

    def username(self, author_key: str) -> str:
        digest = hashlib.sha256(author_key.encode()).hexdigest()[:24]
        return f"imported-{self.site.pk}-{self.source.name}-{digest}"

    def warn(self, message: str) -> None:
        if len(self.result.warnings) < MAX_WARNINGS:
            self.result.warnings.append(message)
        self.progress.warn(message)

    # --- 1. the scan ----------------------------------------------------------------------
    def scan(self) -> None:
        total = threads = 0
        for rec in self.source.records(scan=True):
            if rec is None:
                total += 1
            elif isinstance(rec, ImportedThread):
                self.spool.add_thread(rec)
                threads += 1
            elif isinstance(rec, ImportedUser):
                self.spool.add_user(rec)
            elif isinstance(rec, Skip) and rec.thread_key is not None:
                self.spool.skip_thread(rec.thread_key, rec.reason)
                if rec.warn:
                    self.warn(f"{rec.message()}; its comments are skipped")
        self.result.total = total
        if self.source.removed_chars:
            self.warn(
                f"removed {self.source.removed_chars} character(s) XML does not allow"
                f" (first: {self.source.first_removed}), as WordPress's importer does"
            )
        self.threads_in_file = threads

    # --- the run's row: checkpoint and resume ----------------------------------------------
    def start_run(self) -> None:
        fingerprint = self.source.fingerprint()
        earlier = (
            ImportRun.objects.filter(
                site=self.site, source=self.source.name, fingerprint=fingerprint
            )
            .exclude(state=ImportRun.State.FINISHED)
            .order_by("-pk")
            .first()
        )
        host, pid = socket.gethostname()[:255], os.getpid()
        if earlier is not None and earlier.state == ImportRun.State.RUNNING and earlier.pid:
            if earlier.host == host and earlier.pid != pid and _alive(earlier.pid):
                raise ImportRefused(
                    f"another import of this file into {self.site.slug} is running"
                    f" (process {earlier.pid}, since {earlier.started_at:%Y-%m-%d %H:%M} UTC)"
                )
        if earlier is not None and not self.restart and earlier.total == self.result.total:
            run = earlier
            self.result.restore(run.counts or {})
            self.result.resumed_from = run.position
            self.result.warnings = list(run.warnings or [])[:MAX_WARNINGS]
            self.resume_seen = run.seen
        else:
            run = ImportRun(
                site=self.site,
                source=self.source.name,
                file_name=str(self.source.path)[:500],
                fingerprint=fingerprint,
                total=self.result.total,
            )
        run.state, run.host, run.pid = ImportRun.State.RUNNING, host, pid
        run.save()
        self.run = run
        self.result.run_id = run.pk
        self.result.position = run.position
        # Comments of the first importer (no source ids) in this site: see adopt_legacy.
        self.legacy = Comment.objects.filter(
            story__site=self.site,
            source_key__isnull=True,
            author__username__startswith=f"{self.source.name}:",
        ).exists()

    # --- 2. the import ----------------------------------------------------------------------
    def stream(self) -> None:
        start = self.result.resumed_from
        position = 0
        batch: list[tuple[int, ImportedComment | Skip]] = []
        for rec in self.source.records(scan=False):
            if not isinstance(rec, ImportedComment | Skip):
                continue
            pos, position = position, position + 1
            if pos < start:
                continue
            batch.append((pos, rec))
            if len(batch) >= self.size:
                self.end = position
                self.handle(batch)
                batch = []
        self.end = position
        if batch:
            self.handle(batch)
        while True:  # replies whose parent never came: at the top level
            orphans = self.spool.orphans(self.size)
            if not orphans:
                break
            self.handle(list(orphans), orphans=True, from_spool=True)

    def handle(
        self,
        items: list[tuple[int, ImportedComment | Skip]],
        *,
        orphans: bool = False,
        from_spool: bool = False,
    ) -> None:
        queue: list[tuple[list[tuple[int, Any]], bool, bool]] = [(items, orphans, from_spool)]
        while queue:
            items, orphans, from_spool = queue.pop(0)
            done = self.write_with_retries(items, orphans=orphans)
            if from_spool:
                self.spool.done(pos for pos, _ in items)
            self.spool.add_skipped(done.skipped_keys)
            self.spool.wait(done.waiting)
            for key, story_id in done.stories.items():
                self.spool.set_thread(key, story_id=story_id)
            self.tally(self.result, done)
            self.result.position = self.end
            for message in done.warnings:
                self.warn(message)
            released = self.spool.children([*done.created, *done.skipped_keys])
            for i in range(0, len(released), self.size):
                queue.append((list(released[i : i + self.size]), False, True))
            self.progress.advanced(self.result)

    def write_with_retries(self, items: list[tuple[int, Any]], *, orphans: bool) -> _Batch:
        for attempt in range(6):
            try:
                return self.write(items, orphans=orphans)
            except OperationalError as exc:
                # SQLite: the write turn did not come in time (a long write elsewhere): the
                # batch was rolled back whole; wait and do it again.
                text = str(exc).lower()
                if attempt == 5 or not ("locked" in text or "busy" in text):
                    raise
                time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    def tally(self, r: ImportResult, done: _Batch) -> None:
        for pos, outcome, detail in done.counted:
            if pos < self.resume_seen and outcome != "created":
                continue  # counted by the run this one resumes
            if outcome == "created":
                r.created += 1
                if detail:
                    r.top_level[detail] += 1
            elif outcome == "updated":
                r.updated += 1
                for change in detail.split(","):
                    r.changes[change] += 1
            elif outcome == "unchanged":
                r.unchanged += 1
            else:
                r.skipped[detail] += 1
        r.stories_created += done.stories_created
        r.users_created += done.users_created

    # --- one batch --------------------------------------------------------------------------
    def check_threads(self, keys: Iterable[str], batch: _Batch) -> dict[str, dict[str, Any]]:
        threads = self.spool.threads(keys)
        for key, t in threads.items():
            if t["checked"] or t["skip"]:
                continue
            reason, url = self.check_url(t["url"], batch)
            t["url"], t["skip"], t["checked"] = url, reason, 1
            self.spool.set_thread(key, url=url, skip=reason, checked=1)
        return threads

    def check_url(self, raw: str, batch: _Batch) -> tuple[str | None, str]:
        try:
            url = normalize_url(raw)
        except Refused:
            return "the story URL is not an absolute http(s) URL", raw
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if not self.allowed:
            if _local_host(parts.hostname or ""):
                return f"story at a local address ({origin})", url
            return None, url
        if origin_allowed(self.site, origin):
            return None, url
        # A site that moved to https (or back): the same address under the allowed scheme.
        other = "https" if parts.scheme == "http" else "http"
        if origin_allowed(self.site, f"{other}://{parts.netloc}"):
            return None, urlunsplit((other, *parts[1:]))
        if origin not in self.warned_origins:
            self.warned_origins.add(origin)
            batch.warnings.append(
                f"stories at {origin} are skipped with their comments (e.g. {url}): not among"
                f" {self.site.slug}'s allowed origins ({', '.join(self.allowed)})"
            )
        return f"story not at an allowed origin ({origin})", url

    def write(self, items: list[tuple[int, Any]], *, orphans: bool) -> _Batch:
        batch = _Batch()
        comments = [(pos, c) for pos, c in items if isinstance(c, ImportedComment)]
        # Reads first: on SQLite they take no write turn.
        threads = self.check_threads({c.thread_key for _, c in comments}, batch)
        keys = [self.skey(c.key) for _, c in comments]
        fields = ["pk", "source_key", "status", "body", "story_id", "depth", *EXTRA_FIELDS]
        existing: dict[str, Comment] = {
            str(c.source_key): c for c in Comment.objects.filter(source_key__in=keys).only(*fields)
        }
        if self.legacy:
            self.adopt_legacy(comments, existing, threads, fields)
        parent_keys = {self.skey(c.parent_key) for _, c in comments if c.parent_key}
        parents = {
            key: (pk, depth, story_id)
            for key, pk, depth, story_id in Comment.objects.filter(
                source_key__in=parent_keys
            ).values_list("source_key", "pk", "depth", "story_id")
        }
        skipped_parents = self.spool.skipped_among(
            c.parent_key for _, c in comments if c.parent_key
        )

        plan: list[tuple[int, ImportedComment, Any]] = []
        in_batch: set[str] = set()
        for pos, rec in items:
            if isinstance(rec, Skip):
                batch.counted.append((pos, "skipped", rec.reason))
                if rec.key:
                    batch.skipped_keys.append(rec.key)
                if rec.warn:
                    batch.warnings.append(rec.message())
                continue
            c: ImportedComment = rec
            thread = threads.get(c.thread_key)
            if thread is None or thread["skip"]:
                reason = thread["skip"] if thread else "its thread is not in the file"
                if thread and not reason.startswith("story"):
                    reason = f"on a skipped thread: {reason}"
                batch.counted.append((pos, "skipped", reason))
                batch.skipped_keys.append(c.key)
                continue
            skey = self.skey(c.key)
            if skey in existing:
                plan.append((pos, c, existing[skey]))
                continue
            if c.key in in_batch:
                batch.counted.append((pos, "skipped", "the same id twice in the file"))
                batch.warnings.append(f"{self.source.label} comment {c.key}: its id comes twice")
                continue
            parent: Any = None
            if c.parent_key:
                pkey = self.skey(c.parent_key)
                if pkey in parents:
                    parent = ("db", parents[pkey])
                elif c.parent_key in in_batch:
                    parent = ("batch", c.parent_key)
                elif orphans or c.parent_key in skipped_parents:
                    parent = ("none", "its parent is not in the file or was skipped")
                else:
                    batch.waiting.append((pos, c))  # the parent comes later in the file
                    continue
            plan.append((pos, c, parent))
            in_batch.add(c.key)

        started = time.monotonic()
        with transaction.atomic():
            creates = [c for _, c, ref in plan if not isinstance(ref, Comment)]
            stories = self.stories(threads, dict.fromkeys(c.thread_key for c in creates), batch)
            adopted = [c for _, c, ref in plan if getattr(ref, "adopted", False)]
            authors = self.authors(creates + adopted, batch)
            made: dict[str, Comment] = {}
            bump: set[int] = set()
            for pos, c, ref in plan:
                if isinstance(ref, Comment):
                    if getattr(ref, "adopted", False):  # see adopt_legacy
                        Comment.objects.filter(pk=ref.pk).update(
                            source_key=self.skey(c.key), author=authors[c.author_key]
                        )
                    outcome = self.update(c, ref, bump)
                    batch.counted.append((pos, *outcome))
                    continue
                story_id = stories[c.thread_key]
                parent_obj, why = self.parent_for(ref, made, story_id)
                comment = store_comment(
                    story=Story(pk=story_id, site=self.site),
                    author=authors[c.author_key],
                    body=c.body,
                    status=c.status,
                    parent=parent_obj,
                    ip_hash=hash_ip(c.ip),
                    reasons=[
                        {
                            "action": "import",
                            "code": f"imported_{self.source.name}",
                            "message": f"Imported from {self.source.label}",
                            "source_id": c.key,
                            "source_status": c.status,
                        }
                    ],
                    created_at=c.created_at,
                    audit_action=None,  # the import is audited once, when it ends
                    announce=False,
                    source_key=self.skey(c.key),
                )
                extra = {k: v for k, v in c.extra.items() if k in EXTRA_FIELDS}
                if extra:
                    Comment.objects.filter(pk=comment.pk).update(**extra)
                made[c.key] = comment
                batch.created.append(c.key)
                batch.counted.append((pos, "created", why))
            for story_id in bump:
                transaction.on_commit(partial(thread_cache.bump, story_id))
            waiting = self.spool.min_waiting()
            firsts = [self.end, *(p for p, _ in batch.waiting)]
            if waiting is not None:
                firsts.append(waiting)
            position = max(self.run.position, min(firsts))
            preview = copy.deepcopy(self.result)  # what the run's row records with the batch
            self.tally(preview, batch)
            counts, warnings = preview.counts(), preview.warnings + batch.warnings
            ImportRun.objects.filter(pk=self.run.pk).update(
                position=position,
                seen=max(self.run.seen, self.end),
                counts=counts,
                warnings=warnings[:MAX_WARNINGS],
                updated_at=timezone.now(),
            )
        self.run.position, self.run.seen = position, max(self.run.seen, self.end)
        took = time.monotonic() - started
        self.result.batches += 1
        self.result.longest_write = max(self.result.longest_write, took)
        if plan:  # the next batch: as many as fit in WRITE_SECONDS, going there by halves
            fits = WRITE_SECONDS * len(plan) / max(took, 1e-3)
            floor = min(10, self.batch_size)
            self.size = max(floor, min(self.batch_size, (self.size + int(fits)) // 2))
        return batch

    @staticmethod
    def parent_for(ref: Any, made: dict[str, Comment], story_id: int) -> tuple[Comment | None, str]:
        if ref is None:
            return None, ""
        kind, value = ref
        if kind == "none":
            return None, value
        if kind == "batch":
            parent = made[value]
        else:
            pk, depth, parent_story = value
            parent = Comment(pk=pk, depth=depth, story_id=parent_story)
        if parent.story_id != story_id:
            return None, "its parent is on another thread"
        return parent, ""

    def stories(
        self, threads: dict[str, dict[str, Any]], keys: Iterable[str], batch: _Batch
    ) -> dict[str, int]:
        """The story of each thread (in this order), created when it has none yet."""
        out = {k: threads[k]["story_id"] for k in keys if threads[k]["story_id"]}
        todo = {k: threads[k] for k in keys if k not in out}
        if not todo:
            return out
        urls = {t["url"] for t in todo.values()}
        found = {
            url: (pk, title)
            for url, pk, title in Story.objects.filter(site=self.site, url__in=urls).values_list(
                "url", "pk", "title"
            )
        }
        for key, t in todo.items():
            if t["url"] in found:
                pk, title = found[t["url"]]
                if not title and t["title"]:
                    Story.objects.filter(pk=pk).update(title=t["title"][:500])
            else:
                try:
                    with transaction.atomic():
                        story = Story.objects.create(
                            site=self.site,
                            url=t["url"],
                            title=" ".join((t["title"] or "").split())[:500],
                            closed=bool(t["closed"]),
                        )
                    pk = story.pk
                    batch.stories_created += 1
                except IntegrityError:  # the embed created it meanwhile
                    pk = Story.objects.get(site=self.site, url=t["url"]).pk
                found[t["url"]] = (pk, t["title"])
            out[key] = pk
            batch.stories[key] = pk
        return out

    def authors(self, comments: list[ImportedComment], batch: _Batch) -> dict[str, Any]:
        User = get_user_model()
        wanted = {c.author_key: c for c in comments}
        if not wanted:
            return {}
        names = {self.username(k): k for k in wanted}
        out: dict[str, Any] = {}
        for user in User.objects.filter(username__in=names).only("pk", "username"):
            out[names[user.username]] = user
        missing = [k for k in wanted if k not in out]
        listed = self.spool.users(missing)
        new = []
        for key in missing:
            c = wanted[key]
            info = listed.get(key)
            name = (c.author_name or (info.name if info else "")).strip()
            url = c.author_url or (info.url if info else "")
            user = User(
                username=self.username(key),
                display_name=" ".join(name.split())[:80] or "Anonymous",
                is_guest=True,
                profile_url=url[:200] if url.startswith(("http://", "https://")) else "",
                badges=info.badges if info else [],
            )
            user.set_unusable_password()  # exports carry no credentials: nobody signs in as it
            new.append(user)
        if new:
            User.objects.bulk_create(new, batch_size=500)
            batch.users_created += len(new)
            for user in User.objects.filter(username__in=[u.username for u in new]).only(
                "pk", "username"
            ):
                out[names[user.username]] = user
        return out

    def adopt_legacy(
        self,
        comments: list[tuple[int, ImportedComment]],
        existing: dict[str, Comment],
        threads: dict[str, dict[str, Any]],
        fields: list[str],
    ) -> None:
        """Comments the first importer wrote (before source ids; its authors were named
        "<source>:<hash>" and shared across sites) are found by story and date, and take
        their source id and this site's author, instead of being imported twice."""
        wanted = {
            (threads[c.thread_key]["url"], c.created_at): self.skey(c.key)
            for _, c in comments
            if self.skey(c.key) not in existing
            and c.thread_key in threads
            and not threads[c.thread_key]["skip"]
        }
        if not wanted:
            return
        rows = (
            Comment.objects.filter(
                story__site=self.site,
                source_key__isnull=True,
                author__username__startswith=f"{self.source.name}:",
                created_at__in={when for _, when in wanted},
            )
            .select_related("story")
            .only(*fields, "story__url")
        )
        for row in rows:
            skey = wanted.pop((row.story.url, row.created_at), None)
            if skey is not None:
                row.adopted = True  # type: ignore[attr-defined]
                existing[skey] = row

    def update(self, c: ImportedComment, row: Comment, bump: set[int]) -> tuple[str, str]:
        """A comment an earlier run imported: bring it up to date with this file."""
        reasons = list(row.moderation_reasons or [])
        mark = next(
            (r for r in reasons if isinstance(r, dict) and r.get("action") == "import"), None
        )
        recorded = mark.get("source_status") if mark else None
        source = c.status
        if recorded is None or source == DELETED:
            target = source
        elif source == recorded:
            target = row.status  # unchanged there: what moderators did here stands
        elif row.status == recorded:
            target = source
        else:
            target = row.status  # changed there and here: here wins (but deletion, above)
        if row.status == DELETED and recorded != DELETED:
            # Deleted here (a moderator, or the reader's erasure, which also clears the
            # import's mark): final, whatever the source still shows.
            target = DELETED
        changes: list[str] = []
        fields: dict[str, Any] = {}
        if target != row.status:
            fields["status"] = target
            if target == DELETED:
                changes.append("deleted since")
            elif row.status == DELETED:
                changes.append("restored")
            else:
                changes.append("status changed")
            if target != Comment.Status.REJECTED:
                fields["rejection_reason"] = ""
        body = "" if target == DELETED else c.body
        if body != row.body:
            fields.update(body=body, body_digest=body_digest(body), html=render(body))
            if target != DELETED:
                fields["edited"] = True
                changes.append("text edited")
        if mark is not None and source != recorded:
            mark = {**mark, "source_status": source}
            fields["moderation_reasons"] = [
                mark if r.get("action") == "import" else r for r in reasons
            ]
            if target == row.status and source != DELETED:
                changes.append("changed at the source, kept as moderated here")
        # What the source says beyond the neutral record (Civility's own export: everything)
        # is written as it says, over what was worked out above.
        extra = {
            name: value
            for name, value in c.extra.items()
            if name in EXTRA_FIELDS and fields.get(name, getattr(row, name)) != value
        }
        if extra:
            fields.update(extra)
            if not changes:
                changes.append("details changed")
        if fields and "updated_at" in c.extra:
            fields["updated_at"] = c.extra["updated_at"]
        if getattr(row, "adopted", False):
            changes.insert(0, "matched to the first importer's copy")
            fields.setdefault("updated_at", row.updated_at)
        if not fields:
            return "unchanged", ""
        fields.setdefault("updated_at", timezone.now())
        Comment.objects.filter(pk=row.pk).update(**fields)
        bump.add(row.story_id)
        return "updated", ",".join(changes)

    # --- 3. the end ---------------------------------------------------------------------------
    def finish(self, state: str) -> None:
        r = self.result
        if state != ImportRun.State.FINISHED:
            # Ctrl-C can land between a batch's commit and its tally here: the run's row, written
            # in the batch's own transaction, is what was done.
            row = ImportRun.objects.get(pk=self.run.pk)
            r.restore(row.counts or {})
            r.position, r.warnings = row.position, list(row.warnings or [])
        if state == ImportRun.State.FINISHED:
            imported = Comment.objects.filter(source_key__startswith=self.prefix).count()
            r.not_in_file = max(0, imported - (r.created + r.updated + r.unchanged))
        with transaction.atomic():
            ImportRun.objects.filter(pk=self.run.pk).update(
                state=state,
                counts=r.counts(),
                warnings=r.warnings[:MAX_WARNINGS],
                finished_at=timezone.now() if state == ImportRun.State.FINISHED else None,
                updated_at=timezone.now(),
            )
            record(
                "site.imported",
                site=self.site,
                actor=self.actor,
                reason=f"{self.source.label} import of {self.source.path.name}"
                + ("" if state == ImportRun.State.FINISHED else f" ({state})"),
                data={
                    "run": self.run.pk,
                    "source": self.source.name,
                    "file": self.source.path.name,
                    "state": state,
                    "total": r.total,
                    "resumed_from": r.resumed_from,
                    "position": r.position,
                    "not_in_file": r.not_in_file,
                    **r.counts(),
                },
            )

    def all_stories(self) -> None:
        """Civility's own export: every story comes back, with comments or not (in the file's
        order, so their ids keep their order), before the comments."""
        for keys in self.spool.thread_keys(500):
            batch = _Batch()
            threads = self.check_threads(keys, batch)
            good = [k for k in keys if not threads[k]["skip"]]
            with transaction.atomic():
                self.stories(threads, good, batch)
            for key, story_id in batch.stories.items():
                self.spool.set_thread(key, story_id=story_id)
            self.result.stories_created += batch.stories_created
            for message in batch.warnings:
                self.warn(message)

    def run_all(self) -> ImportResult:
        with Spool() as self.spool:
            self.scan()
            self.start_run()
            self.progress.scanned(self.result, self.threads_in_file)
            try:
                if self.source.keeps_empty_threads and not self.result.resumed_from:
                    self.all_stories()
                self.stream()
            except ImportFormatError as exc:  # the file changed since the scan, or went away
                ImportRun.objects.filter(pk=self.run.pk).update(state=ImportRun.State.INTERRUPTED)
                stopped = ImportFormatError(
                    f"{exc} (after {self.result.position:,} comments were imported; fix the"
                    " file and run the command again to resume)"
                )
                stopped.partial = True  # type: ignore[attr-defined]
                raise stopped from None
            except KeyboardInterrupt:
                self.result.interrupted = True
                self.finish(ImportRun.State.INTERRUPTED)
                raise ImportInterrupted(self.result) from None
            except BaseException:
                ImportRun.objects.filter(pk=self.run.pk).update(state=ImportRun.State.INTERRUPTED)
                raise
            self.result.position = self.result.total
            self.progress.advanced(self.result)
            self.finish(ImportRun.State.FINISHED)
        return self.result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def import_comments(
    *,
    site: Site,
    data: ImportData | None = None,
    source: Source | None = None,
    actor: Any = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    restart: bool = False,
) -> ImportResult:
    """Import ``source`` (a file's reader) or ``data`` (an export in memory) into ``site``.

    Raises ImportFormatError (nothing written) when the file is refused, ImportRefused when
    another run of the same file is in progress, and ImportInterrupted on Ctrl-C (the batches
    written so far stay; the same call again resumes)."""
    if source is None:
        if data is None:
            raise ValueError("import_comments needs a source or data")
        source = MemorySource(data)
    importer = _Importer(
        site=site,
        source=source,
        actor=actor,
        batch_size=batch_size,
        progress=progress,
        restart=restart,
    )
    return importer.run_all()
