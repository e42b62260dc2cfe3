"""CPU per new comment of Isso in one process, for comparison with bench/post_profile.py.

The same bodies (thread_bench's sample of the shared datasets, fixed seed, each made unique),
posted through Isso's WSGI application with werkzeug's test client, in Isso's own venv, on a
fresh SQLite database in WAL with synchronous=NORMAL (as thread_bench serves it: the same
wrapper module, Isso's code unchanged); moderation and guard off. No HTTP server, so the figure
compares the two applications without gunicorn and threads around them:

    python bench/isso_post_profile.py --posts 500 [--isso-venv /tmp/isso-venv]
    python bench/post_profile.py --posts 500        # Civility, the same way (Django test client)

Measured 2026-12-01 on the 2-core Xeon, each interleaved with `post_profile` (500 posts):
Isso 4.96 / 4.98 and, later, 6.59 / 6.52 ms of CPU a post; Civility 4.56 / 3.86 and 5.69 / 5.38
ms (its post does more: token, standing, rate limit, duplicate check, word rules, audit entry,
live event). In the server (bench/RESULTS-comments.md) Civility's post costs more than Isso's:
what is lost is between the server and the application, not in the application alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import thread_bench  # noqa: E402 - bench/ is not a package

MEASURE = r'''
import json, os, sqlite3, sys, time
folder, posts = sys.argv[1], int(sys.argv[2])
with open(os.path.join(folder, "isso.cfg"), "w") as cfg:
    cfg.write(f"""[general]
dbpath = {folder}/isso.db
host = http://127.0.0.1:18732/
[moderation]
enabled = false
[guard]
enabled = false
[server]
listen = http://127.0.0.1:18732/
""")
con = sqlite3.connect(os.path.join(folder, "isso.db"))
con.execute("PRAGMA journal_mode=WAL")
con.close()
os.environ["ISSO_SETTINGS"] = os.path.join(folder, "isso.cfg")
os.environ["ISSO_BENCH_SQLITE"] = "wal"
sys.path.insert(0, folder)
import isso_bench_app
from werkzeug.test import Client

client = Client(isso_bench_app.application)
bodies = [json.loads('"' + line.rstrip("\n") + '"') for line in open(os.path.join(folder, "bodies.txt"))]
headers = {"Host": "127.0.0.1:18732", "Origin": "http://127.0.0.1:18732"}

def post(i):
    body = {"text": f"{bodies[i % len(bodies)]} [isso-{i}]", "author": "Bench", "title": "Bench"}
    answer = client.post("/new?uri=/article", json=body, headers=headers)
    if answer.status_code not in (201, 202):
        raise SystemExit(f"Isso answered {answer.status_code}: {answer.get_data()[:200]!r}")

for i in range(50):  # warm-up
    post(i)
cpu, wall = time.process_time(), time.perf_counter()
for i in range(50, 50 + posts):
    post(i)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(f"isso: {posts} posts, CPU {1000 * cpu / posts:.2f} ms/post, wall {1000 * wall / posts:.2f} ms/post")
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--isso-venv", default="/tmp/isso-venv")
    args = parser.parse_args()
    python = Path(args.isso_venv, "bin", "python")
    if not python.exists():
        print(
            f"no Isso venv at {args.isso_venv}: python3 -m venv {args.isso_venv} &&"
            f" {args.isso_venv}/bin/pip install isso",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="isso-post-profile-") as folder:
        bodies, _ = thread_bench.sample_bodies(thread_bench.datasets_root(), n=2000)
        thread_bench.write_bodies(Path(folder, "bodies.txt"), bodies)
        Path(folder, "isso_bench_app.py").write_text(thread_bench.ISSO_APP)
        # Isso logs three lines a comment; to a file, as thread_bench's server does.
        with open(Path(folder, "isso.log"), "w") as log:
            run = subprocess.run(
                [str(python), "-c", MEASURE, folder, str(args.posts)], stderr=log, check=False
            )
        if run.returncode:
            print(Path(folder, "isso.log").read_text()[-3000:], file=sys.stderr)
        return run.returncode


if __name__ == "__main__":
    sys.exit(main())
