"""`civility serve`: the production server (gunicorn, threaded workers).

Every setting (CIVILITY_BIND, CIVILITY_WORKERS, CIVILITY_THREADS, CIVILITY_ACCESS_LOG, the
database, Redis ...) is read by civility.settings; flags override them. Threaded workers keep
long-lived SSE streams from pinning whole processes. The app (and the scoring model) is loaded
once in the master before the workers fork, so the model's arrays are in memory once per server.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import Any


def load_model() -> None:
    """Load the scoring model before taking traffic (in the master, before the fork).

    Without this, the first comment or Coral hook call in each worker pays the model load (about
    half a second), past Coral's 200 ms timeout for its moderation phase.
    """
    try:
        from civility.moderation.scoring import get_scorer

        # Load, with no per-comment timeout: a busy machine at boot is no reason to start
        # without the model. Its arrays are then shared by the forked workers; stage 2's ORT
        # session and threads are made in each worker (see `warm_up`): shared across a fork,
        # they crashed workers on exit.
        get_scorer()
    except Exception as exc:  # the pipeline holds comments while scoring is unavailable
        print(f"civility serve: scoring model not loaded at start: {exc}", file=sys.stderr)


def warm_up(worker: Any = None) -> None:
    """Score once in a new worker, so its first reader does not pay for stage 2's session."""
    try:
        from civility.moderation.scoring import get_scorer

        get_scorer().score_one("warm up")
    except Exception as exc:  # the pipeline holds comments while scoring is unavailable
        print(f"civility serve: scoring model not ready in a worker: {exc}", file=sys.stderr)


def resume_scoring(worker: Any = None) -> None:
    """Decide comments a stopped worker left waiting for their score."""
    try:
        from civility.comments.actions import resume_pending_scores

        resume_pending_scores()
    except Exception as exc:  # they stay held for a human meanwhile
        print(f"civility serve: could not resume pending scores: {exc}", file=sys.stderr)


def end_streams_on_exit(worker: Any = None) -> None:
    """Chain the worker's exit signals to end its live streams, so a restart does not wait up to
    a minute for them (gunicorn waits for open requests, then kills the worker)."""
    import signal

    from civility.events import close_streams

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            global _stopping
            _stopping = True
            close_streams()
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)


_stopping = False  # this worker was told to stop (SIGTERM, SIGINT, SIGQUIT)


def leave_quietly(server: Any = None, worker: Any = None) -> None:
    """gunicorn's worker_exit hook, in the worker, after it has served its last request: a worker
    that was told to stop (or stopped itself: max_requests) ends here, without the interpreter's
    teardown. That teardown ran the C++ destructors of onnxruntime's session made in this worker,
    which threw (`std::system_error`) and made every stopped worker die by SIGABRT. A worker
    leaving for any other reason (a boot error's exit status, say) exits as it would."""
    if not (_stopping or (worker is not None and not getattr(worker, "alive", True))):
        return
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def after_worker_start(worker: Any = None) -> None:
    if worker is not None:
        from django.conf import settings

        from civility import metrics

        metrics.serve_as_worker(int(worker.age), int(settings.WORKERS))
    end_streams_on_exit(worker)
    warm_up(worker)
    if worker is not None and getattr(worker, "age", 0) == 1:
        resume_scoring(worker)  # one worker is enough


# Young objects collected after this many allocations (net of frees) instead of Python's 700: a
# post allocates thousands of objects with few reference cycles, so at 700 the collector ran
# every few posts and found little. Measured with gc.callbacks in `civility serve` (2 workers,
# 32 connections posting, SQLite, 12 s): 450-500 collections a worker, 0.24-0.29 s of its
# 10-14 s of CPU (2 %); with 50,000 fewer than 50. In one process without the freeze (post
# profile) 7 % less CPU a post; in the server, within the machine's noise.
GC_YOUNG_THRESHOLD = 50_000


