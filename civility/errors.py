"""The error every app raises for a refused request, and the one JSON error body.

A leaf module: it imports nothing from Civility's apps, so every app may import it.
Perspective's API keeps Google's own error envelope (civility.perspective.errors).
"""

from __future__ import annotations

from django.http import JsonResponse


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
