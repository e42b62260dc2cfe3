"""`civility worker`: run background tasks (webhook deliveries, scoring, e-mails, re-scoring).

With the database backend (the default) each worker process polls the tasks table and claims one
task at a time (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; one writer at a time on
SQLite); with CIVILITY_TASK_BACKEND=rq it is an RQ worker. Either way a thread says every few
seconds that the worker is alive, and the oldest live worker runs the maintenance sweeps
(civility/tasks/maintenance.py). `civility demo` runs one worker in its own process
(`start_in_process`), so the quick start needs no second command.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

log = logging.getLogger("civility.tasks")


class Heartbeat:
    """Keeps this worker's WorkerBeat row fresh and, when this is the oldest live worker, runs
    the maintenance sweeps. Runs on a daemon thread of its own."""

    def __init__(self, worker_id: str, queues: list[str]) -> None:
        self.worker_id = worker_id
        self.queues = queues
        self.stop_event = threading.Event()
        self.tasks_run = 0
        self.thread = threading.Thread(target=self._loop, name="civility-heartbeat", daemon=True)

    @property
    def interval(self) -> float:
        from django.conf import settings

        return max(0.2, float(settings.WORKER_LEASE_SECONDS) / 3)

    def beat(self) -> None:
        from django.utils import timezone

        from civility.tasks.models import WorkerBeat

        now = timezone.now()
        updated = WorkerBeat.objects.filter(worker_id=self.worker_id).update(
            seen_at=now, tasks_run=self.tasks_run
        )
        if not updated:
            WorkerBeat.objects.create(
                worker_id=self.worker_id,
                hostname=socket.gethostname()[:200],
                pid=os.getpid(),
                queues=",".join(self.queues)[:200],
                started_at=now,
                seen_at=now,
            )

    def maintain(self) -> None:
        from civility.tasks.maintenance import alive_workers, run_maintenance

        alive = alive_workers()
        if alive and min(alive) == self.worker_id:
            done = {k: v for k, v in run_maintenance().items() if v}
            if done:
                log.info("maintenance: %s", done)

    def _loop(self) -> None:
        from django.db import close_old_connections

        while not self.stop_event.wait(self.interval):
            try:
                close_old_connections()
                self.beat()
                self.maintain()
            except Exception:  # the database may be away for a moment; try again next beat
                log.exception("worker heartbeat failed")
        close_old_connections()

    def start(self) -> None:
        self.beat()
        self.thread.start()

    def stop(self) -> None:
        from civility.tasks.models import WorkerBeat

        self.stop_event.set()
        self.thread.join(timeout=5)
        try:
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
        except Exception:  # a dead database: the row goes stale and is ignored
            log.exception("could not remove the heartbeat of worker %s", self.worker_id)


def _db_worker(
    queues: list[str], worker_id: str, *, interval: float, batch: bool, max_tasks: int | None
) -> Any:
    from django_tasks_db.management.commands.db_worker import Worker

    class CivilityWorker(Worker):  # type: ignore[misc]
        heartbeat: Heartbeat | None = None

        def run_task(self, db_task_result: Any) -> None:
            try:
                super().run_task(db_task_result)
            finally:
                if self.heartbeat is not None:
                    self.heartbeat.tasks_run += 1

    options: dict[str, Any] = {
        "queue_names": queues,
        "interval": interval,
        "batch": batch,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": max_tasks,
        "worker_id": worker_id,
        "excluded_queue_names": [],
    }
    return CivilityWorker(**options)


def new_worker_id() -> str:
    from django.utils.crypto import get_random_string

    return f"{socket.gethostname()[:20]}-{os.getpid()}-{get_random_string(8)}"


def run_worker(
    queues: list[str] | None = None,
    *,
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    handle_signals: bool = True,
) -> int:
    """Run one worker in this process until stopped (or, with ``batch``, until the queues are
    empty). Returns how many tasks it ran."""
    from django.conf import settings

    queues = queues or list(settings.TASK_QUEUES)
    worker_id = worker_id or new_worker_id()
    heartbeat = Heartbeat(worker_id, queues)
    heartbeat.start()
    try:
        if settings.TASK_BACKEND == "rq":
            from django.core.management import call_command

            args = [*queues, "--with-scheduler", "--name", worker_id]
            args += ["--job-class", "django_tasks_rq.Job"]
            if batch:
                args.append("--burst")
            call_command("rqworker", *args)
            return heartbeat.tasks_run
        worker = _db_worker(queues, worker_id, interval=interval, batch=batch, max_tasks=max_tasks)
        worker.heartbeat = heartbeat
        if handle_signals:
            worker.configure_signals()
        try:
            worker.run()
        except SystemExit:  # the backend's graceful shutdown on SIGTERM / SIGINT
            pass
        return heartbeat.tasks_run
    finally:
        heartbeat.stop()


def start_in_process(queues: list[str] | None = None, interval: float = 1.0) -> Any:
    """One database-backend worker on a daemon thread of this process (`civility demo`).
    Returns the worker; set ``worker.running = False`` to stop it after its current task."""
    from django.conf import settings

    if settings.TASK_BACKEND != "db":
        log.warning("no in-process worker with CIVILITY_TASK_BACKEND=%s", settings.TASK_BACKEND)
        return None
    queues = queues or list(settings.TASK_QUEUES)
    worker_id = new_worker_id()
    heartbeat = Heartbeat(worker_id, queues)
    worker = _db_worker(queues, worker_id, interval=interval, batch=False, max_tasks=None)
    worker.heartbeat = heartbeat

    def run() -> None:
        heartbeat.start()
        try:
            worker.run()
        except Exception:
            log.exception("the in-process worker stopped")
        finally:
            heartbeat.stop()

    threading.Thread(target=run, name="civility-worker", daemon=True).start()
    return worker


def _supervise(argv: list[str], processes: int) -> int:
    """Run ``processes`` worker processes and pass SIGTERM / SIGINT on to them."""
    children = [
        subprocess.Popen([sys.executable, "-m", "civility", "worker", *argv])
        for _ in range(processes)
    ]

    def forward(signum: int, frame: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while any(child.poll() is None for child in children):
        time.sleep(0.2)
    return max((child.returncode or 0) for child in children)


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="civility worker", description=__doc__)
    parser.add_argument(
        "--queues", default="", help="comma-separated queues (default: all of Civility's)"
    )
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--batch", action="store_true", help="run what is queued now, then exit")
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between looks at an empty queue (database backend; default 1)",
    )
    parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every task")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.processes > 1:
        rest = [a for a in argv if not a.startswith("--processes")]
        if "--processes" in argv:  # "--processes N" as two words
            i = argv.index("--processes")
            rest = argv[:i] + argv[i + 2 :]
        return _supervise(rest, args.processes)

    from civility.cli import setup_django

    setup_django()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if args.verbose:
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        logging.getLogger("civility.tasks").setLevel(logging.INFO)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()] or None
    ran = run_worker(queues, interval=args.interval, batch=args.batch, max_tasks=args.max_tasks)
    if args.batch or args.verbose:
        print(f"civility worker: ran {ran} tasks", flush=True)
    return 0
