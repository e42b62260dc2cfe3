"""`civility serve`: the production server (gunicorn, threaded workers), configured by env.

DATABASE_URL, CIVILITY_REDIS_URL, CIVILITY_SECRET_KEY, CIVILITY_ALLOWED_HOSTS and friends are read
by civility.settings. Threaded workers keep long-lived SSE streams from pinning whole processes.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def warm_up(worker: Any = None) -> None:
    """Load the scoring model in each worker before it takes traffic.

    Without this, the first comment or Coral hook call in each worker pays the model load (about
    half a second), past Coral's 200 ms timeout for its moderation phase.
    """
    try:
        from civility.moderation.model_check import get_scorer

        # Load and run once, with no per-comment timeout: a busy machine at boot is no reason
        # to start without the model.
        get_scorer().score_one("warm up")
    except Exception as exc:  # the pipeline holds comments while scoring is unavailable
        print(f"civility serve: scoring model not loaded at start: {exc}", file=sys.stderr)


def end_streams_on_exit(worker: Any = None) -> None:
    """Chain the worker's exit signals to end its live streams, so a restart does not wait up to
    a minute for them (gunicorn waits for open requests, then kills the worker)."""
    import signal

    from civility.events import close_streams

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            close_streams()
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)


def after_worker_start(worker: Any = None) -> None:
    end_streams_on_exit(worker)
    warm_up(worker)


def run_gunicorn(bind: str, workers: int, threads: int, extra: dict[str, Any] | None = None) -> int:
    """Serve with `threads` request threads per worker, plus one thread per live stream
    (settings.LIVE_STREAMS): streams wait on Redis or a queue almost all the time, and their own
    threads keep them from taking the request threads."""
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
    from civility.comments.fastpath import application as fast_application

    application = fast_application()

    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads + settings.LIVE_STREAMS,
        "worker_class": "gthread",
        "timeout": 120,  # SSE streams end themselves after ~55 s
        "keepalive": 5,
        "accesslog": os.environ.get("CIVILITY_ACCESS_LOG") or None,
        "errorlog": "-",
        "post_worker_init": after_worker_start,
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
    parser.add_argument("--bind", default=os.environ.get("CIVILITY_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CIVILITY_WORKERS", "2")))
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("CIVILITY_THREADS", "8")),
        help="threads per worker for requests (default 8)",
    )
    parser.add_argument(
        "--live-streams",
        type=int,
        default=int(os.environ.get("CIVILITY_LIVE_STREAMS", "24")),
        help="live-update streams per worker, on threads of their own (default 24); readers past"
        " this poll every 15 s instead",
    )
    parser.add_argument("--migrate", action="store_true", help="apply migrations first")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.live_streams < 0:
        parser.error("--threads must be at least 1 and --live-streams at least 0")
    # Read by civility.settings (so before django.setup()) in every worker.
    os.environ["CIVILITY_LIVE_STREAMS"] = str(args.live_streams)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
    import django

    django.setup()
    from django.conf import settings

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
