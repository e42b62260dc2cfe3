from __future__ import annotations

from django.db import models


class ParkedTask(models.Model):
    """A task that failed every try: kept with its arguments and last error until an admin
    queues it again (Django admin: Background tasks › Parked tasks)."""

    task_path = models.CharField(max_length=300)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    parked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    requeued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-parked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_path} after {self.attempts} tries"


class WorkerBeat(models.Model):
    """A running `civility worker` process, refreshed every few seconds. A worker not seen for
    settings.WORKER_LEASE_SECONDS is dead: its running task is handed to another worker."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(default=0)
    queues = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    tasks_run = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname} (pid {self.pid})"


class DoneKey(models.Model):
    """Work done once and for all, by key (e.g. the e-mail "reply:123"): a task that runs again
    after a crash looks its key up first (civility.tasks.base.once)."""

    key = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
