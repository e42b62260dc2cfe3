"""Imports in batches: an interrupted import resumes where its last batch ended (nothing lost,
nothing twice), and the live site keeps taking comments while an import runs (SQLite too).

The subprocess tests run `civility import` as its own process on this test's database, as an
operator does next to a running server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from civility.comments.models import Comment, Site, Story
from civility.imports.actions import ImportInterrupted, ImportResult, import_comments
from civility.imports.models import ImportRun
from civility.imports.parsers import DisqusSource
from tests.imports.builders import disqus, disqus_post, disqus_thread

NEWS = "https://news.example"
REPO = Path(__file__).resolve().parents[2]


def generated_export(path: Path, comments: int, threads: int = 20) -> dict[str, str | None]:
    """A Disqus export of ``comments`` posts; a third are replies, some of which come before
    their parent in the file (as when Disqus orders by id but a comment was moved). Returns
    each post's parent."""
    parents: dict[str, str | None] = {}
    for i in range(1, comments + 1):
        parent = None
        if i % 3 == 0 and i > 3:
            parent = str(i - 2)
        if i % 17 == 0 and i + 4 <= comments:
            parent = str(i + 4)  # the parent is further down the file
        parents[str(i)] = parent

    def thread(key: str) -> int:  # a reply is on its parent's thread
        parent = parents[key]
        return thread(parent) if parent else int(key) % threads

    posts = [
        disqus_post(
            key,
            str(thread(key)),
            f'<p>Comment number {key} with a <a href="https://ref.example/{key}">link</a></p>',
            created=f"2025-{1 + int(key) % 12:02d}-{1 + int(key) % 28:02d}T{int(key) % 24:02d}:00:00Z",
            parent=parent,
            name=f"Reader {int(key) % 37}",
            email=f"reader{int(key) % 37}@mail.example",
        )
        for key, parent in parents.items()
    ]
    path.write_text(
        disqus(
            *(disqus_thread(str(t), f"{NEWS}/story-{t}", f"Story {t}") for t in range(threads)),
            *posts,
        )  # fmt: skip
    )
    return parents


def assert_complete(site: Site, parents: dict[str, str | None]) -> None:
    rows = {
        c.source_key.split(":")[-1]: c
        for c in Comment.objects.filter(story__site=site, source_key__isnull=False)
    }
    assert len(rows) == len(parents)
    for key, parent in parents.items():
        got = rows[key].parent
        assert (got.source_key.split(":")[-1] if got else None) == parent, key
        assert rows[key].depth == (rows[parent].depth + 1 if parent else 0)


class StopAfter:
    """Ctrl-C after ``batches`` batches, as an operator's would."""

    def __init__(self, batches: int) -> None:
        self.left = batches

    def scanned(self, result: ImportResult, threads: int) -> None:
        pass

    def advanced(self, result: ImportResult) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt

    def warn(self, message: str) -> None:
        pass


@pytest.fixture
def site(db) -> Site:
    return Site.objects.create(
        name="News",
        slug="news",
        allowed_origins=[NEWS],
        premoderation="none",
        rate_limit_per_minute=100_000,
        ip_rate_limit_per_minute=100_000,
    )


def test_interrupted_import_resumes_without_losing_or_doubling(site, tmp_path):
    path = tmp_path / "export.xml"
    parents = generated_export(path, 200)

    with pytest.raises(ImportInterrupted) as stop:
        import_comments(site=site, source=DisqusSource(path), batch_size=15, progress=StopAfter(5))
    first = stop.value.result
    run = ImportRun.objects.get()
    assert run.state == "interrupted" and 0 < run.position < 200
    written = Comment.objects.filter(story__site=site).count()
    assert first.created == written > 0
    assert run.counts["created"] == written
    # The checkpoint never passes a reply still waiting for its parent further down.
    waiting_before = {int(k) - 1 for k, p in parents.items() if p and int(p) > int(k)}
    stored = set(Comment.objects.values_list("source_key", flat=True))
    for pos in waiting_before:
        if pos < run.position:
            assert f"{site.pk}:disqus:{pos + 1}" in stored

    again = import_comments(site=site, source=DisqusSource(path), batch_size=15)
    assert again.run_id == run.pk and again.resumed_from == run.position
    assert again.created == 200 and again.unchanged == 0 and not again.skipped
    assert_complete(site, parents)
    assert ImportRun.objects.get().state == "finished"

    # And a third run of the same file finds everything in place.
    third = import_comments(site=site, source=DisqusSource(path), batch_size=50)
    assert third.run_id != run.pk and (third.created, third.unchanged) == (0, 200)


