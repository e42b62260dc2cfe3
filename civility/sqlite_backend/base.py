"""Django's SQLite backend, with writes queued for their turn instead of retried.

SQLite has one writer at a time. When a second connection wants to write, SQLite's busy handler
makes it sleep and retry with growing pauses (1, 2, 5, 10 ... 100 ms): under a burst of posts most
threads sit out whole pauses while the lock is free, and posts crawl (92 req/s, p99 1.5 s on the
2-core bench). Here a connection first takes its turn in a queue that wakes the next waiter the
moment the previous writer is done: a condition inside the process, then `flock` on a file beside
the database (so the gunicorn workers and `civility` commands queue too).

Only writes queue. `atomic()` does not begin a transaction on entry: its statements run in
autocommit mode until the first one that writes or means to (anything but a plain SELECT:
INSERT/UPDATE/DELETE, SAVEPOINT for a nested `atomic()`, DDL, or a SELECT ... FOR UPDATE). That
one takes the turn, then runs `BEGIN IMMEDIATE`, and the turn is held until commit, rollback or
close. A transaction that only reads never takes the turn, and never waits behind an import
(WAL readers do not block on the writer). Reads before the first write see the latest committed
data, as in PostgreSQL's READ COMMITTED; code that reads then writes what it read locks first with
`select_for_update()`, which here takes the turn (the whole database: any `of=` is covered).
(Finish a `.iterator()` before the first write: a read still open then pins an old snapshot, and
SQLite refuses the write with "database is locked".) A write outside `atomic()` takes the turn
for its one statement.

No connection waits longer than WAIT_SECONDS for its turn: it gets `WriteQueueBusy` (the API and
the desk answer 503 with Retry-After), so a moderator's click fails fast behind a long import
instead of hanging. In-memory databases keep Django's behaviour (no queue).
"""

from __future__ import annotations

import fcntl
import functools
import math
import os
import threading
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base, features, operations

# Longer than any single write transaction the product runs in a request; an import holds the
# turn for its whole file, and writes asked for meanwhile fail with WriteQueueBusy.
WAIT_SECONDS = 5.0

# What `select_for_update()` adds to a query here: a comment SQLite ignores, which marks the
# statement as a write (SQLite has no FOR UPDATE; the turn is the lock).
FOR_UPDATE = "/* FOR UPDATE */"


class WriteQueueBusy(OperationalError):
    """No write turn came within WAIT_SECONDS (e.g. an import holds it): try again later."""

    # What a client is told (503 with Retry-After).
    advice = "The database is busy with a long write (an import?); try again in a few seconds."
    retry_after = math.ceil(WAIT_SECONDS)


def writes(sql: str) -> bool:
    """Whether a statement needs the write turn: anything but a plain SELECT (or EXPLAIN)."""
    head = sql.lstrip(" \t\r\n(")[:7].upper()
    if head.startswith(("SELECT", "EXPLAIN")):
        return FOR_UPDATE in sql
    return True


class WriteLock:
    """The write turn for one database file, in this process.

    Threads wait on a condition (with a deadline). One thread per process, the keeper, blocks
    in `flock` on the file beside the database when asked; the kernel wakes it the moment
    another process lets go, and it hands the file lock to a waiting thread of this process (or
    lets go at once if nobody waits any more). The keeper lives as long as the process: started
    anew each time, it cost a thread start per write that found another process writing (2 % of
    a worker's GIL time in a burst of posts, py-spy).
    """

    _registry: dict[str, WriteLock] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def for_database(cls, name: str) -> WriteLock:
        with cls._registry_lock:
            lock = cls._registry.get(name)
            if lock is None:
                lock = cls._registry[name] = cls(f"{name}-writelock")
            return lock

    @classmethod
    def _after_fork(cls) -> None:
        # A forked worker starts with its own locks; it must not hold its parent's file lock open
        # (a file lock lasts while any descriptor of it does).
        for lock in cls._registry.values():
            if lock._fd is not None:
                os.close(lock._fd)
        cls._registry = {}
        cls._registry_lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path
        lock = threading.Lock()
        self._cond = threading.Condition(lock)
        self._fd: int | None = None
        self._busy = False  # a connection of this process holds the turn
        self._file_held = False  # this process holds the file lock
        self._keeper = False  # the keeper is asked to wait for the file lock, or waits in flock
        self._keeper_asked = threading.Condition(lock)  # wakes the keeper
        self._keeper_thread: threading.Thread | None = None
        self.waiting = 0  # threads of this process waiting for the turn

    def locked(self) -> bool:
        return self._busy

    def acquire(self) -> None:
        """Take the turn, or raise WriteQueueBusy after WAIT_SECONDS."""
        timeout = WAIT_SECONDS
        deadline = time.monotonic() + timeout
        with self._cond:
            self.waiting += 1
            try:
                while True:
                    if not self._busy:
                        if self._file_held:  # the keeper got it for us
                            self._busy = True
                            return
                        if not self._keeper:
                            if self._try_file():
                                self._busy = self._file_held = True
                                return
                            self._keeper = True
                            if self._keeper_thread is None or not self._keeper_thread.is_alive():
                                self._keeper_thread = threading.Thread(
                                    target=self._keep, name="civility-write-turn", daemon=True
                                )
                                self._keeper_thread.start()
                            self._keeper_asked.notify()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise WriteQueueBusy(
                            f"database is busy: no write turn within {timeout:g} s"
                        )
                    self._cond.wait(remaining)
            finally:
                self.waiting -= 1
                if not self.waiting and self._file_held and not self._busy:
                    self._unlock_file()

    def release(self) -> None:
        with self._cond:
            self._busy = False
            if self._file_held:
                self._unlock_file()
            # One waiter: the turn goes to one thread, and waking all of them (a burst has a
            # dozen) only made the rest take the GIL to find it taken and sleep again. A waiter
            # that times out as it is woken still takes a free turn (acquire checks first).
            self._cond.notify()

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def _try_file(self) -> bool:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock_file(self) -> None:
        self._file_held = False
        fcntl.flock(self._file(), fcntl.LOCK_UN)

    def _keep(self) -> None:
        """Each time it is asked: wait (blocking, without a deadline) for the file lock, for
        whoever waits then."""
        while True:
            with self._cond:
                while not self._keeper:
                    self._keeper_asked.wait()
            got = False
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
                got = True
            except OSError:
                time.sleep(0.01)  # the waiters' deadlines bound the wait; ask again on the next
            finally:
                with self._cond:
                    self._keeper = False
                    if got:
                        self._file_held = True
                        if not self.waiting:
                            self._unlock_file()
                    self._cond.notify_all()


