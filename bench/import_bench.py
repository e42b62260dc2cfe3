"""Import benchmark: a generated Disqus export of N comments imported into a running site while
readers keep posting through the API.

    python bench/import_bench.py --comments 1000000          # the issue's target
    python bench/import_bench.py --comments 100000 --comments 300000   # several sizes, one run

For each size it:

1. streams a Disqus export of N comments to a temporary .xml.gz (never held in memory): threads
   first, then posts in time order over ~50 threads open at a time, ~25 comments a thread, a
   third of them replies (up to depth 7), 2% deleted (text and author blanked, some with
   replies), 1% spam, paragraphs, line breaks, links with shortened text, some code; authors by
   Disqus username, by name and e-mail, and some under the placeholder none@wordpress.disqus.net;
2. starts `civility serve` (2 workers, SQLite in WAL by default; --db postgres for a database of
   its own on postgres://postgres@127.0.0.1:5432) on a fresh data folder, with a site, a story
   and a reader;
3. posts one comment every 1/--rate seconds through POST /api/v1/stories/<id>/comments (bearer
   token, unique bodies), first --baseline seconds without an import, then during it;
4. runs `civility import disqus FILE --site bench` and samples its resident memory (VmRSS)
   every 0.2 s, with the import's own progress (a line per 10%);
5. reports comments/s (whole command, and the import phase after the scan), the importer's CPU
   time (user + system, from wait4: a figure that does not depend on what else the machine
   runs), its peak RSS and its RSS at each 10%, the longest batch transaction, and the posts'
   p50/p99/max latency and failures before and during the import; checks every comment and
   every acknowledged post is in the database.

Writes bench/out/import_bench-<N>-<db>.json. Not a test: the figures depend on the machine and
on what else runs on it (the report names both).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
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
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from services import free_port, wait_port  # noqa: E402 - bench/ is not a package

OUT = HERE / "out"
CIVILITY = [sys.executable, "-m", "civility"]
ORIGIN = "https://bench.example"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
WORDS = (
    "the council vote bus lane main street traffic commute business delivery cyclists riders "
    "city budget transit plan residents meeting report numbers morning evening parking stop "
    "route enforcement camera fine shops survey data ridership safety access paint road people "
    "think agree disagree fair point honestly really better worse years months week"
).split()
PLACEHOLDER = "none@wordpress.disqus.net"


# --- the export ----------------------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 18))).capitalize() + "."


def _message(rng: random.Random, n: int) -> str:
    paragraphs = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        text = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.15:
            text += "<br>" + _sentence(rng)
        if rng.random() < 0.08:
            url = f"https://github.com/example/project/issues/{n}#issuecomment-{n * 7}"
            text += (
                f' See <a href="{url}" rel="nofollow noopener">https://github.com/example/...</a>'
            )
        paragraphs.append(f"<p>{text}</p>")
    if rng.random() < 0.02:
        paragraphs.append("<pre><code>def f(x):\n    return x * 2\n</code></pre>")
    return "".join(paragraphs)


def generate(path: Path, comments: int, seed: int = 17) -> dict[str, int]:
    """Stream a Disqus export of ``comments`` posts to ``path`` (gzip)."""
    rng = random.Random(seed)
    threads = max(1, comments // 25)
    stats = {"comments": comments, "threads": threads, "replies": 0, "deleted": 0, "spam": 0}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com"'
                  ' xmlns:dsq="http://disqus.com/disqus-internals">\n'
                  '<category dsq:id="1"><forum>bench</forum><title>General</title></category>\n')  # fmt: skip
        for t in range(threads):
            out.write(
                f'<thread dsq:id="{t}"><id/><forum>bench</forum><category dsq:id="1"/>'
                f"<link>{ORIGIN}/2024/story-{t}</link><title>Story {t}</title><message/>"
                "<createdAt>2024-01-01T00:00:00Z</createdAt><author><name/><email/>"
                "<isAnonymous>true</isAnonymous><username/></author><ipAddress/>"
                "<isClosed>false</isClosed><isDeleted>false</isDeleted></thread>\n"
            )
        # ~50 threads take comments at a time; each keeps its recent posts (for replies) and
        # their depth, so memory stays small whatever the size.
        active: list[tuple[int, list[tuple[int, int]]]] = []
        next_thread = 0
        start = 1_600_000_000
        for n in range(1, comments + 1):
            while len(active) < 50 and next_thread < threads:
                active.append((next_thread, []))
                next_thread += 1
            slot = rng.randrange(len(active)) if active else 0
            if not active:
                active.append((rng.randrange(threads), []))
            tid, posts = active[slot]
            parent = None
            depth = 0
            if posts and rng.random() < 0.35:
                parent, parent_depth = rng.choice(posts[-10:])
                if parent_depth >= 7:
                    parent = None
                else:
                    depth = parent_depth + 1
                    stats["replies"] += 1
            posts.append((n, depth))
            if len(posts) >= rng.randint(15, 35):
                active.pop(slot)
            roll = rng.random()
            deleted, spam = roll < 0.02, 0.02 <= roll < 0.03
            stats["deleted"] += deleted
            stats["spam"] += spam
            who = n % 50_000
            if deleted:
                author = "<email/><name/><isAnonymous>true</isAnonymous><username/>"
                message = ""
            else:
                if who % 5 < 2:
                    author = (f"<email>u{who}@mail.example</email><name>User {who}</name>"
                              f"<isAnonymous>false</isAnonymous><username>user{who}</username>")  # fmt: skip
                elif who % 5 < 4:
                    author = (f"<email>g{who}@mail.example</email><name>Guest {who}</name>"
                              "<isAnonymous>true</isAnonymous><username/>")  # fmt: skip
                else:
                    author = (f"<email>{PLACEHOLDER}</email><name>Imported {who}</name>"
                              "<isAnonymous>true</isAnonymous><username/>")  # fmt: skip
                message = _message(rng, n)
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + n * 37))
            out.write(
                f'<post dsq:id="{n}"><id/><message><![CDATA[{message}]]></message>'
                f"<createdAt>{when}</createdAt><isDeleted>{str(deleted).lower()}</isDeleted>"
                f"<isSpam>{str(spam).lower()}</isSpam><author>{author}</author>"
                f"<ipAddress>10.{n % 256}.{(n >> 8) % 256}.{(n >> 16) % 256}</ipAddress>"
                f'<thread dsq:id="{tid}"/>'
                + (f'<parent dsq:id="{parent}"/>' if parent else "")
                + "</post>\n"
            )
        out.write("</disqus>\n")
    stats["bytes_gz"] = path.stat().st_size
    return stats


# --- the server and the readers posting -----------------------------------------------------


SETUP = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
django.setup()
from civility.accounts import tokens
from civility.accounts.models import User
from civility.comments.models import Site, Story
site = Site.objects.create(name="Bench", slug="bench", allowed_origins=["%s"],
                           premoderation="none", rate_limit_per_minute=100000,
                           ip_rate_limit_per_minute=100000)
story = Story.objects.create(site=site, url="%s/live", title="Live")
user = User.objects.create_user(username="live-reader", password="pw-live-reader-123")
print(story.pk, tokens.issue(user))
""" % (ORIGIN, ORIGIN)  # noqa: UP031


