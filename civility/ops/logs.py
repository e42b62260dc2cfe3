"""Structured logs: one JSON object a line (python-json-logger), with the request being served.

Every record gets ``time`` (ISO 8601, UTC, milliseconds), ``level``, ``logger`` and ``message``;
records written while a request is served also get its ``request_id``, ``method`` and ``path``
(`RequestContextFilter`, from the context civility.ops.requests sets); the line written when a
request ends (logger ``civility.request``) adds ``status`` and ``duration_ms``. Exceptions come
as ``exc_info`` (the traceback text). CIVILITY_LOG_FORMAT=text gives one readable line instead.

A leaf module (no Django models): the logging configuration imports it before the apps load.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    method: str
    path: str


current: ContextVar[RequestContext | None] = ContextVar("civility_request", default=None)


class RequestContextFilter(logging.Filter):
    """Adds the request being served (if any) to every record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = current.get()
        request: Any = getattr(record, "request", None)
        if ctx is None and getattr(request, "request_id", None):
            # django.request logs a 4xx/5xx after the middleware chain has returned.
            ctx = RequestContext(request.request_id, str(request.method), str(request.path))
        if ctx is not None:
            if not hasattr(record, "request_id"):
                record.request_id = ctx.request_id
            if not hasattr(record, "method"):
                record.method = ctx.method
            if not hasattr(record, "path"):
                record.path = ctx.path
        return True


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(_JsonFormatter):
    """python-json-logger with Civility's field names: time, level, logger, message, then the
    record's extra fields (request_id, method, path, status, duration_ms ...)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        # django.request's `request` object: its id, method and path are fields already.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__("%(levelname)s %(name)s %(message)s", **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _iso(record.created)
        super().add_fields(log_data, record, message_dict)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, [request id], message."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        line = f"{_iso(record.created)} {record.levelname} {record.name}"
        line += f" [{rid}] " if rid else " "
        line += record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, with its access log only where CIVILITY_ACCESS_LOG names one. gunicorn
    turns its access log on whenever a logging configuration is given (ours is), and then built
    every request's line for a logger without a handler: 2.6 % of a worker's time holding the
    GIL in a burst of posts (py-spy). Requests are logged by `civility.request` anyway."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


def gunicorn_logconfig(logging_settings: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: Django's LOGGING, with gunicorn's own error log (start,
    worker boots and deaths) sent through the same handler instead of its text one."""
    loggers = dict(logging_settings.get("loggers", {}))
    loggers["gunicorn.error"] = {"level": "INFO", "handlers": [], "propagate": True}
    return {**logging_settings, "loggers": loggers}
