"""`/healthz` and `/readyz` for the proxy, systemd or an orchestrator.

`/healthz`: 200 while the process answers; asks nothing else (a database outage must not get
every node restarted). `/readyz`: 200 when this node can serve: the database answers a query,
Redis (if configured) a PING within half a second, and the model is in memory. Otherwise 503
with the failing part, e.g. ``{"status": "not ready", "checks": {"database": "ok", "redis":
"failed: ConnectionError: ...", "model": "ok"}}``. A node whose model is not loaded yet starts
loading it (once) and says "loading".
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

_load_lock = threading.Lock()
_load: dict[str, Any] = {"thread": None, "error": ""}


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def check_database() -> str:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        try:
            connection.close()  # a broken connection is not reused by the next request
        except Exception:  # noqa: BLE001, S110 - closing a dead connection may fail too
            pass
        return f"failed: {_one_line(exc)}"


@lru_cache(maxsize=4)
def _redis(url: str) -> Any:
    import redis

    # Its own client with short timeouts: the shared one (civility.events) waits as long as a
    # pub/sub stream needs, and a probe must answer quickly.
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def check_redis() -> str | None:
    """None when Redis is not configured."""
    if not settings.REDIS_URL:
        return None
    try:
        _redis(settings.REDIS_URL).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"failed: {_one_line(exc)}"


def _load_model() -> None:
    from civility.moderation.scoring import get_scorer

    try:
        get_scorer()
        _load["error"] = ""
    except Exception as exc:  # noqa: BLE001
        _load["error"] = _one_line(exc)


def check_model() -> str:
    from civility.moderation.scoring import model_loaded

    if model_loaded():
        return "ok"
    with _load_lock:
        thread = _load["thread"]
        if thread is None or not thread.is_alive():
            if thread is not None and _load["error"]:
                error, _load["error"] = _load["error"], ""
                _load["thread"] = None  # the next probe tries again
                return f"failed: {error}"
            thread = threading.Thread(target=_load_model, name="civility-readyz-load", daemon=True)
            _load["thread"] = thread
            thread.start()
    return "loading"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database()}
    redis_state = check_redis()
    if redis_state is not None:
        checks["redis"] = redis_state
    checks["model"] = check_model()
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
