"""prometheus_client's multiprocess mode for `civility serve` (gunicorn's worker processes).

`prepare_metrics_dir` runs before Django (and so prometheus_client) is imported: it points
PROMETHEUS_MULTIPROC_DIR at a fresh folder (a temporary one, removed when the server stops), or
empties the one the operator set (values of a previous run must not be added to this one's).
`child_exit` drops a dead worker's live gauges. Imports nothing at module level.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir() -> Path:
    given = os.environ.get(ENV, "").strip()
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path
    path = Path(tempfile.mkdtemp(prefix="civility-metrics-"))
    os.environ[ENV] = str(path)
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not in the forked workers, which inherit this hook
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges leave the sums, and its requests
    the server's count of those in flight."""
    from civility import metrics

    metrics.worker_gone(int(worker.age))
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
