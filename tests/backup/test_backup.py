"""`civility backup` / `civility restore` on real databases, through the real command line.

SQLite: a writer process keeps committing comments (each with its audit entry, in one
transaction) while the backup runs; the restored database is one consistent moment of the
source. PostgreSQL: the same against databases this test creates and drops on the server at
CIVILITY_TEST_PG (skipped only if no server answers).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("CIVILITY_TEST_PG", "postgres://postgres@127.0.0.1:5432/civility")

WRITER = r"""
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
import django
django.setup()
from django.db import transaction
from civility.accounts.models import User
from civility.comments.actions import store_comment
from civility.comments.models import Site, Story

site, _ = Site.objects.get_or_create(slug="news", defaults={"name": "News"})
story, _ = Story.objects.get_or_create(site=site, url="https://news.example/a")
user, _ = User.objects.get_or_create(username="writer", defaults={"display_name": "W"})
start = int(sys.argv[2])
n = start
while not os.path.exists(sys.argv[1]) and n < start + int(sys.argv[3]):
    with transaction.atomic():
        store_comment(story=story, author=user, body=f"comment {n}", status="approved",
                      announce=False)
    n += 1
    if n == start + 20:
        print("writing", flush=True)
print(n, flush=True)
"""


def _env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["CIVILITY_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def civility(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "civility", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _refused(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one line, no traceback
    assert words in lines[0], lines[0]


def _write(env: dict[str, str], stop: Path, start: int, limit: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop), str(start), str(limit)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _backup_while_writing(env: dict[str, str], path: Path, tmp: Path) -> tuple[int, int]:
    """Back up while a writer commits; returns (comments committed before the backup started,
    comments committed when the writer stopped after it)."""
    stop = tmp / f"stop-{uuid.uuid4().hex}"
    writer = _write(env, stop, 1000, 100_000)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing", writer.stderr
        _ok(civility("backup", str(path), env=env))
        time.sleep(0.3)  # and it goes on writing after the backup
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    return 1020, int(out.strip().splitlines()[-1])


def _dump(rows: list[tuple[Any, ...]]) -> set[str]:
    return {json.dumps(list(r), default=str, sort_keys=True) for r in rows}


def _check_snapshot(
    restored: dict[str, set[str]],
    source: dict[str, set[str]],
    query: Any,
    lo: int,
    hi: int,
) -> None:
    """The restored tables are one moment of the source: nothing the source does not have, a
    prefix of the writer's comments, each with the audit entry written in its transaction.

    ``query(sql)`` runs a query on the restored database."""
    assert set(restored) == set(source)
    for table, rows in restored.items():
        assert rows <= source[table], table
    bodies = [b for (b,) in query("SELECT body FROM comments_comment") if b.startswith("comment ")]
    numbers = sorted(int(b.split()[1]) for b in bodies)
    assert numbers == list(range(1000, 1000 + len(numbers))), "the copy mixes two moments"
    assert lo <= 1000 + len(numbers) < hi, (lo, 1000 + len(numbers), hi)
    [(audited,)] = query(
        "SELECT count(*) FROM moderation_auditentry WHERE action = 'comment.created'"
    )
    [(comments,)] = query("SELECT count(*) FROM comments_comment")
    assert audited == comments


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_tables(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: _dump(conn.execute(f'SELECT * FROM "{n}"').fetchall()) for n in names}  # noqa: S608
    finally:
        conn.close()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("source")
    _ok(civility("manage", "migrate", "--noinput", env=_env(data)))
    return data


def test_sqlite_backup_while_writing_restores_into_a_fresh_data_dir(migrated, tmp_path):
    env = _env(migrated)
    backup = tmp_path / "snapshot.sqlite3"
    lo, hi = _backup_while_writing(env, backup, tmp_path)
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert not Path(str(backup) + "-wal").exists()  # one self-contained file

    fresh = tmp_path / "fresh"
    fresh_env = _env(fresh)
    out = _ok(civility("restore", str(backup), env=fresh_env))
    assert "restored" in out
    restored_db = fresh / "civility.sqlite3"
    source_db = migrated / "civility.sqlite3"

    def query(q: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{restored_db}?mode=ro", uri=True)
        try:
            return conn.execute(q).fetchall()
        finally:
            conn.close()

    _check_snapshot(_sqlite_tables(restored_db), _sqlite_tables(source_db), query, lo, hi)

    # The restored data dir serves: the server's own code reads it.
    check = civility(
        "manage",
        "shell",
        "-c",
        "from civility.comments.models import Comment; print(Comment.objects.count())",
        env=fresh_env,
    )
    assert int(_ok(check).strip().splitlines()[-1]) >= 20

    # Not over data without --force; with it, a quiet backup restores every row as it was.
    _refused(civility("restore", str(backup), env=fresh_env), "holds data")
    quiet = tmp_path / "quiet.sqlite3"
    _ok(civility("backup", str(quiet), env=env))
    _ok(civility("restore", "--force", str(quiet), env=fresh_env))
    assert _sqlite_tables(restored_db) == _sqlite_tables(source_db)


def test_backup_to_the_default_place_and_into_a_folder(migrated, tmp_path):
    env = _env(migrated)
    out = _ok(civility("backup", env=env))
    made = Path(out.split(" to ", 1)[1].split(" (")[0])
    assert made.parent == migrated / "backups" and made.suffix == ".sqlite3"
    out = _ok(civility("backup", str(tmp_path), env=env))
    assert Path(out.split(" to ", 1)[1].split(" (")[0]).parent == tmp_path


def test_restore_refuses_wrong_files(migrated, tmp_path):
    env = _env(tmp_path / "target")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all" * 10)
    _refused(civility("restore", str(junk), env=env), "not a Civility backup")
    _refused(civility("restore", str(tmp_path / "nope"), env=env), "no such file")
    pg = tmp_path / "dump.pgdump"
    pg.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    _refused(civility("restore", str(pg), env=env), "PostgreSQL dump, but the configured")
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.commit()
    conn.close()
    _refused(civility("restore", str(other), env=env), "not a Civility one")
    assert not (tmp_path / "target" / "civility.sqlite3").exists()
    _refused(civility("backup", str(tmp_path / "no" / "dir.db"), env=_env(migrated)), "no folder")
    # An SQLite backup is refused by a PostgreSQL configuration (before any connection).
    sqlite_backup = tmp_path / "b.sqlite3"
    _ok(civility("backup", str(sqlite_backup), env=_env(migrated)))
    pg_env = _env(tmp_path / "pg", "postgres://postgres@127.0.0.1:1/none")
    _refused(civility("restore", str(sqlite_backup), env=pg_env), "SQLite backup, but")


def test_missing_postgresql_tools_are_one_line(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    env = _env(tmp_path / "d", "postgres://postgres@127.0.0.1:1/none", PATH=str(bare))
    _refused(civility("backup", str(tmp_path / "x.pgdump"), env=env), "pg_dump not found")
    dump = tmp_path / "x.pgdump"
    dump.write_bytes(b"PGDMP" + b"\x00" * 100)
    _refused(civility("restore", str(dump), env=env), "pg_restore not found")


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_admin() -> Any:
    import psycopg

    u = urlparse(PG_URL)
    try:
        return psycopg.connect(
            host=u.hostname,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL answers at {u.hostname}:{u.port}: {exc}")


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two empty databases of our own (source, target) on the test server; dropped after."""
    admin = _pg_admin()
    names = [f"civility_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    u = urlparse(PG_URL)
    base = f"{u.scheme}://{u.netloc}/"
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        yield base + names[0], base + names[1]
    finally:
        for name in names:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def _pg_tables(url: str) -> dict[str, set[str]]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        return {
            n: _dump(conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(n))).fetchall())
            for n in names
        }


