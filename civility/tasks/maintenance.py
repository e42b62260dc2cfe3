"""What one worker does every few seconds besides running tasks: notice dead workers and run
again what they left half done, then sweep for work that is due but sits in no queue (its
enqueue was lost in a crash between commit and enqueue, or Redis was down).

Each sweep is idempotent and cheap when there is nothing to do; the tasks it queues check their
rows and do nothing when the work is already done, so a sweep that races a worker costs a no-op.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from civility.tasks.base import park
from civility.tasks.compat import TaskResultStatus

log = logging.getLogger("civility.tasks")

# Every sweep the workers run, by path: (name, function returning how many it queued).
SWEEPS = [
    ("abandoned tasks", "civility.tasks.maintenance.reclaim_abandoned"),
    ("dead workers", "civility.tasks.maintenance.forget_dead_workers"),
    ("webhook deliveries", "civility.webhooks.delivery.sweep"),
    ("webhook log", "civility.webhooks.delivery.prune_log"),
    ("pending scores", "civility.comments.tasks.sweep_pending_scores"),
    ("re-scoring", "civility.moderation.rescore.sweep"),
    ("notification e-mail", "civility.accounts.notifications.sweep"),
    ("statements for long holds", "civility.moderation.dsa.sweep_long_holds"),
]


def alive_workers(now: Any = None) -> set[str]:
    from civility.tasks.models import WorkerBeat

    now = now or timezone.now()
    since = now - timedelta(seconds=float(settings.WORKER_LEASE_SECONDS))
    return set(WorkerBeat.objects.filter(seen_at__gte=since).values_list("worker_id", flat=True))


def reclaim_abandoned(now: Any = None) -> int:
    """Database backend: a task marked RUNNING by a worker that is no longer alive goes back to
    READY, for another worker to run again (the task is idempotent). One whose workers died
    TASK_MAX_ATTEMPTS times is parked instead (it may be what kills them). With RQ, RQ does
    this itself (abandoned jobs), and the sweeps below re-queue Civility's own work."""
    if settings.TASK_BACKEND != "db":
        return 0
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    alive = alive_workers(now)
    since = now - timedelta(seconds=float(settings.WORKER_LEASE_SECONDS))
    reclaimed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=since)
    for row in running.only("id", "worker_ids", "started_at", "task_path", "args_kwargs"):
        owner = row.worker_ids[-1] if row.worker_ids else None
        if owner in alive:
            continue
        same = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        if len(row.worker_ids) >= int(settings.TASK_MAX_ATTEMPTS):
            why = f"its worker died {len(row.worker_ids)} times while running it"
            if same.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="civility.tasks.WorkerDied",
                traceback=why,
            ):
                park(
                    row.task_path,
                    list(row.args_kwargs.get("args", [])),
                    dict(row.args_kwargs.get("kwargs", {})),
                    len(row.worker_ids),
                    why,
                )
            continue
        if same.update(status=TaskResultStatus.READY):
            log.warning("task %s (%s): worker %s died; queued again", row.pk, row.task_path, owner)
            reclaimed += 1
    return reclaimed


def forget_dead_workers(now: Any = None) -> int:
    """Drop the heartbeats of workers silent for ten leases (killed without a goodbye)."""
    from civility.tasks.models import WorkerBeat

    now = now or timezone.now()
    long_ago = now - timedelta(seconds=10 * float(settings.WORKER_LEASE_SECONDS))
    return WorkerBeat.objects.filter(seen_at__lt=long_ago).delete()[0]


def run_maintenance() -> dict[str, int]:
    """Run every sweep; one that fails is logged and the others still run."""
    done: dict[str, int] = {}
    for name, path in SWEEPS:
        try:
            done[name] = int(import_string(path)() or 0)
        except Exception:
            log.exception("sweep %r failed", name)
    return done
