"""Fault drills: posts at a fixed rate while parts of the deployment fail, then an account.

    python bench/faults.py [--rate 20] [--phase 8] [--workers 2]

Starts everything it breaks itself, on free loopback ports, and removes it afterwards: its own
Redis (redis-server), its own PostgreSQL cluster (initdb/pg_ctl from /usr/lib/postgresql, as the
`postgres` user when run as root), and `civility serve` on them. A load thread posts one new
comment every 1/rate seconds through the public API (bearer token), each with a unique body;
phases in order, each --phase seconds:

  baseline -> redis killed (SIGKILL) -> redis restarted -> postgres stopped (fast shutdown)
  -> postgres started -> server restarted on a broken model artifact -> server restarted on the
  shipped model

It prints, per phase: posts sent, acknowledged (201), refused (4xx), failed (5xx or no answer);
then acknowledged vs stored vs lost (an acknowledged id missing from the database), comments
published without scores (must be 0), and the recovery time after each repair (first 201 after
the repair). Writes bench/out/faults.json. Not part of the test suite: it takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from services import Postgres, Redis, Server  # noqa: E402 - bench/ is not a package

REPO = HERE.parent
OUT = HERE / "out"
CIVILITY = [sys.executable, "-m", "civility"]


def manage(env: dict[str, str], code: str) -> str:
    """Run Python with Django set up against the drill's database; returns its stdout."""
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE','civility.settings');"
        "django.setup()\n" + code
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"faults: setup failed:\n{out.stderr[-3000:]}")
    return out.stdout


SETUP = """
from civility.accounts import tokens
from civility.accounts.models import User
from civility.comments.models import Site, Story
site = Site.objects.create(name="Drill", slug="drill", allowed_origins=["https://drill.example"],
                           premoderation="none", rate_limit_per_minute=100000,
                           ip_rate_limit_per_minute=100000)
story = Story.objects.create(site=site, url="https://drill.example/a", title="Drill")
user = User.objects.create_user(username="driller", password="pw-driller-123")
print(story.pk, tokens.issue(user))
"""