class Poster(threading.Thread):
    """One new comment every 1/rate seconds, each on its own thread (a slow answer does not
    delay the next post), every answer timed and kept with the phase it was sent in."""

    def __init__(self, port: int, story: int, token: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.port, self.story, self.token, self.rate = port, story, token, rate
        self.phase = "baseline"
        self.records: list[dict[str, Any]] = []
        self.stop_event = threading.Event()
        self.n = 0

    def post(self, n: int, phase: str) -> None:
        body = json.dumps({"body": f"Live comment {n} while the import is {phase}."}).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/stories/{self.story}/comments",
            data=body,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        rec: dict[str, Any] = {"n": n, "phase": phase, "status": 0}
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                rec["status"] = resp.status
                resp.read()
        except urllib.error.HTTPError as exc:
            rec["status"] = exc.code
            rec["error"] = exc.read()[:200].decode(errors="replace")
        except OSError as exc:
            rec["error"] = type(exc).__name__
        rec["seconds"] = time.monotonic() - started
        self.records.append(rec)

    def run(self) -> None:
        gap = 1.0 / self.rate
        next_at = time.monotonic()
        workers: list[threading.Thread] = []
        while not self.stop_event.is_set():
            self.n += 1
            t = threading.Thread(target=self.post, args=(self.n, self.phase), daemon=True)
            t.start()
            workers.append(t)
            next_at += gap
            time.sleep(max(0.0, next_at - time.monotonic()))
        for t in workers:
            t.join(35)


def latency(records: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(r["seconds"] for r in records)
    failures = [r for r in records if r["status"] != 201]
    if not times:
        return {"posts": 0}

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))] * 1000, 1)

    return {
        "posts": len(records),
        "failures": len(failures),
        "failure_examples": [(r["status"], r.get("error", "")) for r in failures[:5]],
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(times[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(times) * 1000, 1),
    }


# --- one size ------------------------------------------------------------------------------


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a live process, in KiB."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                fields[key] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def run_size(args: argparse.Namespace, comments: int, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    export = work / f"disqus-{comments}.xml.gz"
    print(f"== {comments:,} comments: generating {export.name} …", flush=True)
    t0 = time.monotonic()
    file_stats = generate(export, comments)
    file_stats["generate_seconds"] = round(time.monotonic() - t0, 1)
    print(f"   {file_stats}", flush=True)

    env = {**os.environ, "CIVILITY_DATA_DIR": str(work / "data"),
           "CIVILITY_SECRET_KEY": "import-bench-secret", "PYTHONPATH": str(REPO)}  # fmt: skip
    env.pop("CIVILITY_REDIS_URL", None)
    pg_db = None
    if args.db == "postgres":
        pg_db = f"civility_import_bench_{os.getpid()}"
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {pg_db}"], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
    else:
        env.pop("DATABASE_URL", None)
    subprocess.run([*CIVILITY, "manage", "migrate", "-v", "0"], env=env, check=True)
    out = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    story, token = out.stdout.split()

    port = free_port()
    server = subprocess.Popen(
        [*CIVILITY, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    report: dict[str, Any] = {"comments": comments, "file": file_stats}
    try:
        wait_port(port, 180)
        poster = Poster(port, int(story), token, args.rate)
        poster.post(0, "warm-up")  # the server loads the model on its first post
        poster.records.clear()
        poster.start()
        time.sleep(args.baseline)
        poster.phase = "importing"
        command = [*CIVILITY, "import", "disqus", str(export), "--site", "bench"]
        if args.batch_size:
            command += ["--batch-size", str(args.batch_size)]
        print(f"   $ {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        samples: list[tuple[float, int]] = []
        progress: list[dict[str, Any]] = []
        peak = 0
        scan_done: float | None = None
        stderr_lines: list[str] = []

        def read_stderr() -> None:
            nonlocal scan_done
            assert proc.stderr is not None
            for line in proc.stderr:
                stderr_lines.append(line)
                now = time.monotonic() - started
                if scan_done is None and " comments in " in line:
                    scan_done = now
                m = re.match(r"(\d+)%: ([\d,]+) of", line)
                if m:
                    rss = samples[-1][1] if samples else 0
                    progress.append({"percent": int(m.group(1)), "seconds": round(now, 1),
                                     "done": int(m.group(2).replace(",", "")),
                                     "rss_mib": round(rss / 1024, 1)})  # fmt: skip
                    print(f"   {line.strip()}  (RSS {rss / 1024:.0f} MiB)", flush=True)

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        usage = None
        while usage is None:
            # wait4: the importer's own CPU time and peak RSS from the kernel when it ends,
            # whatever else the machine runs.
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                usage, proc.returncode = rusage, os.waitstatus_to_exitcode(status)
                break
            try:
                rss, hwm = rss_kib(proc.pid)
            except (FileNotFoundError, ProcessLookupError):
                continue
            samples.append((time.monotonic() - started, rss))
            peak = max(peak, hwm)
            time.sleep(0.2)
        stdout = proc.stdout.read() if proc.stdout else ""
        reader.join(10)
        elapsed = time.monotonic() - started
        poster.phase = "after"
        time.sleep(2)
        poster.stop_event.set()
        poster.join(60)
        if proc.returncode:
            raise SystemExit(f"import failed ({proc.returncode}):\n{''.join(stderr_lines)[-3000:]}")
        print("   " + stdout.strip().replace("\n", "\n   "), flush=True)
        import_seconds = elapsed - (scan_done or 0)
        batches = re.search(
            r"([\d,]+) batches; the longest write transaction took ([\d.]+) s", stdout
        )
        report.update(
            command=" ".join(["civility", *command[3:]]),
            seconds=round(elapsed, 1),
            scan_seconds=round(scan_done or 0, 1),
            comments_per_second=round(comments / elapsed, 1),
            comments_per_second_after_scan=round(comments / import_seconds, 1),
            importer_peak_rss_mib=round(max(peak, usage.ru_maxrss) / 1024, 1),
            importer_cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1),
            importer_cpu_ms_per_comment=round(
                1000 * (usage.ru_utime + usage.ru_stime) / comments, 2
            ),
            batches=int(batches.group(1).replace(",", "")) if batches else None,
            longest_write_transaction_s=float(batches.group(2)) if batches else None,
            importer_rss_by_progress=progress,
            summary=stdout.strip(),
            posts={
                phase: latency([r for r in poster.records if r["phase"] == phase])
                for phase in ("baseline", "importing")
            },
        )
        report["check"] = check(env, args.db, comments, poster.records)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if pg_db:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {pg_db}"])
    return report


def check(env: dict[str, str], db: str, comments: int, records: list[dict[str, Any]]) -> Any:
    """Every imported comment and every acknowledged post is stored."""
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE','civility.settings');"
        "django.setup()\nfrom civility.comments.models import Comment\n"
        "print(Comment.objects.filter(source_key__isnull=False).count(),"
        " Comment.objects.filter(source_key__isnull=True).count())"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    imported, live = (int(x) for x in out.stdout.split())
    acknowledged = sum(1 for r in records if r["status"] == 201)
    return {
        "imported_rows": imported,
        "expected_rows": comments,
        "live_rows": live,
        "acknowledged_posts": acknowledged,
        "ok": imported == comments and live == acknowledged + 1,  # + the warm-up post
    }


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, action="append",
                        help="size of the export (repeat for several; default 1,000,000)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=5.0, help="API posts per second")
    parser.add_argument("--baseline", type=float, default=15.0, help="seconds of posts first")
    parser.add_argument("--batch-size", type=int, default=0, help="the importer's (default its)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    sizes = args.comments or [1_000_000]
    if args.db == "postgres" and not shutil.which("psql"):
        raise SystemExit("import_bench: --db postgres needs psql")
    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="civility-import-bench-"))
    results = {"machine": machine(), "argv": sys.argv[1:], "db": args.db, "runs": []}
    try:
        for n in sizes:
            report = run_size(args, n, work / str(n))
            results["runs"].append(report)
            shutil.rmtree(work / str(n), ignore_errors=not args.keep)
            name = OUT / f"import_bench-{n}-{args.db}.json"
            name.write_text(json.dumps({**results, "runs": [report]}, indent=2) + "\n")
            print(f"   wrote {name.relative_to(REPO)}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary(results), indent=2))
    return 0


def summary(results: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine": results["machine"],
        "db": results["db"],
        "runs": [
            {
                "comments": r["comments"],
                "command": r["command"],
                "seconds": r["seconds"],
                "comments_per_second": r["comments_per_second"],
                "comments_per_second_after_scan": r["comments_per_second_after_scan"],
                "importer_peak_rss_mib": r["importer_peak_rss_mib"],
                "importer_cpu_seconds": r["importer_cpu_seconds"],
                "importer_cpu_ms_per_comment": r["importer_cpu_ms_per_comment"],
                "batches": r["batches"],
                "longest_write_transaction_s": r["longest_write_transaction_s"],
                "rss_mib_at": {p["percent"]: p["rss_mib"] for p in r["importer_rss_by_progress"]},
                "posts_baseline": r["posts"]["baseline"],
                "posts_during_import": r["posts"]["importing"],
                "check": r["check"],
            }
            for r in results["runs"]
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