def _cli_env() -> dict[str, str]:
    """`civility` in a subprocess, on this test's database."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{s['NAME']}"
    else:
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO)}


def _start(path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "civility", "import", "disqus", str(path), "--site", "news",
         *extra],
        env=_cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _wait_for_progress(proc: subprocess.Popen[str], at_least: int, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        position = ImportRun.objects.filter(state="running").values_list("position", flat=True)
        if position and position[0] >= at_least:
            return position[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the import made no progress")


@pytest.mark.django_db(transaction=True)
def test_killed_or_interrupted_cli_import_resumes(site, tmp_path):
    path = tmp_path / "export.xml"
    parents = generated_export(path, 3000)

    # Killed outright (a crash, an OOM kill): the last committed batch is where it resumes.
    proc = _start(path, "--batch-size", "20")
    _wait_for_progress(proc, 200)
    proc.kill()
    proc.wait()
    run = ImportRun.objects.get()
    assert run.state == "running" and run.position > 0  # nobody could say otherwise
    assert Comment.objects.count() >= run.position - 200

    # Ctrl-C: a clean stop, said in one line, exit status 130.
    proc = _start(path, "--batch-size", "20")
    at = _wait_for_progress(proc, run.position + 200)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert f"resuming import #{run.pk} at comment {run.position:,}" in err
    assert "interrupted after" in err and "run the same command again to resume" in err
    run.refresh_from_db()
    assert run.state == "interrupted" and run.position >= at

    proc = _start(path)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert f"resuming import #{run.pk}" in err
    assert out.startswith("imported 3,000 comments into 20 new stories"), out
    assert_complete(site, parents)


@pytest.mark.django_db(transaction=True)
def test_the_site_takes_comments_through_the_api_during_an_import(site, tmp_path, make_token):
    """Before: the import was one transaction, and a post during it failed with "database is
    locked" after 6 s. Now each batch commits on its own and posts get their turn between."""
    story = Story.objects.create(site=site, url=f"{NEWS}/live", title="Live")
    client = Client(headers={"Authorization": f"Bearer {make_token()}"})

    def post(n: int) -> tuple[int, float]:
        started = time.monotonic()
        r = client.post(
            f"/api/v1/stories/{story.pk}/comments",
            data={"body": f"Posted live during the import, number {n}."},
            content_type="application/json",
        )
        return r.status_code, time.monotonic() - started

    assert post(0)[0] == 201  # warm: the model is loaded before the clock starts
    path = tmp_path / "export.xml"
    generated_export(path, 2500)
    proc = _start(path, "--batch-size", "100")
    _wait_for_progress(proc, 100)
    answers: list[tuple[int, float]] = []
    while_importing = 0  # posts answered while the import was still running
    n = 0
    while proc.poll() is None and n < 60:
        n += 1
        answers.append(post(n))
        while_importing += proc.poll() is None
        time.sleep(0.05)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert while_importing >= 5, "the import ended before the posts"
    assert [code for code, _ in answers] == [201] * len(answers)
    # None waited for its turn anywhere near the write queue's bound (5 s, then 503).
    assert max(seconds for _, seconds in answers) < 4.0
    assert Comment.objects.filter(story=story).count() == len(answers) + 1
    assert Comment.objects.filter(source_key__isnull=False).count() == 2500
    # A post whose score came late was decided on the late-score thread: let it finish and
    # close that thread's connection (PostgreSQL will not drop a database in use).
    from django.db import connections

    from civility.comments.actions import _late_executor

    _late_executor.submit(connections.close_all).result(timeout=120)


@pytest.fixture
def make_token(db):
    from civility.accounts import tokens
    from civility.accounts.models import User

    def make() -> str:
        user = User.objects.create_user(username="live-reader", password="pw-live-reader-1")
        return tokens.issue(user)

    return make
