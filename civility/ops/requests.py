"""The first middleware: a request id, the request's metrics and its JSON log line, and the
process's request slots.

Slots (`metrics.RequestSlots`): at most CIVILITY_THREADS requests of one process run the
application at once; the others wait for a slot without taking the CPU. gunicorn's pool has a
thread per live stream on top of the request threads (a stream's slot is free once its view has
returned), so without slots a burst ran 16 requests a process side by side, taking turns at the
GIL. Probes skip the slots: a busy server still answers /healthz.

The id is the proxy's X-Request-ID when the request came from a trusted proxy
(CIVILITY_TRUSTED_PROXIES: nginx's `$request_id`, so the proxy's and Civility's logs of one
request share it) and looks like an id; otherwise a new one (32 hex digits, like nginx's). It
is echoed as X-Request-ID, kept on ``request.request_id`` and on every log record written while
the request is served.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from civility import metrics
from civility.clientip import parse_trusted
from civility.ops.logs import RequestContext, current

log = logging.getLogger("civility.request")
HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Probes and scrapes are logged at DEBUG (off by default): a line every few seconds per node
# would bury the requests people look for.
QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}


def from_trusted_proxy(remote_addr: str) -> bool:
    """Whether the socket peer is one of the proxies CIVILITY_TRUSTED_PROXIES declares."""
    try:
        count, networks = parse_trusted(settings.TRUSTED_PROXIES)
    except ValueError:
        return False
    if count:
        return True  # "N proxies in front": the socket peer is the nearest of them
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in net for net in networks)


def request_id_for(request: HttpRequest) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if (
        incoming
        and _VALID_ID.fullmatch(incoming)
        and from_trusted_proxy(str(request.META.get("REMOTE_ADDR", "")))
    ):
        return str(incoming)
    return uuid.uuid4().hex


def route_of(request: HttpRequest) -> str:
    """The URL pattern that served the request (bounded, unlike URLs), or <unmatched>."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None)
    return f"/{route}" if route else "<unmatched>"


class RequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        metrics.slots.configure(int(settings.THREADS))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        rid = request_id_for(request)
        request.request_id = rid  # type: ignore[attr-defined]
        method = request.method if request.method in METHODS else "other"
        token = current.set(RequestContext(rid, str(request.method), request.path))
        status = 500
        counted = request.path not in QUIET_PATHS
        if counted:
            metrics.request_started()  # before the slot: a request waiting for one is load too
            metrics.slots.acquire()
        try:
            response = self.get_response(request)
            status = response.status_code
            response[HEADER] = rid
            return response
        finally:
            if counted:
                metrics.slots.release()
                metrics.request_finished()
            seconds = time.perf_counter() - started
            route = route_of(request)
            metrics.REQUESTS.labels(route, method, str(status)).inc()
            metrics.REQUEST_SECONDS.labels(route, method).observe(seconds)
            level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "%s %s %s",
                    request.method,
                    request.path,
                    status,
                    extra={"status": status, "duration_ms": round(seconds * 1000, 1)},
                )
            current.reset(token)
