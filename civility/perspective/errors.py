"""Google API error envelopes, as Perspective's clients parse them."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

ERROR_TYPE_URL = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"

# errorType values of google.commentanalyzer.v1alpha1.Error that this server emits.
COMMENT_EMPTY = "COMMENT_EMPTY"
COMMENT_TOO_LONG = "COMMENT_TOO_LONG"
NO_REQUESTED_ATTRIBUTES = "NO_REQUESTED_ATTRIBUTES"
LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE = "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
INVALID_REQUEST = "INVALID_REQUEST"

_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """Raised anywhere in request handling; rendered by `error_response`."""

    def __init__(
        self,
        code: int,
        message: str,
        error_type: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.error_type = error_type
        self.extra = extra or {}
        self.headers = headers or {}


def bad_request(error_type: str, message: str, **extra: Any) -> ApiError:
    return ApiError(400, message, error_type, extra)


def error_body(err: ApiError) -> dict[str, Any]:
    error: dict[str, Any] = {
        "code": err.code,
        "message": err.message,
        "status": _STATUS.get(err.code, "UNKNOWN"),
    }
    if err.error_type:
        error["details"] = [{"@type": ERROR_TYPE_URL, "errorType": err.error_type, **err.extra}]
    return {"error": error}


def error_response(err: ApiError) -> JsonResponse:
    resp = JsonResponse(error_body(err), status=err.code)
    for name, value in err.headers.items():
        resp[name] = value
    return resp