@pytest.mark.postgres
def test_postgresql_backup_while_writing_and_restore(pg_databases, tmp_path):
    source_url, target_url = pg_databases
    env = _env(tmp_path / "src", source_url)
    _ok(civility("manage", "migrate", "--noinput", env=env))
    dump = tmp_path / "db.pgdump"
    lo, hi = _backup_while_writing(env, dump, tmp_path)
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    target_env = _env(tmp_path / "dst", target_url)
    _ok(civility("restore", str(dump), env=target_env))

    def query(q: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(target_url) as conn:
            return conn.execute(q).fetchall()

    _check_snapshot(_pg_tables(target_url), _pg_tables(source_url), query, lo, hi)
    check = civility(
        "manage",
        "shell",
        "-c",
        "from civility.comments.models import Comment; print(Comment.objects.count())",
        env=target_env,
    )
    assert int(_ok(check).strip().splitlines()[-1]) >= 20

    _refused(civility("restore", str(dump), env=target_env), "holds data")
    quiet = tmp_path / "quiet.pgdump"
    _ok(civility("backup", str(quiet), env=env))
    _ok(civility("restore", "--force", str(quiet), env=target_env))
    assert _pg_tables(target_url) == _pg_tables(source_url)
    # An SQLite backup is refused here.
    sqlite_file = tmp_path / "x.sqlite3"
    sqlite3.connect(sqlite_file).close()
    sqlite_file.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    _refused(civility("restore", str(sqlite_file), env=target_env), "SQLite backup, but")
