"""Background work on Django's task API: `django.tasks` on Django 6, the `django-tasks` backport
on Django 5.2, with the ORM backend (django-tasks-db) by default or Redis (django-tasks-rq) when
CIVILITY_TASK_BACKEND=rq. Nothing here is a queue of its own: the backend stores, hands out and
runs tasks; this package adds what every Civility task needs on top of it.

- `durable(queue=...)`: a task decorator. A task that raises is queued again with exponential
  backoff (settings.TASK_RETRY_SECONDS, doubling, at most TASK_RETRY_MAX_SECONDS) and, after
  TASK_MAX_ATTEMPTS tries, *parked*: a ParkedTask row the Django admin lists and can queue
  again. Nothing is dropped. Tasks must be idempotent: a task may run again after a worker died
  in the middle of it.
- `enqueue_on_commit(task, *args)`: queue after the current transaction commits, so the rows a
  task is about exist before any worker can look for them.
- `civility worker` (civility/tasks/worker.py) runs workers; they say they are alive
  (WorkerBeat), run the task a dead worker left half done again, and sweep for work that was
  never queued or was lost (civility/tasks/maintenance.py).
- `queue_depth()`: tasks waiting per queue, for monitoring.

Adding a task (an e-mail, say): a module-level function decorated with `@durable(queue="mail")`
that looks its rows up by id and does nothing when its work is already done; call
`enqueue_on_commit(that_task, row.pk)` from the action function. See civility/tasks/mail.py.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy: this package is an installed app, imported before the app registry is ready.
    if name in {"durable", "enqueue_on_commit", "queue_depth", "backoff"}:
        from civility.tasks import base

        return getattr(base, name)
    raise AttributeError(name)
