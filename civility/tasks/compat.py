"""Django's task API from wherever this Django has it: `django.tasks` (Django 6) or the
`django_tasks` backport (Django 5.2). Civility code imports it from here only."""

from __future__ import annotations

try:  # Django >= 6.0
    from django.tasks import TaskResultStatus, task, task_backends
    from django.tasks.base import Task
except ImportError:  # Django 5.2: the backport
    from django_tasks import (  # type: ignore[no-redef,assignment]
        TaskResultStatus,
        task,
        task_backends,
    )
    from django_tasks.base import Task  # type: ignore[no-redef,assignment]

__all__ = ["Task", "TaskResultStatus", "task", "task_backends"]
