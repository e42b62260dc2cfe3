"""Several app nodes behind nginx: the drill that backs the README's Deployment section.

    python bench/cluster.py [--seconds 8] [--readers 12] [--events 80] [--pause-training]

Starts, on free loopback ports, and removes afterwards: its own PostgreSQL (initdb/pg_ctl from
/usr/lib/postgresql, as the `postgres` user when run as root; pg_stat_statements loaded), its own
Redis, two `civility serve` nodes and one `civility worker`, each started from the Environment=
and ExecStart= lines of deploy/systemd/civility-serve@.service and civility-worker.service, and
Debian's nginx (`apt-get install nginx`) in the foreground with deploy/nginx/civility.conf (node
ports, listen port and log path substituted; plus one X-Upstream-Addr header so the drill knows
which node a live stream landed on). Then it proves, and prints:

- sessions and tokens work on both nodes: a bearer token from node A used on node B; a desk
  session signed in on A used on B, where it bans a reader; the ban refuses that reader's posts
  on A and through the proxy (bans are global); a per-reader rate limit counts posts made
  alternately on A and B as one (rate limits are global: Redis);
- live events cross nodes: readers on node A (SSE through the proxy) see the comments posted on
  node B; the delay from sending the post to the event's arrival, p50 / p99 / max;
- failover: posts and reads through the proxy while node A is killed (SIGKILL) mid-load;
  acknowledged comments missing from the database afterwards (must be 0), errors seen;
- the request id nginx made for a request is in nginx's log and in the node's JSON log line;
- throughput through the proxy with 1 node and with 2 (reads of a 60-comment thread, posts);
- the proxy's added latency at p50: one connection, /healthz and the thread read, directly
  on node A vs through nginx (to A only), alternating rounds;
- CPU seconds per process group per 1,000 requests (reads; posts including their late scoring
  and tasks), from /proc/PID/stat, idle use subtracted; the load generator (wrk) too;
- database statements (pg_stat_statements, the nodes' own role only, transaction control
  included: each is a round trip) and Redis commands and reads (INFO stats deltas; a pipeline
  is one read) per request.

Writes bench/out/cluster.json. Not part of the test suite (a few minutes). --pause-training
stops (SIGSTOP, by process id) any `civility.training` process for the measured part, at most
4.5 minutes, and always continues it (SIGCONT) afterwards.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from services import Postgres, Redis, free_port, wait_port  # noqa: E402 - bench/ is not a package

# The drill's cluster also counts statements per role (pg_stat_statements).
PG_OPTIONS = (
    "-c max_connections=200 -c shared_preload_libraries=pg_stat_statements"
    " -c pg_stat_statements.track_utility=on -c pg_stat_statements.track=all"
)
REPO = HERE.parent
OUT = HERE / "out"
DEPLOY = REPO / "deploy"
CIVILITY = [sys.executable, "-m", "civility"]
CLK = os.sysconf("SC_CLK_TCK")
RUN = f"r{int(time.time()) % 100000}"


def log(msg: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {msg}", flush=True)


# --- HTTP ---------------------------------------------------------------------------------------


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 15.0,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hdrs = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def cookies_of(headers_list: list[tuple[str, str]]) -> dict[str, str]:
    jar = {}
    for k, v in headers_list:
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


# --- services -----------------------------------------------------------------------------------


def read_unit(name: str, instance: str, work: Path) -> tuple[dict[str, str], list[str]]:
    """The Environment= and ExecStart= of a unit in deploy/systemd, as this drill runs it: %i
    expanded, /run/ moved into the drill's folder, the installed `civility` replaced by this
    checkout's."""
    env: dict[str, str] = {}
    argv: list[str] = []
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip().replace("%i", instance).replace("/run/", f"{work}/run/")
        if line.startswith("Environment="):
            key, _, value = line[len("Environment=") :].partition("=")
            env[key] = value
        elif line.startswith("ExecStart="):
            argv = line[len("ExecStart=") :].split()
    if not argv or not argv[0].endswith("/civility"):
        raise SystemExit(f"cluster: {name} has no `.../civility ...` ExecStart")
    return env, [*CIVILITY, *argv[1:]]


