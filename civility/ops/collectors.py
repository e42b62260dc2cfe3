"""Cluster-wide gauges read from the database when /metrics is scraped.

Background work runs in `civility worker` processes, possibly on other machines, so what an
operator alerts on — tasks waiting, tasks parked after failing every try, webhook deliveries
failing — is counted where it is kept, not in one process's memory. Every node reports the same
values (label-free of the node): in PromQL take `max`, not `sum`, across nodes. Read at most
every CACHE_SECONDS per process, so scrapes cost the database a few indexed counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.db import close_old_connections
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
CACHE_SECONDS = 5.0


def read_cluster_state() -> dict[str, Any]:
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Count, Q
    from django.utils import timezone

    from civility.tasks.base import queue_depth
    from civility.tasks.models import ParkedTask, WorkerBeat
    from civility.webhooks.models import WebhookDelivery

    pending = WebhookDelivery.Status.PENDING
    hooks = WebhookDelivery.objects.filter(status__in=[pending, WebhookDelivery.Status.PARKED])
    counts = hooks.aggregate(
        waiting=Count("id", filter=Q(status=pending, attempts=0)),
        retrying=Count("id", filter=Q(status=pending, attempts__gte=1)),
        parked=Count("id", filter=Q(status=WebhookDelivery.Status.PARKED)),
    )
    seen = timezone.now() - timedelta(seconds=float(settings.WORKER_LEASE_SECONDS))
    return {
        "queues": queue_depth(),
        "parked_tasks": ParkedTask.objects.filter(requeued_at__isnull=True).count(),
        "webhooks": counts,
        "workers": WorkerBeat.objects.filter(seen_at__gte=seen).count(),
    }


class ClusterCollector(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = 0.0
        self._state: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any] | None:
        with self._lock:
            if self._state is None or time.monotonic() - self._at > CACHE_SECONDS:
                try:
                    self._state = read_cluster_state()
                except Exception:  # the database is away: say so, keep serving the rest
                    log.warning("cluster metrics: the database did not answer", exc_info=True)
                    close_old_connections()
                    self._state = None
                self._at = time.monotonic()
            return self._state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self._read()
        yield GaugeMetricFamily(
            "civility_cluster_metrics_up",
            "1 when the database answered the queries behind the civility_task_* and"
            " civility_webhook_* gauges, 0 when they are missing",
            value=0 if state is None else 1,
        )
        if state is None:
            return
        depth = GaugeMetricFamily(
            "civility_task_queue_depth",
            "Background tasks waiting (ready or scheduled for a retry), per queue",
            labels=["queue"],
        )
        for queue, n in sorted(state["queues"].items()):
            depth.add_metric([queue], n)
        yield depth
        yield GaugeMetricFamily(
            "civility_tasks_parked",
            "Tasks that failed every try and wait for an admin (Django admin: Parked tasks)",
            value=state["parked_tasks"],
        )
        hooks = GaugeMetricFamily(
            "civility_webhook_deliveries",
            "Webhook deliveries not delivered: waiting (not tried yet), retrying (failed at"
            " least once, another try scheduled), parked (failed every try; replay on the desk)",
            labels=["state"],
        )
        for name in ("waiting", "retrying", "parked"):
            hooks.add_metric([name], state["webhooks"][name])
        yield hooks
        yield GaugeMetricFamily(
            "civility_workers_alive",
            "`civility worker` processes that reported within CIVILITY_WORKER_LEASE_SECONDS",
            value=state["workers"],
        )
