"""civility.sqlite_backend: write transactions queue for their turn instead of sleeping in
SQLite's busy handler, and the turn is always handed back (commit, rollback, close)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from civility.comments.models import Site, Story
from civility.sqlite_backend.base import WriteLock

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the write queue is part of the SQLite backend only"
)


def _lock() -> WriteLock:
    return connection._write_lock()  # type: ignore[attr-defined]


def test_the_turn_is_handed_back_after_commit_and_after_rollback(transactional_db):
    site = Site.objects.create(name="Q", slug="q")
    with transaction.atomic():
        Story.objects.create(site=site, url="https://q.example/1")
        assert _lock()._thread_lock.locked()
    assert not _lock()._thread_lock.locked()

    with pytest.raises(RuntimeError), transaction.atomic():
        Story.objects.create(site=site, url="https://q.example/2")
        raise RuntimeError("the view failed")
    assert not _lock()._thread_lock.locked()
    assert list(Story.objects.values_list("url", flat=True)) == ["https://q.example/1"]


def test_many_threads_writing_at_once_all_land(transactional_db):
    """8 threads x 25 read-then-write transactions: none fails with "database is locked", every
    row lands, and the transactions ran one after another."""
    site = Site.objects.create(name="Q", slug="q")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with transaction.atomic():
                    count = Story.objects.filter(site=site).count()
                    Story.objects.create(
                        site=site, url=f"https://q.example/{n}/{i}", title=str(count)
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Story.objects.filter(site=site).count() == 200
    # Each transaction saw every earlier one: the counts read inside them are 0..199, once each.
    titles = sorted(int(t) for t in Story.objects.values_list("title", flat=True))
    assert titles == list(range(200))
    assert not _lock()._thread_lock.locked()


def test_closing_a_connection_mid_transaction_hands_the_turn_back(transactional_db):
    site = Site.objects.create(name="Q", slug="q")
    done = threading.Event()

    def abandon() -> None:
        transaction.atomic().__enter__()  # never exited: a thread that died mid-transaction
        Story.objects.create(site=site, url="https://q.example/lost")
        connections["default"].close()
        done.set()

    t = threading.Thread(target=abandon)
    t.start()
    t.join(10)
    assert done.is_set()
    with transaction.atomic():  # would wait 5 s and fail if the turn were still held
        Story.objects.create(site=site, url="https://q.example/kept")
    assert list(Story.objects.values_list("url", flat=True)) == ["https://q.example/kept"]
