"""Parked tasks and live workers in the Django admin: an admin sees what failed every try and
queues it again; nothing is dropped."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from civility.tasks.models import ParkedTask, WorkerBeat


@admin.register(ParkedTask)
class ParkedTaskAdmin(admin.ModelAdmin):
    list_display = ("parked_at", "task_path", "attempts", "error", "requeued_at")
    list_filter = ("task_path",)
    search_fields = ("task_path", "error")
    readonly_fields = [f.name for f in ParkedTask._meta.fields]
    actions = ["queue_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Queue the selected tasks again")
    def queue_again(self, request: HttpRequest, queryset: QuerySet[ParkedTask]) -> None:
        count = 0
        for parked in queryset.filter(requeued_at__isnull=True):
            requeue(parked)
            count += 1
        messages.success(request, f"{count} task(s) queued again.")


def requeue(parked: ParkedTask) -> None:
    """Queue a parked task again, with a fresh count of tries."""
    from django.utils.module_loading import import_string

    import_string(parked.task_path).enqueue(*parked.args, **parked.kwargs)
    ParkedTask.objects.filter(pk=parked.pk).update(requeued_at=timezone.now())


@admin.register(WorkerBeat)
class WorkerBeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "hostname", "pid", "queues", "started_at", "seen_at", "tasks_run")
    readonly_fields = [f.name for f in WorkerBeat._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
