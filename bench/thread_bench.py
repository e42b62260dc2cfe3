"""Loopback load benchmark: Civility vs Isso on the same 200-comment thread (wrk, bounded runs).

    python bench/thread_bench.py [--duration 15] [--connections 32] [--isso-venv /tmp/isso-venv]

Needs `wrk` (apt-get install wrk) and, for the Isso half, a venv with `pip install isso gunicorn`.
Both servers run on 127.0.0.1 with 2 gunicorn workers and their own SQLite database; Isso with
moderation and its rate-limit guard off, Civility with its decision pipeline on (rate limit set
high because every request comes from one client). Writes bench/out/thread_bench.json and prints
a table. Not a test: numbers depend on the machine and on what else it is running.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
ARTICLE = "/article/al-safa"
WORDS = (
    "the council vote bus lane main street traffic commute business delivery cyclists riders city "
    "budget transit plan residents meeting report numbers morning evening parking stop route "
    "enforcement camera fine shops survey data ridership safety wheelchair access paint road "
    "people think agree disagree fair point honestly really better worse years months week"
).split()


def make_thread(n: int = 200, top: int = 147, seed: int = 7) -> list[dict]:
    """n comments, `top` of them top-level, the rest replies; 8-40 words each (deterministic)."""
    rng = random.Random(seed)
    comments: list[dict] = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 40))]
        text = " ".join(words).capitalize() + "."
        parent = None
        if i >= top:
            parent = rng.randrange(0, i)
        comments.append({"i": i, "text": text, "parent": parent, "author": f"Reader {i % 37}"})
    # Interleave so replies are posted after their parents but not all at the end.
    return comments


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def post_json(url: str, body: object, headers: dict | None = None) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


# --- Civility -----------------------------------------------------------------------------------


def setup_civility(data_dir: Path, env: dict, thread: list[dict], port: int) -> dict:
    code = f"""
import json, sys
from civility.cli import setup_django
setup_django()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from civility.accounts.models import User
from civility.accounts import tokens
from civility.comments.models import Site, Story
from civility.comments import actions
site = Site.objects.create(name="Bench", slug="bench", allowed_origins=["*"], premoderation="none",
                           rate_limit_per_minute=10**9, max_links=10)
story = Story.objects.create(site=site, url="http://127.0.0.1{ARTICLE}", title="Bench article")
Story.objects.create(site=site, url="http://127.0.0.1/article/other", title="Other")
thread = json.load(open(sys.argv[1]))
users, ids = {{}}, []
for c in thread:
    u = users.get(c["author"]) or User.objects.create_user(username=c["author"], display_name=c["author"])
    users[c["author"]] = u
    parent = ids[c["parent"]] if c["parent"] is not None else None
    ids.append(actions.post_comment(story=story, author=u, body=c["text"], parent_id=parent).pk)
poster = User.objects.create_user(username="bench-poster", display_name="Bench Poster")
print(json.dumps({{"story": story.pk, "token": tokens.issue(poster)}}))
"""
    tfile = data_dir / "thread.json"
    tfile.write_text(json.dumps(thread))
    out = subprocess.run(
        [sys.executable, "-c", code, str(tfile)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- Isso ---------------------------------------------------------------------------------------


def setup_isso(data_dir: Path, port: int, thread: list[dict]) -> Path:
    cfg = data_dir / "isso.cfg"
    cfg.write_text(
        f"""[general]