class Proc:
    """A process group started from a unit (a node: gunicorn master and workers)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logfile: Path) -> None:
        self.name, self.argv, self.env, self.logfile = name, argv, env, logfile
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        Path(self.env.get("PROMETHEUS_MULTIPROC_DIR", self.logfile.parent)).mkdir(
            parents=True, exist_ok=True
        )
        with open(self.logfile, "ab") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=REPO,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None


def wait_ready(port: int, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            status, _, body = call(port, "GET", "/readyz", timeout=5)
            last = body
            if status == 200:
                return json.loads(body)
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise RuntimeError(f"node on {port} not ready: {last!r}")


# --- nginx --------------------------------------------------------------------------------------

MAIN_CONF = """worker_processes 1;
pid {work}/nginx-{name}.pid;
error_log {work}/nginx-{name}-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-tmp/{name}-body;
    proxy_temp_path {work}/nginx-tmp/{name}-proxy;
    fastcgi_temp_path {work}/nginx-tmp/{name}-fastcgi;
    uwsgi_temp_path {work}/nginx-tmp/{name}-uwsgi;
    scgi_temp_path {work}/nginx-tmp/{name}-scgi;
    include {site};
}}
"""


def nginx_site(work: Path, name: str, listen: int, nodes: list[int]) -> Path:
    """deploy/nginx/civility.conf with this drill's ports and paths; fails loudly if the sample
    no longer has the lines it substitutes."""
    text = (DEPLOY / "nginx" / "civility.conf").read_text()

    def sub(old: str, new: str) -> None:
        nonlocal text
        if text.count(old) != 1:
            raise SystemExit(f"cluster: deploy/nginx/civility.conf: expected one {old!r}")
        text = text.replace(old, new)

    sub("server 127.0.0.1:8001 ", f"server 127.0.0.1:{nodes[0]} ")
    if len(nodes) > 1:
        sub("server 127.0.0.1:8002 ", f"server 127.0.0.1:{nodes[1]} ")
    else:
        text = re.sub(r"\n\s*server 127\.0\.0\.1:8002 [^\n]*", "", text)
    sub("listen 80;", f"listen 127.0.0.1:{listen};")
    sub("/var/log/nginx/civility.access.log", str(work / f"nginx-{name}-access.log"))
    sub("    server_name comments.example;\n",
        "    server_name comments.example;\n    add_header X-Upstream-Addr $upstream_addr always;\n")  # fmt: skip
    path = work / f"nginx-{name}-site.conf"
    path.write_text(text)
    return path


class Nginx:
    def __init__(self, work: Path, name: str, nodes: list[int]) -> None:
        self.port = free_port()
        self.work, self.name = work, name
        (work / "nginx-tmp").mkdir(exist_ok=True)
        site = nginx_site(work, name, self.port, nodes)
        self.conf = work / f"nginx-{name}.conf"
        self.conf.write_text(MAIN_CONF.format(work=work, name=name, site=site))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        base = ["nginx", "-p", str(self.work), "-e", str(self.work / f"nginx-{self.name}-error.log"),
                "-c", str(self.conf)]  # fmt: skip
        subprocess.run([*base, "-t", "-q"], check=True)
        self.proc = subprocess.Popen([*base, "-g", "daemon off;"], start_new_session=True)
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.proc = None


# --- load (wrk) ---------------------------------------------------------------------------------

POST_LUA = r"""
local counter = 0
local results = nil
local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end
function init(args)
  local token, run, prefix = args[1], args[2], args[3]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  tag = run
  if prefix and prefix ~= "" then
    results = io.open(string.format("%s-%d.txt", prefix, tid), "w")
    results:setvbuf("line")
  end
end
function request()
  counter = counter + 1
  local body = string.format('{"body": "Reader note %s-%d-%d: the council vote on the new bus lanes was closer than expected, and the turnout figures deserve a second look."}', tag, tid, counter)
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if results then
    local id = body:match('"comment"%s*:%s*{%s*"id"%s*:%s*(%d+)')
    results:write(string.format("%d %s\n", status, id or "-"))
  end
