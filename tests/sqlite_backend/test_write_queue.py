"""civility.sqlite_backend: writes queue for their turn instead of sleeping in SQLite's busy
handler, transactions that only read never take it, the turn is always handed back (commit,
rollback, close), and nobody waits for it longer than WAIT_SECONDS (WriteQueueBusy, 503)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test import Client

from civility.accounts.models import User
from civility.comments.models import Comment, Site, Story
from civility.moderation import actions
from civility.moderation.models import SiteMembership
from civility.sqlite_backend import base
from civility.sqlite_backend.base import WriteLock, WriteQueueBusy

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the write queue is part of the SQLite backend only"
)

HOLDER = Path(__file__).with_name("hold_write_turn.py")
# Room for a loaded machine on top of the bound; the bound is what is checked.
MARGIN = 3.0


def _lock() -> WriteLock:
    return connection._write_lock()  # type: ignore[attr-defined,no-any-return]


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run fn on a thread with its own connection; its result or exception lands in the dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            out["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


class Import:
    """A long write transaction on a thread of its own, as an import of a big file holds one."""

    def __init__(self, site: Site) -> None:
        self.holding, self.finish = threading.Event(), threading.Event()

        def run() -> None:
            with transaction.atomic():
                Story.objects.create(site=site, url="https://q.example/imported")
                self.holding.set()
                self.finish.wait(60)  # held until the test says the import is over

        self.thread, self.out = _in_thread(run)
        assert self.holding.wait(30), self.out

    def end(self) -> None:
        self.finish.set()
        self.thread.join(30)
        assert "error" not in self.out


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def desk(transactional_db: None) -> dict[str, Any]:
    site = Site.objects.create(name="Q", slug="q", allowed_origins=["*"], premoderation="none")
    story = Story.objects.create(site=site, url="https://q.example/story", title="Story")
    moderator = User.objects.create_user(username="mod", password="pw-mod")
    SiteMembership.objects.create(site=site, user=moderator, role="moderator")
    author = User.objects.create_user(username="reader", password="pw-reader")
    pending = Comment.objects.create(
        story=story, author=author, body="held", html="<p>held</p>", status="pending"
    )
    return {"site": site, "story": story, "moderator": moderator, "pending": pending}


def test_the_turn_is_handed_back_after_commit_and_after_rollback(transactional_db):
    site = Site.objects.create(name="Q", slug="q")
    with transaction.atomic():
        Story.objects.create(site=site, url="https://q.example/1")
        assert _lock().locked()
    assert not _lock().locked()

    with pytest.raises(RuntimeError), transaction.atomic():
        Story.objects.create(site=site, url="https://q.example/2")
        raise RuntimeError("the view failed")
    assert not _lock().locked()
    assert list(Story.objects.values_list("url", flat=True)) == ["https://q.example/1"]


def test_many_threads_writing_at_once_all_land(transactional_db):
    """8 threads x 25 read-then-write transactions: none fails, every row lands, and the
    transactions ran one after another (each locks the site first, as code that writes what it
    read must: reads before the first write see the latest commit, not a frozen snapshot)."""
    site = Site.objects.create(name="Q", slug="q")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with transaction.atomic():
                    Site.objects.select_for_update().get(pk=site.pk)
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
    assert not _lock().locked()


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
    with transaction.atomic():  # would wait WAIT_SECONDS and fail if the turn were still held
        Story.objects.create(site=site, url="https://q.example/kept")
    assert list(Story.objects.values_list("url", flat=True)) == ["https://q.example/kept"]


def test_a_transaction_that_only_reads_never_takes_the_turn(transactional_db):
    site = Site.objects.create(name="Q", slug="q")
    with transaction.atomic():
        assert Story.objects.filter(site=site).count() == 0
        assert not _lock().locked()
        # Another writer proceeds while this transaction is open (it would wait the whole
        # WAIT_SECONDS and fail if reading had taken the turn) ...
        t, out = _in_thread(lambda: Story.objects.create(site=site, url="https://q.example/w"))
        t.join(base.WAIT_SECONDS + MARGIN)
        assert not t.is_alive() and "error" not in out
        # ... and what it wrote is seen by the next read here (as in READ COMMITTED).
        assert Story.objects.filter(site=site).count() == 1
        assert not _lock().locked()
        Story.objects.create(site=site, url="https://q.example/mine")  # the first write
        assert _lock().locked()
    assert not _lock().locked()


def test_reads_go_on_while_an_import_holds_the_turn(transactional_db):
    site = Site.objects.create(name="Q", slug="q")
    Story.objects.create(site=site, url="https://q.example/old")
    long_import = Import(site)
    try:
        with transaction.atomic():
            assert list(Story.objects.values_list("url", flat=True)) == ["https://q.example/old"]
        assert Story.objects.count() == 1
    finally:
        long_import.end()
    assert Story.objects.count() == 2


def test_select_for_update_serialises_read_modify_write(transactional_db):
    """Two threads add 1 to a counter 50 times each, reading it with select_for_update()."""
    site = Site.objects.create(name="Q", slug="q")
    counter = Story.objects.create(site=site, url="https://q.example/counter", title="0")

    def bump() -> None:
        for _ in range(50):
            with transaction.atomic():
                story = Story.objects.select_for_update().get(pk=counter.pk)
                story.title = str(int(story.title) + 1)
                story.save(update_fields=["title"])

    runs = [_in_thread(bump) for _ in range(2)]
    for t, out in runs:
        t.join(60)
        assert not t.is_alive() and "error" not in out
    counter.refresh_from_db()
    assert counter.title == "100"


def test_select_for_update_needs_a_transaction_as_on_postgresql(transactional_db):
    with pytest.raises(TransactionManagementError):
        list(Site.objects.select_for_update())


def test_a_moderator_action_waits_at_most_the_bound_behind_a_long_import(desk):
    """The import holds the write turn far longer than WAIT_SECONDS: the moderator's approve
    gives up after WAIT_SECONDS with WriteQueueBusy, and changes nothing."""
    long_import = Import(desk["site"])
    try:
        started = time.monotonic()
        with pytest.raises(WriteQueueBusy):
            actions.approve(desk["moderator"], desk["pending"].pk)
        waited = time.monotonic() - started
    finally:
        long_import.end()
    assert base.WAIT_SECONDS - 0.5 <= waited <= base.WAIT_SECONDS + MARGIN
    desk["pending"].refresh_from_db()
    assert desk["pending"].status == "pending"
    assert not _lock().locked()


def test_a_moderator_action_goes_through_when_the_import_ends_within_the_bound(desk):
    long_import = Import(desk["site"])
    try:
        started = time.monotonic()
        t, out = _in_thread(lambda: actions.approve(desk["moderator"], desk["pending"].pk))
        _wait_until(lambda: _lock().waiting > 0)  # the approve waits for its turn
    finally:
        long_import.end()
    t.join(base.WAIT_SECONDS + MARGIN)
    assert "error" not in out, out
    assert time.monotonic() - started <= base.WAIT_SECONDS + MARGIN
    desk["pending"].refresh_from_db()
    assert desk["pending"].status == "approved"


class OtherProcess:
    """hold_write_turn.py: an import in another process, through the same backend."""

    def __init__(self) -> None:
        name = str(connection.settings_dict["NAME"])
        self.proc = subprocess.Popen(  # noqa: S603 - our own script
            [sys.executable, str(HOLDER), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "holding"

    def end(self) -> None:
        out, _ = self.proc.communicate("\n", timeout=30)
        assert self.proc.returncode == 0 and out.strip() == "done"


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """A shorter bound where the test is about something else than its length."""
    monkeypatch.setattr(base, "WAIT_SECONDS", 2.0)
    yield 2.0


def test_the_bound_holds_behind_another_process_and_the_turn_moves_on(desk, short_wait):
    first = OtherProcess()
    try:
        started = time.monotonic()
        with pytest.raises(WriteQueueBusy):
            actions.approve(desk["moderator"], desk["pending"].pk)
        assert time.monotonic() - started <= short_wait + MARGIN
    finally:
        first.end()
    keeper = _lock()._keeper_thread
    assert keeper is not None
    # Nobody here waits any more, so this process lets go of the file at once: the next
    # process gets its turn (it would fail after its own 5 s otherwise).
    second = OtherProcess()
    try:
        t, out = _in_thread(lambda: actions.approve(desk["moderator"], desk["pending"].pk))
        _wait_until(lambda: _lock().waiting > 0)
    finally:
        second.end()
    t.join(short_wait + MARGIN)
    assert "error" not in out, out
    desk["pending"].refresh_from_db()
    assert desk["pending"].status == "approved"
    # The same keeper waited for the file both times (a thread start per wait cost 2 % of a
    # worker's time in a burst).
    assert _lock()._keeper_thread is keeper and keeper.is_alive()


def _assert_busy(status: int, headers: Any, body: bytes) -> None:
    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    assert int(headers["Retry-After"]) >= 1
    assert json.loads(body)["error"]["code"] == "busy"


def test_the_desk_answers_503_busy_over_http(desk, live_server, short_wait):
    client = Client()
    client.force_login(desk["moderator"])
    session = client.cookies["sessionid"].value
    csrf = "a" * 32
    request = urllib.request.Request(  # noqa: S310 - the test server
        f"{live_server.url}/moderate/q/api/comments/{desk['pending'].pk}/approve",
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
        },
    )
    long_import = Import(desk["site"])
    try:
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310 - the test server
        assert time.monotonic() - started <= short_wait + MARGIN
    finally:
        long_import.end()
    _assert_busy(refused.value.code, refused.value.headers, refused.value.read())
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert json.loads(answer.read())["comment"]["status"] == "approved"


def test_the_api_answers_503_busy(desk, short_wait):
    long_import = Import(desk["site"])
    try:
        resp = Client().post(
            "/api/v1/stories",
            json.dumps({"site": "q", "url": "https://q.example/new"}),
            content_type="application/json",
        )
    finally:
        long_import.end()
    _assert_busy(resp.status_code, resp.headers, resp.content)


def test_placeholders_convert_as_djangos_do_from_the_cache_too(db):
    # "%s" becomes "?" and "%%" a literal "%", the first time a text is seen and every time
    # after (the conversion is remembered); named parameters keep Django's own conversion.
    base._qmark.cache_clear()
    sql = "SELECT '100%%', %s, %s"
    with connection.cursor() as cursor:
        for value in ("a", "b"):
            cursor.execute(sql, [value, 2])
            assert cursor.fetchone() == ("100%", value, 2)
        cursor.execute("SELECT %(x)s, '5%%'", {"x": 7})
        assert cursor.fetchone() == (7, "5%")
    assert base._qmark.cache_info().hits >= 1
    assert Comment.objects.filter(body__contains="%").count() == 0  # the ORM's LIKE escapes
