"""`civility backup [PATH]` and `civility restore PATH [--force]`: the whole database, one file.

- **SQLite** (the default setup): SQLite's online backup API (`sqlite3.Connection.backup`) copies
  the database in one step inside one read transaction, so the copy is consistent while the
  server keeps writing (WAL lets writers go on meanwhile). The copy is a self-contained SQLite
  file (no -wal beside it), checked with `PRAGMA integrity_check` before it is kept.
- **PostgreSQL** (`DATABASE_URL=postgres://…`): `pg_dump --format=custom` (a consistent snapshot
  too), restored with `pg_restore --clean --if-exists --single-transaction`, so a failed restore
  leaves the database as it was. Both tools must be on PATH (the `postgresql-client` package) and
  no older than the server.

A backup holds readers' personal data: it is written readable by its owner only. `restore`
refuses a file that is not a Civility backup for the configured database, and refuses to
overwrite a database that holds data unless `--force` is given; stop the server while restoring.
Every refusal is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables `migrate` fills by itself: a database with rows only here is still empty.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
# A Civility database has these (any version since the first).
CIVILITY_TABLES = {"django_migrations", "comments_comment", "accounts_user"}


class BackupError(Exception):
    """A refusal or failure, told to the operator in one line."""


def _database() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.DATABASES["default"])


def _engine(db: dict[str, Any]) -> str:
    engine = str(db.get("ENGINE", ""))
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"cannot back up a {engine} database (SQLite and PostgreSQL only)")


def _default_target(engine: str, path: str | None) -> Path:
    from django.conf import settings

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"civility-{stamp}.{'sqlite3' if engine == 'sqlite' else 'pgdump'}"
    if path is None:
        folder = Path(settings.DATA_DIR) / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name
    target = Path(path)
    if target.is_dir():
        return target / name
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent} to write the backup into")
    return target


def _private(path: Path) -> None:
    path.chmod(0o600)


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {name for (name,) in rows}


def _sqlite_tables_with_rows(conn: sqlite3.Connection) -> list[str]:
    full = []
    for table in sorted(_sqlite_tables(conn) - BOOKKEEPING):
        quoted = '"' + table.replace('"', '""') + '"'
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted})").fetchone()[0]:  # noqa: S608
            full.append(table)
    return full


def backup_sqlite(db: dict[str, Any], target: Path) -> None:
    source = Path(db["NAME"])
    if not source.is_file():
        raise BackupError(f"no database at {source}: nothing to back up")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, inside one read transaction, so
            # concurrent writers never make it start over and the copy is one moment's state.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if problem != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {problem}")
    _private(partial)
    os.replace(partial, target)


def _open_sqlite_backup(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is a damaged SQLite file")
        if not CIVILITY_TABLES <= _sqlite_tables(conn):
            raise BackupError(f"{path} is an SQLite database, but not a Civility one")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(f"{path} cannot be read as SQLite: {exc}") from None
    except BackupError:
        conn.close()
        raise
    return conn


def restore_sqlite(db: dict[str, Any], backup: Path, force: bool) -> None:
    target = Path(db["NAME"])
    src = _open_sqlite_backup(backup)
    try:
        if target.exists():
            check = sqlite3.connect(target, timeout=30)
            try:
                full = _sqlite_tables_with_rows(check)
            finally:
                check.close()
            if full and not force:
                raise BackupError(
                    f"the database {target} holds data ({len(full)} tables have rows); "
                    "stop the server and pass --force to replace it"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")  # what the server runs with
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"could not write {target}: {exc}") from None
    finally:
        src.close()
    _private(target)


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for the configured database: the password stays out of argv."""
    env = dict(os.environ)
    pairs = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
        "PGSSLMODE": (db.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({k: str(v) for k, v in pairs.items() if v not in (None, "")})
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools "
            "(e.g. apt-get install postgresql-client)"
        )
    return found


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{Path(cmd[0]).name} failed: {detail}")
    return done.stdout


def backup_postgresql(db: dict[str, Any], target: Path) -> None:
    pg_dump = _tool("pg_dump")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _run([pg_dump, "--format=custom", f"--file={partial}"], _pg_env(db))
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    _private(partial)
    os.replace(partial, target)


def _pg_tables_with_rows(db: dict[str, Any]) -> list[str]:
    import psycopg
    from psycopg import sql

    try:
        conn = psycopg.connect(
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname=db.get("NAME"),
            connect_timeout=10,
        )
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"cannot connect to the database {db.get('NAME')!r}: {first}") from None
    full = []
    with conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        for (table,) in sorted(tables):
            if table in BOOKKEEPING:
                continue
            query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
            if row is not None and row[0]:
                full.append(table)
    return full


def restore_postgresql(db: dict[str, Any], backup: Path, force: bool) -> None:
    pg_restore = _tool("pg_restore")
    env = _pg_env(db)
    listing = _run([pg_restore, "--list", str(backup)], env)
    if " TABLE " not in listing or "comments_comment" not in listing:
        raise BackupError(f"{backup} is a pg_dump archive, but not of a Civility database")
    full = _pg_tables_with_rows(db)
    if full and not force:
        raise BackupError(
            f"the database {db.get('NAME')!r} holds data ({len(full)} tables have rows); "
            "stop the server and pass --force to replace it"
        )
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={db.get('NAME')}",
            str(backup),
        ],
        env,
    )


# --- commands ----------------------------------------------------------------------------------


def backup(path: str | None = None) -> Path:
    db = _database()
    engine = _engine(db)
    target = _default_target(engine, path)
    if engine == "sqlite":
        backup_sqlite(db, target)
    else:
        backup_postgresql(db, target)
    return target


def restore(path: str, *, force: bool = False) -> None:
    db = _database()
    engine = _engine(db)
    backup_file = Path(path)
    if not backup_file.is_file():
        raise BackupError(f"{backup_file}: no such file")
    with backup_file.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(PGDUMP_MAGIC):
        kind = "postgresql"
    elif head == SQLITE_MAGIC:
        kind = "sqlite"
    else:
        raise BackupError(
            f"{backup_file} is not a Civility backup (neither an SQLite database nor a "
            "pg_dump custom-format archive)"
        )
    if kind != engine:
        described = {"sqlite": "an SQLite backup", "postgresql": "a PostgreSQL dump"}[kind]
        raise BackupError(
            f"{backup_file} is {described}, but the configured database is {engine} "
            "(DATABASE_URL); restore it where it came from"
        )
    if engine == "sqlite":
        restore_sqlite(db, backup_file, force)
    else:
        restore_postgresql(db, backup_file, force)


def _settings() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")


def backup_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="civility backup",
        description="Back up the database to one file; safe while the server runs.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="file or folder to write (default: CIVILITY_DATA_DIR/backups/civility-<time>.*)",
    )
    args = parser.parse_args(argv)
    _settings()
    try:
        target = backup(args.path)
    except BackupError as exc:
        print(f"civility backup: {exc}", file=sys.stderr)
        return 2
    print(f"backed up to {target} ({target.stat().st_size:,} bytes)")
    return 0


def restore_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="civility restore",
        description="Restore the database from a `civility backup` file (stop the server first).",
    )
    parser.add_argument("path", help="the backup file")
    parser.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    args = parser.parse_args(argv)
    _settings()
    try:
        restore(args.path, force=args.force)
    except BackupError as exc:
        print(f"civility restore: {exc}", file=sys.stderr)
        return 2
    print(f"restored {args.path}; run `civility manage migrate` if it came from an older version")
    return 0
