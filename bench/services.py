"""What the benchmarks start and stop: free ports, a Redis and a PostgreSQL cluster of their own,
`civility serve` and `civility worker`, a fresh database. One copy, imported by every bench
script (bench/faults.py, cluster.py, import_bench.py, tasks_bench.py, webhooks_outage.py), so a
fix to how one of them starts reaches all.

Everything listens on 127.0.0.1 on a free port and is removed by its ``stop()``; nothing here
touches the machine's own PostgreSQL or Redis except `fresh_database`, which creates (and
drops first) one database of the bench's own on the server it is given.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CIVILITY = [sys.executable, "-m", "civility"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 90) -> None:
    """Until ``url`` answers (any status), or RuntimeError after ``timeout`` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - our own local server
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def summary(values: list[float]) -> dict[str, float]:
    """Median, p90 and max (ms figures, rounded to 0.1); {} for no values."""
    if not values:
        return {}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {
        "median": round(statistics.median(ordered), 1),
        "p90": round(p90, 1),
        "max": round(ordered[-1], 1),
    }


def wait_port(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


class Redis:
    """A redis-server of the bench's own (no persistence), in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.dir = free_port(), workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port)

    def info(self, section: str) -> dict[str, str]:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), "INFO", section],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
        return {k: v.strip() for k, v in pairs}

    def stop(self) -> None:
        """Kill it (SIGKILL: what a crash looks like to Civility); start() brings it back."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class Postgres:
    """A throwaway cluster of the bench's own (initdb/pg_ctl from /usr/lib/postgresql, run as the
    postgres user when we are root), so stopping it disturbs nothing else on the machine."""

    def __init__(self, workdir: Path, options: str = "") -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("bench: PostgreSQL server binaries not found in /usr/lib/postgresql")
        self.bin = bins[-1]
        self.port = free_port()
        self.options = options
        self.data = workdir / "pg"
        self.sock = workdir / "pgsock"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        for d in (self.data, self.sock):
            d.mkdir(parents=True, exist_ok=True)
            if self.as_user:
                shutil.chown(d, "postgres", "postgres")
        if self.as_user:
            shutil.chown(workdir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def url(self, role: str = "postgres", db: str = "civility") -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        if self.options:
            opts += " " + self.options
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l",
                  str(self.data / "server.log"), "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def psql(self, sql: str, db: str = "civility") -> str:
        return subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
             "-At", "-c", sql],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    def create_db(self, name: str = "civility") -> None:
        self.psql(f"CREATE DATABASE {name}", db="postgres")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])


def fresh_database(url: str | None, tmp: Path, name: str = "civility_bench") -> str:
    """A DATABASE_URL for an empty database: SQLite in ``tmp`` when ``url`` is empty, else the
    database ``name`` (dropped first if it is there) on the PostgreSQL server ``url`` names."""
    if not url:
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def civility_env(tmp: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bench's Civility processes: its own data folder and database."""
    return {
        **os.environ,
        "CIVILITY_DATA_DIR": str(tmp),
        "DATABASE_URL": database_url,
        "CIVILITY_SECRET_KEY": "bench-only",
        "PYTHONPATH": str(REPO),
        **extra,
    }


def setup_django(env: dict[str, str]) -> None:
    """Django in this process, on ``env``'s database, migrated."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civility.settings"
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """A `civility worker` process (its output dropped)."""
    return subprocess.Popen(
        [*CIVILITY, "worker", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class Server:
    """`civility serve` on a free port, in a process group of its own (stopped as a whole)."""

    def __init__(
        self, env: dict[str, str], workers: int = 2, log: Path | None = None, port: int = 0
    ) -> None:
        self.port, self.env, self.workers, self.log = port or free_port(), env, workers, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, extra_env: dict[str, str] | None = None, timeout: float = 120.0) -> None:
        env = {**self.env, **(extra_env or {})}
        stderr: IO[Any] | int = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*CIVILITY, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers",
             str(self.workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )  # fmt: skip
        wait_port(self.port, timeout)

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.proc = None
