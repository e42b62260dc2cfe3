"""Retry, backoff and parking around Django's task API (see the package docstring)."""

from __future__ import annotations

import functools
import logging
import random
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civility.tasks.compat import Task, TaskResultStatus, task

log = logging.getLogger("civility.tasks")

# The keyword that carries the number of this try; tasks never see it.
ATTEMPT = "_attempt"


def backoff(attempt: int) -> float:
    """Seconds to wait after failed try number ``attempt`` (1-based): TASK_RETRY_SECONDS,
    doubling each time, at most TASK_RETRY_MAX_SECONDS, with ±10 % jitter so the retries of
    one outage spread out."""
    base = float(settings.TASK_RETRY_SECONDS)
    delay = min(float(settings.TASK_RETRY_MAX_SECONDS), base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.9, 1.1)


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return " ".join(text.split())[:500]


def park(
    path: str, args: list[Any], kwargs: dict[str, Any], attempts: int, exc: BaseException | str
) -> Any:
    """Keep a task that failed every try, for an admin to look at and queue again."""
    from civility.tasks.models import ParkedTask

    if isinstance(exc, BaseException):
        error = _one_line(exc)
        tb = "".join(traceback.format_exception(exc))
    else:
        error, tb = exc, ""
    log.error("task %s parked after %d tries: %s", path, attempts, error)
    return ParkedTask.objects.create(
        task_path=path, args=args, kwargs=kwargs, attempts=attempts, error=error, traceback=tb
    )


def durable(
    *, queue: str = "default", max_attempts: int | None = None
) -> Callable[[Callable[..., Any]], Task]:
    """Make ``func`` a task of ``queue`` that is retried with backoff and parked when it keeps
    failing. The task runs ``func(*args, **kwargs)``; what it returns is the task's result."""

    def decorate(func: Callable[..., Any]) -> Task:
        path = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            attempt = int(kwargs.pop(ATTEMPT, 1) or 1)
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                limit = max_attempts or int(settings.TASK_MAX_ATTEMPTS)
                if attempt >= limit:
                    park(path, list(args), kwargs, attempt, exc)
                    return {"parked": True, "attempts": attempt, "error": _one_line(exc)}
                delay = backoff(attempt)
                log.warning(
                    "task %s failed (try %d of %d), again in %.1f s: %s",
                    path,
                    attempt,
                    limit,
                    delay,
                    _one_line(exc),
                )
                later = registered.using(run_after=timezone.now() + timedelta(seconds=delay))
                later.enqueue(*args, **{**kwargs, ATTEMPT: attempt + 1})
                return {"retry": attempt + 1, "delay": round(delay, 3), "error": _one_line(exc)}

        registered: Task = task(queue_name=queue)(run)
        return registered

    return decorate


def enqueue_on_commit(
    the_task: Task, *args: Any, delay: float | None = None, **kwargs: Any
) -> None:
    """Queue ``the_task(*args, **kwargs)`` once the current transaction commits (at once outside
    one), optionally to run ``delay`` seconds later. If the queue cannot take it (Redis down),
    the failure is logged and the worker's sweeps find the work later: the rows it is about are
    already committed."""

    def send() -> None:
        task_ = the_task
        if delay:
            task_ = the_task.using(run_after=timezone.now() + timedelta(seconds=delay))
        try:
            task_.enqueue(*args, **kwargs)
        except Exception:
            log.exception("could not queue %s%r; a sweep will queue it again", the_task.name, args)

    transaction.on_commit(send)


def backlog(queue: str) -> int:
    """Tasks of ``queue`` ready to run now and not yet taken (deferred retries not counted).
    A sweep only looks for lost work when this is 0: work still in the backlog is not lost."""
    if settings.TASK_BACKEND == "db":
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.ready().filter(queue_name=queue).count()
    import django_rq

    return int(django_rq.get_queue(queue).count)


def queue_depth() -> dict[str, int]:
    """Tasks waiting (ready or scheduled) per queue: the number monitoring wants."""
    if settings.TASK_BACKEND == "db":
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        rows = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .values("queue_name")
            .annotate(n=Count("id"))
        )
        depth = {name: 0 for name in settings.TASK_QUEUES}
        depth.update({row["queue_name"]: row["n"] for row in rows})
        return depth
    import django_rq
    from rq.registry import ScheduledJobRegistry

    out = {}
    for name in settings.TASK_QUEUES:
        queue = django_rq.get_queue(name)
        out[name] = queue.count + len(ScheduledJobRegistry(queue=queue))
    return out


def already_done(key: str) -> bool:
    """Whether the work named ``key`` was recorded done (see mark_done)."""
    from civility.tasks.models import DoneKey

    return DoneKey.objects.filter(key=key).exists()


def mark_done(key: str) -> bool:
    """Record the work named ``key`` done; False if it already was (another worker won)."""
    from django.db import IntegrityError

    from civility.tasks.models import DoneKey

    try:
        with transaction.atomic():
            DoneKey.objects.create(key=key)
        return True
    except IntegrityError:
        return False