class Load(threading.Thread):
    """One post every 1/rate seconds; every answer recorded with the phase it was sent in."""

    def __init__(self, port_of: Any, story: int, token: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.port_of, self.story, self.token, self.rate = port_of, story, token, rate
        self.phase = "baseline"
        self.records: list[dict[str, Any]] = []
        self.stop_event = threading.Event()
        self.n = 0

    def post(self) -> None:
        self.n += 1
        n, phase, sent = self.n, self.phase, time.time()
        body = json.dumps({"body": f"Drill comment number {n}, sent during {phase}."}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port_of()}/api/v1/stories/{self.story}/comments",
            data=body,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        rec: dict[str, Any] = {"n": n, "phase": phase, "sent": sent, "status": 0, "id": None}
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                rec["status"] = resp.status
                rec["id"] = json.loads(resp.read())["comment"]["id"]
        except urllib.error.HTTPError as exc:
            rec["status"] = exc.code
        except (OSError, ValueError) as exc:
            rec["error"] = type(exc).__name__
        rec["answered"] = time.time()
        self.records.append(rec)

    def run(self) -> None:
        gap = 1.0 / self.rate
        pool: list[threading.Thread] = []
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            t = threading.Thread(target=self.post, daemon=True)
            t.start()
            pool.append(t)
            next_at += gap
            time.sleep(max(0.0, next_at - time.monotonic()))
        for t in pool:
            t.join(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second")
    parser.add_argument("--phase", type=float, default=8.0, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for tool in ("redis-server", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"faults: {tool} is not installed")
    work = Path(tempfile.mkdtemp(prefix="civility-faults-"))
    redis, pg = Redis(work), Postgres(work)
    broken = work / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    env = {
        **os.environ,
        "DATABASE_URL": pg.url(),
        "CIVILITY_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "CIVILITY_DATA_DIR": str(work / "data"),
        "CIVILITY_SECRET_KEY": "drill-secret-key-not-for-production-0123456789",
        "CIVILITY_LOG_LEVEL": "ERROR",
    }
    OUT.mkdir(exist_ok=True)
    server_log = OUT / "faults-server.log"
    server_log.write_bytes(b"")
    server = Server(env, args.workers, server_log)
    phases: list[tuple[str, float]] = []
    repairs: dict[str, float] = {}
    try:
        redis.start()
        pg.start()
        pg.create_db()
        subprocess.run(
            [*CIVILITY, "manage", "migrate", "-v", "0"], env=env, check=True
        )  # fmt: skip
        story, token = manage(env, SETUP).split()
        server.start()
        load = Load(lambda: server.port, int(story), token, args.rate)
        load.start()

        def phase(name: str, action: Any = None) -> None:
            load.phase = name  # what fails while the fault or repair happens counts here
            if action is not None:
                action()
            phases.append((name, time.time()))
            print(f"  {time.strftime('%H:%M:%S')} {name}", flush=True)
            time.sleep(args.phase)

        phase("baseline")
        phase("redis killed", redis.kill)
        phase("redis restarted", redis.start)
        repairs["redis restarted"] = phases[-1][1]  # when the repair was done
        phase("postgres stopped", pg.stop)
        phase("postgres started", pg.start)
        repairs["postgres started"] = phases[-1][1]  # when the repair was done

        def broken_model() -> None:
            server.stop()
            server.start({"CIVILITY_SCORING_ARTIFACT": str(broken)})

        def good_model() -> None:
            server.stop()
            server.start()

        phase("broken model", broken_model)
        repairs["broken model"] = phases[-1][1]  # when the repair was done
        phase("model restored", good_model)
        repairs["model restored"] = phases[-1][1]  # when the repair was done
        load.stop_event.set()
        load.join(30)
        time.sleep(3)  # let late decisions land
        acked = {r["id"] for r in load.records if r["status"] == 201}
        ids = ",".join(str(i) for i in sorted(acked)) or "0"
        stored_rows = json.loads(
            manage(
                env,
                "import json\nfrom civility.comments.models import Comment\n"
                f"rows = Comment.objects.filter(id__in=[{ids}])"
                ".values_list('id', 'status', 'scores', 'moderation_reasons')\n"
                "print(json.dumps([[i, s, bool(sc.get('scores')), "
                "[r.get('code') for r in mr]] for i, s, sc, mr in rows]))",
            )
        )
    finally:
        server.stop()
        redis.stop()
        try:
            pg.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(work, ignore_errors=True)

    stored = {row[0]: row for row in stored_rows}
    lost = sorted(acked - set(stored))
    unscored_published = [row[0] for row in stored_rows if row[1] == "approved" and not row[2]]
    per_phase: dict[str, dict[str, int]] = {}
    for r in load.records:
        p = per_phase.setdefault(r["phase"], {"sent": 0, "acked": 0, "4xx": 0, "failed": 0})
        p["sent"] += 1
        if r["status"] == 201:
            p["acked"] += 1
        elif 400 <= r["status"] < 500:
            p["4xx"] += 1
        else:
            p["failed"] += 1
    recovery = {}
    for name, at in repairs.items():
        firsts = [r["answered"] for r in load.records if r["status"] == 201 and r["sent"] >= at]
        recovery[name] = round(min(firsts) - at, 2) if firsts else None
    held_while_broken = sum(
        1
        for r in load.records
        if r["phase"] == "broken model" and r["status"] == 201 and r["id"] in stored
        and stored[r["id"]][1] == "pending"
    )  # fmt: skip
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    result = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "load": os.getloadavg(),
                    "python": platform.python_version()},
        "phases": per_phase,
        "acknowledged": len(acked),
        "stored": len(acked & set(stored)),
        "lost": lost,
        "published_unscored": unscored_published,
        "held_while_model_broken": held_while_broken,
        "recovery_seconds": recovery,
    }  # fmt: skip
    OUT.mkdir(exist_ok=True)
    (OUT / "faults.json").write_text(json.dumps(result, indent=2))
    print(f"\n$ python bench/{result['command']}")
    print(f"machine: {cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<18} {'sent':>5} {'201':>5} {'4xx':>5} {'failed':>6}")
    for name, _ in phases:
        p = per_phase.get(name, {"sent": 0, "acked": 0, "4xx": 0, "failed": 0})
        print(f"{name:<18} {p['sent']:>5} {p['acked']:>5} {p['4xx']:>5} {p['failed']:>6}")
    print(
        f"acknowledged {len(acked)}, stored {result['stored']}, lost {len(lost)}; "
        f"published unscored {len(unscored_published)}; held while the model was broken "
        f"{held_while_broken}"
    )
    print("recovery after repair (s): " + ", ".join(f"{k} {v}" for k, v in recovery.items()))
    kinds: dict[str, dict[str, int]] = {}
    for r in load.records:
        if r["status"] != 201:
            kind = str(r["status"]) if r["status"] else r.get("error", "no answer")
            by_phase = kinds.setdefault(r["phase"], {})
            by_phase[kind] = by_phase.get(kind, 0) + 1
    print("failures by kind: " + "; ".join(f"{p}: {k}" for p, k in kinds.items()))
    result["failure_kinds"] = kinds
    (OUT / "faults.json").write_text(json.dumps(result, indent=2))
    return 1 if lost or unscored_published else 0


if __name__ == "__main__":
    sys.exit(main())