end
"""


def parse_wrk(out: str) -> dict[str, Any]:
    def seconds(text: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s|m)", text)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    res: dict[str, Any] = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.MULTILINE)
        if m:
            res[f"p{pct}_ms"] = round(seconds(m.group(1)) * 1000, 3)
    return res


def wrk(
    url: str, seconds: float, conns: int, threads: int = 1, script: Path | None = None,
    args: list[str] | None = None, headers: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for h in headers or []:
        cmd += ["-H", h]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if args:
        cmd += ["--", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = parse_wrk(out)
    res["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return res


# --- CPU and round trips ------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(ppid, own CPU s, reaped children's CPU s) of a process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLK
    children = (int(fields[13]) + int(fields[14])) / CLK
    return ppid, own, children


def _all_pids() -> dict[int, int]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None:
                out[int(entry)] = st[0]
    return out


def group_cpu(root: int, parents: dict[int, int]) -> float:
    """CPU seconds of a process, its live descendants, and the children it has reaped."""
    st = _stat(root)
    if st is None:
        return 0.0
    total = st[1] + st[2]
    stack = [root]
    while stack:
        pid = stack.pop()
        for child, parent in parents.items():
            if parent == pid:
                cst = _stat(child)
                if cst is not None:
                    total += cst[1]
                stack.append(child)
    return total


class Meter:
    """CPU of each process group, the nodes' database statements and Redis's counters."""

    def __init__(self, groups: dict[str, Any], pg: Postgres, redis: Redis) -> None:
        self.groups, self.pg, self.redis = groups, pg, redis

    def snapshot(self) -> dict[str, Any]:
        parents = _all_pids()
        cpu = {name: group_cpu(pid_of(), parents) for name, pid_of in self.groups.items()}
        stats = self.redis.info("stats")
        statements = self.pg.psql(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s"
            " JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'civility_web'"
        )
        return {
            "t": time.monotonic(),
            "cpu": cpu,
            "pg_statements": int(statements or 0),
            "redis_commands": int(stats["total_commands_processed"]),
            "redis_reads": int(stats.get("total_reads_processed", 0)),
        }

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        return {
            "seconds": b["t"] - a["t"],
            "cpu": {k: b["cpu"][k] - a["cpu"].get(k, 0.0) for k in b["cpu"]},
            "pg_statements": b["pg_statements"] - a["pg_statements"],
            # INFO itself is one command and one read on each snapshot
            "redis_commands": b["redis_commands"] - a["redis_commands"] - 1,
            "redis_reads": b["redis_reads"] - a["redis_reads"] - 1,
        }


# --- training pause -----------------------------------------------------------------------------


class TrainingPause:
    """SIGSTOP the machine's `civility.training` processes (by id) for at most `limit` seconds;
    SIGCONT them on leaving, on exit and on a signal."""

    def __init__(self, enabled: bool, limit: float = 270.0) -> None:
        self.enabled, self.limit, self.pids = enabled, limit, []
        self.timer: threading.Timer | None = None

    def __enter__(self) -> TrainingPause:
        if not self.enabled:
            return self
        out = subprocess.run(["pgrep", "-f", "civility.training"], capture_output=True, text=True)
        me = os.getpid()
        self.pids = [int(p) for p in out.stdout.split() if int(p) != me]
        atexit.register(self.resume)
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        if self.pids:
            log(f"paused training processes {self.pids} (at most {self.limit:.0f} s)")
        self.timer = threading.Timer(self.limit, self.resume)
        self.timer.daemon = True
        self.timer.start()
        return self

    def resume(self) -> None:
        pids, self.pids = self.pids, []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        if pids:
            log(f"training processes {pids} continued")

    def __exit__(self, *exc: object) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.resume()


# --- the drill ----------------------------------------------------------------------------------

SETUP = """
from django.db import transaction
from civility.accounts import tokens
from civility.accounts.models import User
from civility.comments.actions import store_comment
from civility.comments.models import Site, Story
from civility.moderation.models import SiteMembership
big = dict(rate_limit_per_minute=1_000_000, ip_rate_limit_per_minute=1_000_000)
site = Site.objects.create(name="Cluster", slug="cluster", allowed_origins=["https://c.example"],
                           premoderation="none", **big)
limited = Site.objects.create(name="Limited", slug="limited", allowed_origins=["https://c.example"],
                              premoderation="none", rate_limit_per_minute=4,
                              ip_rate_limit_per_minute=1_000_000)
story = Story.objects.create(site=site, url="https://c.example/a", title="Cluster drill")
events_story = Story.objects.create(site=site, url="https://c.example/live", title="Live")
limited_story = Story.objects.create(site=limited, url="https://c.example/l", title="Limited")
def user(name):
    # username = e-mail, as for accounts made by sign-up (the API's login takes the e-mail)
    return User.objects.create_user(username=f"{name}@c.example", email=f"{name}@c.example",
                                    password=f"pw-{name}-0123")
poster, reader, victim, counted = user("poster"), user("reader"), user("victim"), user("counted")
mod = user("deskmod")
SiteMembership.objects.create(site=site, user=mod, role="moderator")
with transaction.atomic():
    for n in range(60):
        store_comment(story=story, author=reader, status="approved", audit_action=None,
                      announce=False, body=f"Seed comment {n}: the figures in the third "
                      "paragraph match the council's own report, thanks for linking it.")
print(json.dumps({"story": story.pk, "events_story": events_story.pk,
                  "limited_story": limited_story.pk, "victim": victim.pk,
                  "tokens": {u.username.split("@")[0]: tokens.issue(u) for u in (poster, victim, counted)}}))
