"""The error every app raises for a refused request, and the one JSON error body.

A leaf module: it imports nothing from Civility's apps, so every app may import it.
Perspective's API keeps Google's own error envelope (civility.perspective.errors).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse


class Refused(Exception):
    """The request is refused outright: nothing is stored, the client gets a 4xx with a reason.

    ``retry_after`` (seconds) is sent as a ``Retry-After`` header, e.g. on 429.
    """

    def __init__(
        self, code: str, message: str, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.retry_after = retry_after


def whole_number(value: Any, code: str, message: str) -> int:
    """``value`` (an id or a count a client sent, as a number or a string) as an int, or
    Refused(code, message): a 400 that says what was wrong, never a 500."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Refused(code, message) from None


def whole_numbers(values: Any, code: str, message: str) -> list[int]:
    """Each of ``values`` as an int, in order, or Refused(code, message)."""
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise Refused(code, message) from None


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def json_error(
    code: str, message: str, status: int = 400, retry_after: int | None = None
) -> JsonResponse:
    """``{"error": {"code", "message"}}`` with ``status``: every JSON 4xx/5xx Civility sends."""
    response = JsonResponse(error_body(code, message), status=status)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response


def refusal_response(exc: Refused) -> JsonResponse:
    return json_error(exc.code, exc.message, exc.status, exc.retry_after)


# --- Django's error handlers (civility/urls.py): JSON under the machine-facing paths -----------
# Clients of the JSON APIs (the widget, Perspective and Coral clients) must never get an HTML
# page, whatever fails: an unknown URL, a body over the size limit, an unexpected crash.
API_PREFIXES = ("/api/", "/v1alpha1/", "/coral/")
# The desk's JSON endpoints: /moderate/<site>/api/... (civility/moderation/urls.py).
_DESK_API = re.compile(r"/moderate/[^/]+/api/")


def is_api_path(path: str) -> bool:
    """Whether ``path`` is under one of the JSON APIs (the reader's, Perspective's, Coral's, the
    desk's), whose clients get JSON errors, never an HTML page."""
    return path.startswith(API_PREFIXES) or _DESK_API.match(path) is not None


def _is_api(request: HttpRequest) -> bool:
    return is_api_path(request.path)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.core.exceptions import RequestDataTooBig
    from django.views import defaults

    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return json_error("too_large", "The request body is too large.", 413)
        return json_error("bad_request", "The request is malformed.", 400)
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.views import defaults

    if _is_api(request):
        return json_error("forbidden", "You may not do this.", 403)
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.views import defaults

    if _is_api(request):
        return json_error("not_found", f"There is nothing at {request.path}.", 404)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    from django.views import defaults

    if _is_api(request):
        message = "Something went wrong on our side; nothing was lost."
        return json_error("server_error", message, 500)
    return defaults.server_error(request)
