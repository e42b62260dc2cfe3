"""Loopback load benchmark of comments:analyze and the Coral hook, against `civility serve`.

    python bench/perspective_bench.py [--rate 100] [--seconds 10] [--workers 2] [--threads 8]

Starts the production server (`civility serve`: gunicorn gthread) on 127.0.0.1 with a throwaway
SQLite database, creates an API key and a Coral-configured site, then measures:
  1. open loop at --rate req/s on comments:analyze (latency from each request's scheduled time,
     so queueing counts), p50/p99 vs the 100 ms target;
  2. closed loop, --concurrency connections as fast as possible: the endpoint's req/s;
  3. open loop on /coral/moderate at --coral-rate req/s: p99 vs Coral's 200 ms default timeout;
  4. the engine alone in this process: texts/s batched (32) and one at a time.
Texts are the 2,000 perspective-wikipedia-2k comments (read in place) when present.
Every loop is bounded in time and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import hmac
import http.client
import io
import json
import os
import platform
import queue
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASET = (
    REPO.parent
    / "shared/datasets/perspective-wikipedia-2k/perspective_wikipedia_2k_score_sample_20180829.csv.gz"
)
CORAL_SECRET = "ssc_bench-secret"
FALLBACK = [
    "Thanks for the thoughtful article, I learned a lot.",
    "You are an idiot and nobody wants you here.",
    "The council vote was 5-4, which surprised me given the polling.",
    "What a stupid take, go back to school.",
    "I disagree with the premise but the data section is solid.",
]


def texts() -> list[str]:
    if DATASET.exists():
        with gzip.open(DATASET, "rb") as fh:
            rows = csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8"))
            out = [r["comment_text"].encode()[:20000].decode(errors="ignore") for r in rows]
        return [t for t in out if t.strip()]
    return FALLBACK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


class Target:
    def __init__(self, port: int, path: str, bodies: list[bytes], headers: list[dict[str, str]]):
        self.port, self.path, self.bodies, self.headers = port, path, bodies, headers

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def send(self, conn: http.client.HTTPConnection, i: int) -> int:
        k = i % len(self.bodies)
        conn.request("POST", self.path, body=self.bodies[k], headers=self.headers[k])
        resp = conn.getresponse()
        resp.read()
        return resp.status


def send_or_reconnect(target: Target, conn, i: int):
    """One request; a dropped connection counts as status -1 and is replaced."""
    try:
        return conn, target.send(conn, i)
    except (OSError, http.client.HTTPException):
        conn.close()
        return target.connection(), -1


def open_loop(target: Target, rate: float, seconds: float, workers: int = 48) -> dict:
    """Requests scheduled every 1/rate s; latency measured from the scheduled time."""
    jobs: queue.Queue = queue.Queue()
    lat: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker() -> None:
        conn = target.connection()
        while True:
            job = jobs.get()
            if job is None:
                return
            i, scheduled = job
            conn, status = send_or_reconnect(target, conn, i)
            done = time.perf_counter()
            with lock:
                lat.append(done - scheduled)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((i, scheduled))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(timeout=15)
    elapsed = time.perf_counter() - start
    return summary(lat, statuses, elapsed, n)


def closed_loop(target: Target, concurrency: int, seconds: float) -> dict:
    lat: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def worker() -> None:
        conn = target.connection()
        while time.perf_counter() < stop:
            i = next(counter)
            t0 = time.perf_counter()
            conn, status = send_or_reconnect(target, conn, i)
            with lock:
                lat.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 15)
    return summary(lat, statuses, time.perf_counter() - start, len(lat))


def summary(lat: list[float], statuses: dict[int, int], elapsed: float, n: int) -> dict:
    return {
        "requests": n,
        "completed": len(lat),
        "req_per_s": len(lat) / elapsed if elapsed else 0.0,
        "p50_ms": pct(lat, 50) * 1000,
        "p90_ms": pct(lat, 90) * 1000,
        "p99_ms": pct(lat, 99) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"),
        "statuses": statuses,
    }


def fmt(name: str, r: dict) -> str:
    return (
        f"{name:<38} {r['completed']:>5}/{r['requests']:<5} {r['req_per_s']:7.1f} req/s  "
        f"p50 {r['p50_ms']:6.1f} ms  p90 {r['p90_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
        f"max {r['max_ms']:6.1f} ms  status {r['statuses']}"
    )


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (
        f"{platform.node()} | {os.cpu_count()} CPUs ({cpu}) | Python {platform.python_version()}"
        f" | load average before: {' '.join(f'{x:.2f}' for x in load)}"
    )


def engine_throughput(sample: list[str], seconds: float = 3.0) -> tuple[float, float, str]:
    sys.path.insert(0, str(REPO))
    from civility.perspective.engine import get_scorer

    scorer = get_scorer()
    scorer.score(sample[:32])
    done, start = 0, time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        batch = [sample[(i + k) % len(sample)] for k in range(32)]
        scorer.score(batch)
        done += 32
        i += 32
    batched = done / (time.perf_counter() - start)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        scorer.score([sample[done % len(sample)]])
        done += 1
    single = done / (time.perf_counter() - start)
    return batched, single, scorer.version


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--closed-seconds", type=float, default=8.0)
    ap.add_argument("--coral-rate", type=float, default=50.0)
    ap.add_argument("--coral-seconds", type=float, default=6.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    print("command:", " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]))
    print("machine:", machine())

    data = tempfile.mkdtemp(prefix="persp-bench-")
    env = {
        **os.environ,
        "CIVILITY_DATA_DIR": data,
        "CIVILITY_SECRET_KEY": "bench-only",
        "CIVILITY_LOG_LEVEL": "ERROR",
    }
    env.pop("DATABASE_URL", None)
    py = [sys.executable, "-m", "civility"]
    subprocess.run([*py, "manage", "migrate", "-v0"], env=env, check=True, cwd=REPO)
    key = subprocess.run(
        [*py, "apikey", "create", "bench", "--qps", "100000"],
        env=env, check=True, cwd=REPO, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    setup = (
        "from civility.cli import setup_django; setup_django();"
        "from civility.comments.models import Site;"
        "Site.objects.create(name='Bench', slug='bench', premoderation='none',"
        f"settings={{'coral': {{'signing_secrets': ['{CORAL_SECRET}']}}}})"
    )
    subprocess.run([sys.executable, "-c", setup], env=env, check=True, cwd=REPO)

    port = free_port()
    server = subprocess.Popen(
        [*py, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(args.threads)],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    print(f"server: civility serve --workers {args.workers} --threads {args.threads} (gthread)")
    try:
        deadline = time.time() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/v1alpha1/comments:analyze")
                conn.getresponse().read()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    print("server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.3)

        sample = texts()
        random.Random(7).shuffle(sample)
        analyze_bodies = [
            json.dumps(
                {
                    "comment": {"text": t},
                    "languages": ["en"],
                    "requestedAttributes": {"TOXICITY": {}, "INSULT": {}, "THREAT": {}},
                    "doNotStore": True,
                }
            ).encode()
            for t in sample[:500]
        ]
        hdr = {"Content-Type": "application/json"}
        analyze = Target(
            port, f"/v1alpha1/comments:analyze?key={key}", analyze_bodies, [hdr] * len(sample)
        )
        coral_bodies, coral_headers = [], []
        for i, t in enumerate(sample[:500]):
            body = json.dumps(
                {
                    "action": "NEW",
                    "comment": {"body": t, "parentID": None},
                    "author": {"id": f"u{i}", "role": "COMMENTER"},
                    "story": {"id": "s1", "url": "https://news.example/a"},
                    "site": {"id": "site1"},
                    "tenantID": "t1",
                    "tenantDomain": "news.example",
                },
                indent=2,
            ).encode()
            sig = hmac.new(CORAL_SECRET.encode(), body, hashlib.sha256).hexdigest()
            coral_bodies.append(body)
            coral_headers.append({**hdr, "X-Coral-Signature": f"sha256={sig}"})
        coral = Target(port, "/coral/moderate/bench", coral_bodies, coral_headers)

        closed_loop(analyze, 4, 2.0)  # warm up every worker and its batcher
        closed_loop(coral, 4, 3.0)  # and the moderation checks (their own model handle)
        print(f"texts: {len(sample)} comments from perspective-wikipedia-2k"
              if DATASET.exists() else "texts: built-in sample")  # fmt: skip
        r1 = open_loop(analyze, args.rate, args.seconds)
        print(fmt(f"analyze open loop @{args.rate:g} req/s", r1))
        r2 = closed_loop(analyze, args.concurrency, args.closed_seconds)
        print(fmt(f"analyze closed loop, {args.concurrency} conns", r2))
        r3 = open_loop(coral, args.coral_rate, args.coral_seconds)
        print(fmt(f"coral hook open loop @{args.coral_rate:g} req/s", r3))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    batched, single, version = engine_throughput(sample[:512])
    print(
        f"engine alone ({version}): {batched:.0f} texts/s batched (32), {single:.0f} texts/s one by one"
    )
    ok1 = r1["p99_ms"] <= 100
    ok3 = r3["p99_ms"] <= 200
    print(f"target analyze p99 <= 100 ms at {args.rate:g} req/s: {'MET' if ok1 else 'MISSED'}"
          f" ({r1['p99_ms']:.1f} ms); coral p99 <= 200 ms: {'MET' if ok3 else 'MISSED'}"
          f" ({r3['p99_ms']:.1f} ms)")  # fmt: skip
    print(f"endpoint closed-loop req/s / engine batched texts/s = {r2['req_per_s'] / batched:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