def freeze_preloaded() -> None:
    """Before the fork: everything loaded so far (Django, the URL conf, the model's tokenizer
    and tables) lives as long as the server. Frozen, the garbage collector stops walking it on
    every full collection in every worker (gc_collect_main and its visitors were ~4 % of a
    worker's CPU under a burst of posts, perf), and the walks stop dirtying the shared pages
    after the fork. Young collections run less often (GC_YOUNG_THRESHOLD)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def run_gunicorn(bind: str, workers: int, threads: int, extra: dict[str, Any] | None = None) -> int:
    """Serve with `threads` request threads per worker, plus one thread per live stream
    (settings.LIVE_STREAMS): streams wait on Redis or a queue almost all the time, and their own
    threads keep them from taking the request threads."""
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
    from django.db import connections
    from django.urls import get_resolver

    from civility.ops.logs import GunicornLogger, gunicorn_logconfig
    from civility.ops.multiproc import child_exit
    from civility.wsgi import application

    get_resolver().url_patterns  # noqa: B018 - import every view now, not in racing requests
    load_model()
    connections.close_all()  # no database connection may cross the fork
    freeze_preloaded()

    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads + settings.LIVE_STREAMS,
        "worker_class": "civility.ops.worker.JsonErrorWorker",  # gthread, JSON error answers
        "timeout": 120,  # SSE streams end themselves after ~55 s
        "keepalive": 5,
        "accesslog": settings.ACCESS_LOG or None,
        "errorlog": "-",
        "logconfig_dict": gunicorn_logconfig(settings.LOGGING),  # JSON lines like the app's
        "logger_class": GunicornLogger,
        "child_exit": child_exit,  # a dead worker's gauges leave /metrics
        "post_worker_init": after_worker_start,
        "worker_exit": leave_quietly,
        "preload_app": True,  # the model once per server: loaded above, shared by the fork
        **(extra or {}),
    }

    class App(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)  # type: ignore[union-attr]

        def load(self) -> Any:
            return application

    App().run()
    return 0


def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="civility serve", description=__doc__)
    parser.add_argument("--bind", help="address:port (default CIVILITY_BIND, 127.0.0.1:8000)")
    parser.add_argument("--workers", type=int, help="processes (default CIVILITY_WORKERS, 2)")
    parser.add_argument(
        "--threads", type=int, help="request slots per worker (default CIVILITY_THREADS, 2)"
    )
    parser.add_argument(
        "--live-streams",
        type=int,
        help="live-update streams per worker, on threads of their own (default"
        " CIVILITY_LIVE_STREAMS, 24); readers past this poll every 15 s instead",
    )
    parser.add_argument("--migrate", action="store_true", help="apply migrations first")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
    from civility.ops.multiproc import prepare_metrics_dir

    prepare_metrics_dir()  # before prometheus_client is imported: metrics of all the workers
    from civility.i18n import compile_catalogs

    compile_catalogs()  # before Django loads translations; unchanged catalogues are skipped
    import django

    django.setup()
    from django.conf import settings

    from civility.staticfiles import collect_static

    collect_static()  # hashed, compressed copies that WhiteNoise serves with a year's caching
    if args.live_streams is not None:
        settings.LIVE_STREAMS = args.live_streams
    args.bind = args.bind or settings.BIND
    args.workers = settings.WORKERS if args.workers is None else args.workers
    args.threads = settings.THREADS if args.threads is None else args.threads
    settings.THREADS = args.threads  # the request slots of each process (civility.ops.requests)
    settings.WORKERS = args.workers  # how many share the server's count of requests in flight
    if args.threads < 1 or settings.LIVE_STREAMS < 0 or args.workers < 1:
        parser.error("--workers and --threads must be at least 1 and --live-streams at least 0")

    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=1, interactive=False)
    if args.workers > 1 and not settings.REDIS_URL:
        print(
            "civility serve: no CIVILITY_REDIS_URL; live updates reach only readers connected to"
            " the same worker and caches are per worker.",
            file=sys.stderr,
        )
    return run_gunicorn(args.bind, args.workers, args.threads)


if __name__ == "__main__":
    sys.exit(serve_main(sys.argv[1:]))