"""


def manage(env: dict[str, str], code: str) -> str:
    script = (
        "import json, os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
        "'civility.settings'); django.setup()\n" + code
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO
    )
    if out.returncode != 0:
        raise SystemExit(f"cluster: setup failed:\n{out.stderr[-3000:]}")
    return out.stdout


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


class Reader(threading.Thread):
    """One live stream through the proxy; records when each marker arrives."""

    def __init__(self, port: int, story: int, marker: str) -> None:
        super().__init__(daemon=True)
        self.port, self.story = port, story
        self.pattern = re.compile(rf"{marker}-(\d+)\b".encode())
        self.upstream = ""
        self.seen: dict[int, float] = {}
        self.ready = threading.Event()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def run(self) -> None:
        self.conn.request("GET", f"/api/v1/stories/{self.story}/events")
        resp = self.conn.getresponse()
        self.upstream = resp.getheader("X-Upstream-Addr", "")
        self.ready.set()
        while True:
            try:
                line = resp.readline()
            except (OSError, ValueError, http.client.HTTPException):
                break
            if not line:
                break
            now = time.time()
            for m in self.pattern.finditer(line):
                self.seen.setdefault(int(m.group(1)), now)

    def close(self) -> None:
        try:
            if self.conn.sock is not None:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def post_json(port: int, path: str, body: Any, token: str) -> tuple[int, Any]:
    status, _, data = call(port, "POST", path, body, {"Authorization": f"Bearer {token}"})
    try:
        return status, json.loads(data)
    except ValueError:
        return status, None


def desk_login(port: int, username: str, password: str) -> dict[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", "/moderate/login/")
    resp = conn.getresponse()
    jar = cookies_of(resp.getheaders())
    page = resp.read().decode()
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not m:
        raise RuntimeError("no CSRF token on the desk's login page")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": m.group(1)}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    conn.request(
        "POST",
        "/moderate/login/",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    resp = conn.getresponse()
    resp.read()
    jar.update(cookies_of(resp.getheaders()))
    conn.close()
    if resp.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"desk login answered {resp.status}")
    return jar


def main() -> int:  # noqa: C901 - one drill, in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each load run")
    parser.add_argument("--readers", type=int, default=12, help="live streams through nginx")
    parser.add_argument("--events", type=int, default=80, help="posts whose events are timed")
    parser.add_argument("--pause-training", action="store_true")
    args = parser.parse_args()
    for tool in ("redis-server", "redis-cli", "psql", "nginx", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"cluster: {tool} is not installed (nginx: apt-get install nginx)")

    work = Path(tempfile.mkdtemp(prefix="civility-cluster-"))
    os.chmod(work, 0o755)
    redis, pg = Redis(work), Postgres(work, options=PG_OPTIONS)
    procs: list[Proc] = []
    nginxes: list[Nginx] = []
    result: dict[str, Any] = {}
    facts: list[tuple[str, bool]] = []
    pause = TrainingPause(args.pause_training)

    def fact(item: tuple[str, bool]) -> None:
        facts.append(item)
        log(f"[{'ok' if item[1] else 'FAIL'}] {item[0]}")

    try:
        redis.start()
        pg.start()
        for sql in (
            "CREATE ROLE civility_web LOGIN SUPERUSER",
            "CREATE ROLE civility_worker LOGIN SUPERUSER",
            "CREATE DATABASE civility OWNER civility_web",
        ):
            pg.psql(sql, db="postgres")
        pg.psql("CREATE EXTENSION pg_stat_statements")
        base = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CIVILITY_")},
            "CIVILITY_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
            "CIVILITY_DATA_DIR": str(work / "data"),
            "CIVILITY_SECRET_KEY": "cluster-drill-secret-key-not-for-production-0123456789",
            "CIVILITY_TRUSTED_PROXIES": "1",
            "CIVILITY_WORKERS": "2",
            "CIVILITY_LOG_LEVEL": "WARNING",
        }
        base.pop("PROMETHEUS_MULTIPROC_DIR", None)
        web_env = {**base, "DATABASE_URL": pg.url("civility_web")}
        subprocess.run([*CIVILITY, "manage", "migrate", "-v", "0"], env=web_env, check=True,
                       cwd=REPO)  # fmt: skip
        ids = json.loads(manage(web_env, SETUP).strip().splitlines()[-1])
        tokens = ids["tokens"]

        ports = [free_port(), free_port()]
        nodes = []
        for name, port in zip("AB", ports, strict=True):
            unit_env, argv = read_unit("civility-serve@.service", str(port), work)
            node = Proc(f"node {name}", argv, {**web_env, **unit_env}, work / f"node-{name}.log")
            node.start()
            nodes.append(node)
            procs.append(node)
        unit_env, argv = read_unit("civility-worker.service", "", work)
        worker = Proc("worker", argv, {**base, **unit_env, "DATABASE_URL":
                                         pg.url("civility_worker")}, work / "worker.log")  # fmt: skip
        worker.start()
        procs.append(worker)
        for node, port in zip(nodes, ports, strict=True):
            state = wait_ready(port)
            log(f"{node.name} on :{port} ready: {state['checks']}")
        A, B = ports
        both = Nginx(work, "both", ports)
        one = Nginx(work, "one", [A])
        for n in (both, one):
            n.start()
            nginxes.append(n)
        P, P1 = both.port, one.port
        log(f"nginx :{P} -> nodes :{A} :{B}; nginx :{P1} -> node :{A} only")
        story, live_story = ids["story"], ids["events_story"]

        with pause:
            # -- sessions and tokens on both nodes ------------------------------------------
            st, body = post_json(A, "/api/v1/auth/login",
                                 {"email": "poster@c.example", "password": "pw-poster-0123"}, "")  # fmt: skip
            token_a = (body or {}).get("token", "")
            st_me, _, me = call(B, "GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {token_a}"})  # fmt: skip
            uid = ((body or {}).get("user") or {}).get("id")
            st_post, _ = post_json(B, f"/api/v1/stories/{story}/comments",
                                   {"body": f"Token check {RUN}: signed in on A."}, token_a)  # fmt: skip
            ok = st == 200 and st_me == 200 and json.loads(me)["user"]["id"] == uid
            ok = ok and st_post == 201
            fact(
                (
                    "a bearer token issued by node A (login) is accepted by node B (/auth/me, a post)",
                    ok,
                )
            )
            jar = desk_login(A, "deskmod@c.example", "pw-deskmod-0123")
            cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
            st_q, _, _ = call(B, "GET", "/moderate/cluster/", headers={"Cookie": cookie})
            fact(("a desk session signed in on node A opens the desk on node B",
                          st_q == 200))  # fmt: skip

            # -- bans are global ------------------------------------------------------------
            before, _ = post_json(A, f"/api/v1/stories/{story}/comments",
                                  {"body": f"Before the ban {RUN}, a fair point."}, tokens["victim"])  # fmt: skip
            st_ban, _, _ = call(B, "POST", f"/moderate/cluster/api/users/{ids['victim']}/ban",
                                {"reason": "cluster drill"},
                                {"Cookie": cookie, "X-CSRFToken": jar.get("csrftoken", "")})  # fmt: skip
            after_a, body_a = post_json(A, f"/api/v1/stories/{story}/comments",
                                        {"body": f"After the ban {RUN} on A."}, tokens["victim"])  # fmt: skip
            after_p, _ = post_json(P, f"/api/v1/stories/{story}/comments",
                                   {"body": f"After the ban {RUN} via proxy."}, tokens["victim"])  # fmt: skip
            code_a = ((body_a or {}).get("error") or {}).get("code")
            fact((f"ban made on node B (desk session from A) refuses the reader on A and"
                          f" via the proxy (posts: {before} before; {after_a} {code_a}, {after_p}"
                          " after)", before == 201 and st_ban == 200 and after_a == 403
                          and after_p == 403))  # fmt: skip

            # -- rate limits are global -----------------------------------------------------
            if time.time() % 60 > 50:  # the per-minute window must not turn over mid-check
                time.sleep(61 - time.time() % 60)
            statuses = []
            for n in range(6):
                port = (A, B)[n % 2]
                s, _ = post_json(port, f"/api/v1/stories/{ids['limited_story']}/comments",
                                 {"body": f"Limited {RUN} number {n}, a calm remark."},
                                 tokens["counted"])  # fmt: skip
                statuses.append(s)
            fact((f"a limit of 4 posts a minute counts posts on A and B together:"
                          f" {statuses}", statuses == [201] * 4 + [429, 429]))  # fmt: skip

            # -- live events across nodes ---------------------------------------------------
            marker = f"evt{RUN}"
            readers = [Reader(P, live_story, marker) for _ in range(args.readers)]
            for r in readers:
                r.start()
                r.ready.wait(10)
            on_a = [r for r in readers if r.upstream.endswith(f":{A}")]
            log(f"{len(readers)} live streams through nginx: {len(on_a)} on node A,"
                f" {sum(r.upstream.endswith(f':{B}') for r in readers)} on node B")  # fmt: skip
            time.sleep(0.5)
            sent: dict[int, float] = {}
            conn = http.client.HTTPConnection("127.0.0.1", B, timeout=15)
            for n in range(args.events):
                body = json.dumps({"body": f"Live {marker}-{n}: a thoughtful reply about the"
                                           " tram timetable change."}).encode()  # fmt: skip
                sent[n] = time.time()
                conn.request("POST", f"/api/v1/stories/{live_story}/comments", body=body,
                             headers={"Authorization": f"Bearer {tokens['poster']}",
                                      "Content-Type": "application/json"})  # fmt: skip
                resp = conn.getresponse()
                resp.read()
                time.sleep(0.1)
            conn.close()
            time.sleep(3)
            for r in readers:
                r.close()
            for r in readers:
                r.join(3)
            # When each comment was published (its approving audit entry, written in the same
            # transaction that publishes the event): decided on the post, or by its late score.
            published: dict[int, float] = {}
            for line in manage(web_env, (
                "import re\n"
                "from civility.moderation.models import AuditEntry\n"
                f"for e in AuditEntry.objects.filter(comment__story_id={live_story},"
                " after='approved', action__in=['comment.created', 'comment.scored'])"
                ".select_related('comment'):\n"
                f"    m = re.search(r'{marker}-(\\d+)', e.comment.body)\n"
                "    print(m.group(1), e.created_at.timestamp())"
            )).splitlines():  # fmt: skip
                n_str, at = line.split()
                published[int(n_str)] = float(at)
            approved = set(published)
            delays = [r.seen[n] - sent[n] for r in on_a for n in approved if n in r.seen]
            hops = [r.seen[n] - published[n] for r in on_a for n in approved if n in r.seen]
            missed = sum(1 for r in on_a for n in approved if n not in r.seen)
            late = sum(1 for n in approved if published[n] - sent[n] > 0.2)
            live = {
                "readers": len(readers), "readers_on_A": len(on_a), "posts_on_B": args.events,
                "approved": len(approved), "approved_by_late_score": late,
                "deliveries": len(delays), "missed": missed,
                "publish_to_arrival_ms": {"p50": round(pct(hops, 50) * 1000, 1),
                                          "p99": round(pct(hops, 99) * 1000, 1),
                                          "max": round(max(hops, default=0) * 1000, 1)},
                "send_to_arrival_ms": {"p50": round(pct(delays, 50) * 1000, 1),
                                       "p99": round(pct(delays, 99) * 1000, 1),
                                       "max": round(max(delays, default=0) * 1000, 1)},
            }  # fmt: skip
            result["live_events"] = live
            fact(
                (
                    f"readers on node A (SSE via nginx) got {live['deliveries']} events of comments"
                    f" posted on node B, missed {missed}; publish-to-arrival p50"
                    f" {live['publish_to_arrival_ms']['p50']} ms, p99"
                    f" {live['publish_to_arrival_ms']['p99']} ms (from sending the post: p50"
                    f" {live['send_to_arrival_ms']['p50']}, p99 {live['send_to_arrival_ms']['p99']}"
                    f" ms; {late} of {len(approved)} published by their late score)",
                    bool(on_a) and missed == 0 and live["publish_to_arrival_ms"]["p99"] <= 1000,
                )
            )

            # -- the request id in both logs --------------------------------------------------
            st, hdrs, _ = call(P, "GET", f"/api/v1/stories/{story}/comments?limit=5")
            rid = hdrs.get("x-request-id", "")
            time.sleep(0.3)
            in_nginx = rid and rid in (work / "nginx-both-access.log").read_text()
            in_node = any(
                rid and f'"request_id": "{rid}"' in (work / f"node-{n}.log").read_text()
                for n in "AB"
            )
            fact((f"nginx's request id {rid} is echoed and in nginx's and the node's"
                          " JSON log", bool(in_nginx and in_node)))  # fmt: skip

            # -- failover: node A killed mid-load ---------------------------------------------
            lua = work / "post.lua"
            lua.write_text(POST_LUA)
            fo_prefix = work / "failover"
            read_url = f"http://127.0.0.1:{P}/api/v1/stories/{story}/comments"
            post_url = f"http://127.0.0.1:{P}/api/v1/stories/{story}/comments"
            duration = max(6.0, args.seconds * 1.5)
            reads: dict[str, Any] = {}
            reader_thread = threading.Thread(
                target=lambda: reads.update(wrk(read_url, duration, 4)), daemon=True
            )
            reader_thread.start()
            killer = threading.Timer(duration / 3, nodes[0].kill)
            killer.start()
            wrk(post_url, duration, 8, script=lua,
                        args=[tokens["poster"], f"fo{RUN}", str(fo_prefix)])  # fmt: skip
            reader_thread.join()
            killer.join()
            answers = []
            for f in work.glob("failover-*.txt"):
                answers += [line.split() for line in f.read_text().splitlines() if line.strip()]
            acked = {int(i) for s, i in answers if s == "201" and i != "-"}
            failed = [s for s, _ in answers if s != "201"]
            stored = {
                int(x) for x in manage(web_env, (
                    "from civility.comments.models import Comment\n"
                    f"print(' '.join(str(i) for i in Comment.objects.filter(body__contains="
                    f"'fo{RUN}-').values_list('id', flat=True)))"
                )).split()
            }  # fmt: skip
            lost = sorted(acked - stored)
            failover = {
                "seconds": duration, "killed_at_s": round(duration / 3, 1),
                "answered": len(answers), "acknowledged": len(acked),
                "acknowledged_lost": len(lost), "errors": len(failed),
                "error_statuses": {s: failed.count(s) for s in sorted(set(failed))},
                "stored_without_recorded_201": len(stored - acked), "reads": reads,
            }  # fmt: skip
            result["failover"] = failover
            fact(
                (
                    f"node A killed mid-load: {len(acked)} posts acknowledged, {len(lost)} of them"
                    f" lost; {len(failed)} answered with an error {failover['error_statuses']};"
                    f" {failover['stored_without_recorded_201']} stored without a recorded 201"
                    " (a 502 whose node had committed, or in flight when the load stopped);"
                    f" reads {reads.get('requests')}, errors"
                    f" {reads.get('non_2xx', 0) + reads.get('socket_errors', 0)}",
                    not lost and bool(acked),
                )
            )
            nodes[0].start()
            wait_ready(A)
            time.sleep(11)  # nginx tries node A again after fail_timeout
            log("node A restarted and ready")

            # -- throughput, 1 node vs 2 --------------------------------------------------------
            def drain(timeout: float = 90.0) -> None:
                """Wait until the comments held for their score are decided."""
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    n = pg.psql(
                        "SELECT count(*) FROM comments_comment WHERE status ="
                        " 'pending' AND moderation_reasons::text LIKE '%model_pending%'"
                    )
                    if n == "0":
                        return
                    time.sleep(0.5)

            tput: dict[str, Any] = {}
            for label, port in (("1 node", P1), ("2 nodes", P)):
                r = wrk(f"http://127.0.0.1:{port}/api/v1/stories/{story}/comments", args.seconds,
                        16, threads=2)  # fmt: skip
                p = wrk(f"http://127.0.0.1:{port}/api/v1/stories/{story}/comments",
                        args.seconds, 8, script=lua,
                        args=[tokens["poster"], f"tp{label[0]}{RUN}", ""])  # fmt: skip
                drain()
                tput[label] = {"reads_rps": r["rps"], "reads_p50_ms": r.get("p50_ms"),
                               "reads_errors": r["non_2xx"] + r["socket_errors"],
                               "posts_rps": p["rps"], "posts_p50_ms": p.get("p50_ms"),
                               "posts_errors": p["non_2xx"] + p["socket_errors"]}  # fmt: skip
            result["throughput"] = tput

            # -- the proxy's added latency --------------------------------------------------
            lat: dict[str, list[float]] = {}
            # Back to back, alternating which goes first; the added latency is the median of
            # the rounds' differences (other work on the machine moves both within a round).
            for rnd in range(6):
                for what, path in (("healthz", "/healthz"),
                                   ("thread read", f"/api/v1/stories/{story}/comments")):  # fmt: skip
                    pair = [("direct", A), ("nginx", P1)][:: 1 if rnd % 2 == 0 else -1]
                    p50 = {via: wrk(f"http://127.0.0.1:{port}{path}", 2, 1)["p50_ms"]
                           for via, port in pair}  # fmt: skip
                    for via, value in p50.items():
                        lat.setdefault(f"{what} {via}", []).append(value)
                    lat.setdefault(f"{what} added", []).append(p50["nginx"] - p50["direct"])
            latency = {k: round(statistics.median(v), 3) for k, v in lat.items()}
            result["proxy_latency_p50_ms"] = latency

            # -- CPU and round trips per request ----------------------------------------------
            nginx_master = both.proc.pid if both.proc else 0
            groups = {
                "nginx": lambda: nginx_master,
                "node A": lambda: nodes[0].pid,
                "node B": lambda: nodes[1].pid,
                "worker": lambda: worker.pid,
                "postgres": pg.postmaster_pid,
                "redis": lambda: redis.proc.pid if redis.proc else 0,
            }
            meter = Meter(groups, pg, redis)
            a = meter.snapshot()
            time.sleep(args.seconds)
            idle = Meter.delta(a, meter.snapshot())
            per_k: dict[str, Any] = {}
            for kind in ("reads", "posts"):
                a = meter.snapshot()
                if kind == "reads":
                    r = wrk(read_url, args.seconds, 16, threads=2)
                    n_req = r["requests"]
                else:
                    r = wrk(post_url, 2 * args.seconds, 8, script=lua,
                            args=[tokens["poster"], f"cpu{RUN}", str(work / "cpu")])  # fmt: skip
                    n_req = sum(
                        1 for f in work.glob("cpu-*.txt")
                        for line in f.read_text().splitlines() if line.startswith("201 ")
                    )  # fmt: skip
                    drain()
                    time.sleep(1.5)  # the last late decisions' Redis writes
                d = Meter.delta(a, meter.snapshot())
                k = n_req / 1000
                cpu = {
                    name: round(max(0.0, d["cpu"][name] - idle["cpu"][name] * d["seconds"]
                                    / idle["seconds"]) / k, 2)
                    for name in groups
                }  # fmt: skip
                cpu["wrk (load)"] = round(r["wrk_cpu_s"] / k, 2)
                cpu["total"] = round(sum(cpu.values()), 2)
                idle_pg = idle["pg_statements"] * d["seconds"] / idle["seconds"]
                per_k[kind] = {
                    "requests": n_req,
                    "rps": r["rps"],
                    "cpu_s_per_1000": cpu,
                    "db_statements_per_request": round((d["pg_statements"] - idle_pg) / n_req, 2),
                    "redis_commands_per_request": round(d["redis_commands"] / n_req, 2),
                    "redis_reads_per_request": round(d["redis_reads"] / n_req, 2),
                }
            result["per_request"] = per_k
            result["idle_cpu_s_per_s"] = {k: round(v / idle["seconds"], 3)
                                          for k, v in idle["cpu"].items()}  # fmt: skip
            top = pg.psql(
                "SELECT calls || ' ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 90)"
                " FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
                " WHERE r.rolname = 'civility_web' ORDER BY calls DESC LIMIT 12"
            )
            result["top_statements"] = top.splitlines()
            # Database size per stored comment: the row and its indexes, its audit entries,
            # and the task rows posts leave (finished tasks are kept by the backend).
            sizes = pg.psql(
                "SELECT (SELECT count(*) FROM comments_comment),"
                " (SELECT avg(length(body)) FROM comments_comment),"
                " pg_total_relation_size('comments_comment'),"
                " pg_total_relation_size('moderation_auditentry'),"
                " pg_total_relation_size('django_tasks_database_dbtaskresult'),"
                " pg_database_size('civility')"
            ).split("|")
            n_comments = int(sizes[0])
            result["database_size"] = {
                "comments": n_comments,
                "avg_body_chars": round(float(sizes[1]), 1),
                "bytes_per_comment": {
                    "comment row and indexes": round(int(sizes[2]) / n_comments),
                    "audit entries": round(int(sizes[3]) / n_comments),
                    "task rows": round(int(sizes[4]) / n_comments),
                },
                "database_bytes": int(sizes[5]),
            }
    finally:
        pause.resume()
        for n in nginxes:
            n.stop()
        for p in procs:
            p.stop()
        redis.stop()
        try:
            pg.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        if os.environ.get("CIVILITY_CLUSTER_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    cpu_name = ""
    try:
        cpu_name = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    result["facts"] = [{"fact": f, "ok": ok} for f, ok in facts]
    result["command"] = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    result["machine"] = {"cpu": cpu_name, "cores": os.cpu_count(), "load": os.getloadavg(),
                         "python": platform.python_version(),
                         "nginx": subprocess.run(["nginx", "-v"], capture_output=True,
                                                 text=True).stderr.strip()}  # fmt: skip
    OUT.mkdir(exist_ok=True)
    (OUT / "cluster.json").write_text(json.dumps(result, indent=2))

    print(f"\n$ python bench/{result['command']}")
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, load {m['load'][0]:.1f}; {m['nginx']}")
    for f, ok in facts:
        print(f"[{'ok' if ok else 'FAIL'}] {f}")
    print("\nthroughput through nginx (req/s; this machine's 2 cores serve every process):")
    for label, t in result["throughput"].items():
        print(f"  {label:<8} reads {t['reads_rps']:>7.1f} (p50 {t['reads_p50_ms']} ms)"
              f"   posts {t['posts_rps']:>6.1f} (p50 {t['posts_p50_ms']} ms)"
              f"   errors {t['reads_errors']}/{t['posts_errors']}")  # fmt: skip
    lat = result["proxy_latency_p50_ms"]
    print(f"proxy's added latency at p50: healthz {lat['healthz added']} ms"
          f" ({lat['healthz direct']} direct, {lat['healthz nginx']} via nginx); thread read"
          f" {lat['thread read added']} ms ({lat['thread read direct']} ->"
          f" {lat['thread read nginx']})")  # fmt: skip
    for kind, d in result["per_request"].items():
        cpu = ", ".join(f"{k} {v}" for k, v in d["cpu_s_per_1000"].items())
        print(f"{kind}: {d['requests']} requests at {d['rps']:.0f}/s; CPU s per 1,000: {cpu}")
        print(f"  per request: {d['db_statements_per_request']} database statements,"
              f" {d['redis_commands_per_request']} Redis commands in"
              f" {d['redis_reads_per_request']} round trips")  # fmt: skip
    size = result["database_size"]
    per = size["bytes_per_comment"]
    print(f"database: {size['comments']} comments (bodies {size['avg_body_chars']} characters on"
          f" average); bytes per comment: " + ", ".join(f"{k} {v}" for k, v in per.items()))  # fmt: skip
    return 0 if all(ok for _, ok in facts) else 1


if __name__ == "__main__":
    sys.exit(main())