os.register_at_fork(after_in_child=WriteLock._after_fork)


class DatabaseFeatures(features.DatabaseFeatures):
    # Emitted as FOR_UPDATE (see DatabaseOperations): the write turn locks the whole database,
    # which covers any `of=` and NO KEY. SKIP LOCKED too: whoever holds the turn finds no row
    # locked by anyone else, so there is nothing to skip (the task queue's workers claim tasks
    # with it, civility/tasks). NOWAIT stays unsupported.
    has_select_for_update = True
    has_select_for_update_of = True
    has_select_for_no_key_update = True
    has_select_for_update_skip_locked = True


class DatabaseOperations(operations.DatabaseOperations):
    def for_update_sql(
        self, nowait: bool = False, skip_locked: bool = False, of: Any = (), no_key: bool = False
    ) -> str:
        return FOR_UPDATE


@functools.lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    # Django's conversion from "%s" to "?", remembered: it ran a regular expression over every
    # statement's text each time (1.7 % of a worker's GIL time in a burst of posts, py-spy), and
    # a post's statements are the same few texts.
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class QueuedCursor(base.SQLiteCursorWrapper):
    """Takes the write turn before the first statement that writes (see the module docstring)."""

    db: DatabaseWrapper

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))

    def execute(self, query: str, params: Any = None) -> Any:
        self.db._before(query)
        try:
            return super().execute(query, params)
        finally:
            self.db._after()

    def executemany(self, query: str, param_list: Any) -> Any:
        self.db._before(query)
        try:
            return super().executemany(query, param_list)
        finally:
            self.db._after()


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._begin_pending = False  # in atomic(), no statement has written yet
        self._turn: WriteLock | None = None  # the write turn this connection holds

    def _write_lock(self) -> WriteLock | None:
        if self.is_in_memory_db():
            return None
        return WriteLock.for_database(os.path.abspath(str(self.settings_dict["NAME"])))

    def create_cursor(self, name: str | None = None) -> QueuedCursor:
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.db = self
        return cursor  # type: ignore[no-any-return]

    def _start_transaction_under_autocommit(self) -> None:
        if self._write_lock() is None:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in stubs
        else:
            self._begin_pending = True  # BEGIN comes with the first write (QueuedCursor)

    def _before(self, sql: str) -> None:
        if self._turn is not None or not writes(sql):
            return
        lock = self._write_lock()
        if lock is None:
            return
        lock.acquire()
        self._turn = lock
        if self._begin_pending:
            try:
                self.connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._hand_back()
                raise
            self._begin_pending = False

    def _after(self) -> None:
        # Outside atomic(), the turn lasts as long as the statement, or the transaction it opened.
        if self._turn is not None and not self.in_atomic_block:
            if not self.connection.in_transaction:
                self._hand_back()

    def _hand_back(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._begin_pending = False
            # A failed COMMIT leaves the transaction open: keep the turn until the rollback.
            if self.connection is None or not self.connection.in_transaction:
                self._hand_back()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._begin_pending = False
            self._hand_back()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._begin_pending = False
            self._hand_back()
