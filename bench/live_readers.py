"""Live readers vs everyone else: do open live-update streams starve other requests?

    python bench/live_readers.py [--readers 120] [--requests 10]

Starts `civility serve` (2 workers, default threads and live streams), opens N live-update
streams on one story (as N readers with the article open would), then times M new readers'
requests made at the same time. Before live streams had threads and a cap of their own, 40 open
streams took every thread and most new requests waited for a stream to end (up to 55 s).
Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import thread_bench  # noqa: E402  (same directory: its setup and helpers)

PORT = 18735


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--readers", type=int, default=120, help="live streams to open")
    ap.add_argument("--requests", type=int, default=10, help="new requests to time meanwhile")
    ap.add_argument("--timeout", type=float, default=8.0, help="give up on a request after this")
    args = ap.parse_args()
    print(
        f"command: python bench/live_readers.py --readers {args.readers} --requests {args.requests}"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="civility-live-"))
    (tmp / "civility").mkdir()
    env = {
        **os.environ,
        "CIVILITY_DATA_DIR": str(tmp / "civility"),
        "CIVILITY_SECRET_KEY": "bench",
        "CIVILITY_REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/7"),
        "PYTHONPATH": str(HERE.parent),
    }
    env.pop("DATABASE_URL", None)
    info = thread_bench.setup_civility(tmp / "civility", env, thread_bench.make_thread()[:10], PORT)
    server = subprocess.Popen(
        [sys.executable, "-m", "civility", "serve", "--bind", f"127.0.0.1:{PORT}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "serve.log", "w"),
    )
    try:
        thread_bench.wait_http(f"http://127.0.0.1:{PORT}/api/v1/stories/{info['story']}")
        streams = []
        for _ in range(args.readers):
            s = socket.create_connection(("127.0.0.1", PORT))
            s.sendall(
                f"GET /api/v1/stories/{info['story']}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Accept: text/event-stream\r\n\r\n".encode()
            )
            streams.append(s)
        time.sleep(1.5)
        kinds: Counter[str] = Counter()
        for s in streams:
            s.settimeout(0.3)
            try:
                head = s.recv(65536).decode(errors="replace")
                if not head.startswith("HTTP/1.1 200"):
                    kinds["error"] += 1
                elif "retry: 15000" in head:
                    kinds["answered, told to poll"] += 1
                else:
                    kinds["streaming"] += 1
            except TimeoutError:
                kinds["no answer yet"] += 1

        def timed(_: int) -> float | None:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=args.timeout)
                conn.request("GET", f"/api/v1/stories/{info['story']}")
                conn.getresponse().read()
                return 1000 * (time.perf_counter() - started)
            except OSError:
                return None

        with concurrent.futures.ThreadPoolExecutor(args.requests) as pool:
            times = list(pool.map(timed, range(args.requests)))
        done = sorted(t for t in times if t is not None)
        print(f"live readers: {args.readers} -> {dict(kinds)}")
        print(
            f"new requests meanwhile: {len(done)}/{args.requests} answered within "
            f"{args.timeout:g} s; slowest {max(done):.0f} ms"
            if done
            else "none answered"
        )
        for s in streams:
            s.close()
    finally:
        server.send_signal(signal.SIGINT)  # quick shutdown: open streams need not end first
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            print("the server took over 20 s to stop; killed it")
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