dbpath = {data_dir / "isso.db"}
host = http://127.0.0.1:{port}/
[moderation]
enabled = false
[guard]
enabled = false
[server]
listen = http://127.0.0.1:{port}/
"""
    )
    return cfg


def seed_isso(base: str, thread: list[dict]) -> None:
    ids: list[int] = []
    for c in thread:
        body = {"text": c["text"], "author": c["author"], "title": "Bench article"}
        if c["parent"] is not None:
            body["parent"] = ids[c["parent"]]
        ids.append(post_json(f"{base}/new?uri={ARTICLE}", body)["id"])


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(
    url: str, duration: int, conns: int, script: str | None = None, args: list[str] = ()
) -> dict:
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    errs = re.search(r"Socket errors:.*", out)
    res["socket_errors"] = errs.group(0) if errs else ""
    return res


def body_script(tmp: Path, name: str, method: str, body: str, headers: dict) -> str:
    path = tmp / f"{name}.lua"
    lines = [f'wrk.method = "{method}"', f"wrk.body = {json.dumps(body)}"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def headers_script(tmp: Path, name: str, headers: dict) -> str:
    """post_comment.lua with headers prepended."""
    path = tmp / f"{name}.lua"
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n" + (HERE / "post_comment.lua").read_text())
    return str(path)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--isso-venv", default=os.environ.get("ISSO_VENV", "/tmp/isso-venv"))
    ap.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/7"),
        help="CIVILITY_REDIS_URL for Civility ('' for none: per-worker caches)",
    )
    ap.add_argument(
        "--threads", type=int, default=8, help="threads per Civility worker (serve default)"
    )
    ap.add_argument("--skip-isso", action="store_true")
    ap.add_argument(
        "--only",
        choices=["thread", "counts", "post"],
        action="append",
        help="run only these requests (repeatable; default all three)",
    )
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="civility-bench-"))
    thread = make_thread()
    procs: list[subprocess.Popen] = []
    results: dict = {
        "config": vars(args),
        "thread": {"comments": len(thread), "top_level": sum(c["parent"] is None for c in thread)},
    }
    run_id = str(int(time.time()))
    try:
        civ_port, isso_port = 18731, 18732
        env = {
            **os.environ,
            "CIVILITY_DATA_DIR": str(tmp / "civility"),
            "CIVILITY_SECRET_KEY": "bench",
            "CIVILITY_REDIS_URL": args.redis,
            "PYTHONPATH": str(REPO),
        }
        env.pop("DATABASE_URL", None)
        (tmp / "civility").mkdir()
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
        info = setup_civility(tmp / "civility", env, thread, civ_port)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "civility",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{civ_port}",
                    "--workers",
                    "2",
                    "--threads",
                    str(args.threads),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp / "civility.log", "w"),
            )
        )
        civ = f"http://127.0.0.1:{civ_port}"
        civ_thread = f"{civ}/api/v1/stories/{info['story']}/comments?sort=oldest&limit=500"
        wait_http(civ_thread)
        got = json.loads(urllib.request.urlopen(civ_thread).read())
        assert got["total"] == len(thread), got["total"]

        isso = f"http://127.0.0.1:{isso_port}"
        if not args.skip_isso:
            (tmp / "isso").mkdir()
            cfg = setup_isso(tmp / "isso", isso_port, thread)
            ienv = {**os.environ, "ISSO_SETTINGS": str(cfg)}
            procs.append(
                subprocess.Popen(
                    [
                        f"{args.isso_venv}/bin/gunicorn",
                        "-w",
                        "2",
                        "--preload",
                        "-b",
                        f"127.0.0.1:{isso_port}",
                        "isso.run",
                    ],
                    env=ienv,
                    stdout=subprocess.DEVNULL,
                    stderr=open(tmp / "isso.log", "w"),
                )
            )
            wait_http(f"{isso}/info")
            seed_isso(isso, thread)
            isso_thread = f"{isso}/?uri={ARTICLE}&limit=1000&nested_limit=1000"
            got = json.loads(urllib.request.urlopen(isso_thread).read())
            n = len(got["replies"]) + sum(len(r.get("replies", [])) for r in got["replies"])
            assert n == len(thread), (n, got.get("total_replies"))

        d, c = args.duration, args.connections
        urls = [f"http://127.0.0.1{ARTICLE}", "http://127.0.0.1/article/other"]
        plan = [("thread", "civility", civ_thread, None, [])]
        if not args.skip_isso:
            plan.append(("thread", "isso", isso_thread, None, []))
        plan.append(
            (
                "counts",
                "civility",
                f"{civ}/api/v1/counts",
                body_script(
                    tmp,
                    "civ_counts",
                    "POST",
                    json.dumps({"site": "bench", "urls": urls}),
                    {"Content-Type": "application/json"},
                ),
                [],
            )
        )
        if not args.skip_isso:
            plan.append(
                (
                    "counts",
                    "isso",
                    f"{isso}/count",
                    body_script(
                        tmp,
                        "isso_counts",
                        "POST",
                        json.dumps([ARTICLE, "/article/other"]),
                        {"Content-Type": "application/json"},
                    ),
                    [],
                )
            )
        plan.append(
            (
                "post",
                "civility",
                f"{civ}/api/v1/stories/{info['story']}/comments",
                headers_script(
                    tmp,
                    "civ_post",
                    {
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {info['token']}",
                    },
                ),
                [run_id, "civility"],
            )
        )
        if not args.skip_isso:
            plan.append(
                (
                    "post",
                    "isso",
                    f"{isso}/new?uri={ARTICLE}",
                    headers_script(tmp, "isso_post", {"Content-Type": "application/json"}),
                    [run_id, "isso"],
                )
            )
        for what, server, url, script, wargs in plan:
            if args.only and what not in args.only:
                continue
            res = wrk(url, d, c, script, wargs)
            results.setdefault(what, {})[server] = res
            print(
                f"{what:7} {server:9} {res['rps']:9.1f} req/s  p50 {res['p50_ms']:8.2f} ms  "
                f"p99 {res['p99_ms']:8.2f} ms  non-2xx {res['non2xx']}",
                flush=True,
            )
        if not args.skip_isso:
            for what in args.only or ("thread", "counts", "post"):
                results[what]["ratio"] = (
                    results[what]["civility"]["rps"] / results[what]["isso"]["rps"]
                )
                print(f"{what:7} civility/isso = {results[what]['ratio']:.1f}x")
        (OUT / "thread_bench.json").write_text(json.dumps(results, indent=2))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
