"""The JSON API under /api/v1/ (django-ninja).

OpenAPI schema at /api/v1/openapi.json, browsable docs at /api/v1/docs.

Every 4xx has one shape: {"error": {"code": ..., "message": ...}}. Other apps add routers with
`api.add_router(...)`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from civility.api import accounts, comments, me
from civility.errors import Refused, json_error, refusal_response
from civility.sqlite_backend.base import WriteQueueBusy
from civility.textcheck import check_json_value, loads_checked


class GuardedParser(Parser):
    """JSON bodies and query strings with the guards of civility.textcheck: NUL, unpaired
    surrogates and deep nesting are a 400 before any view runs."""

    def parse_body(self, request: HttpRequest) -> Any:
        return loads_checked(request.body)

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)
        return check_json_value(parsed, "")


api = NinjaAPI(
    parser=GuardedParser(),
    title="Civility API",
    version="1",
    urls_namespace="api-v1",
    description="Comments, reactions, reports, counts and sign-in for the Civility widget.",
)


def error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return json_error(code, message, status)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return refusal_response(exc)


@api.exception_handler(WriteQueueBusy)
def _busy(request: HttpRequest, exc: WriteQueueBusy) -> HttpResponse:
    return json_error("busy", exc.advice, 503, exc.retry_after)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for e in exc.errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in {"body", "payload"})
        problems.append(f"{where}: {e.get('msg', 'invalid')}" if where else e.get("msg", ""))
    message = "; ".join(problems) or "The request is invalid."
    code = "malformed_json" if "JSON" in message or "json" in message else "invalid_request"
    return error(request, 400, code, message)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "unauthenticated", "Sign in first (a valid bearer token is needed).")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, Refused):  # ninja wraps what the body parser raised
        return refusal_response(exc.__cause__)
    if exc.status_code == 400 and "parse" in str(exc).lower():
        return error(request, 400, "malformed_json", "The request body is not valid JSON.")
    return error(request, exc.status_code, "error", str(exc))


# The routers import only civility.api.auth, never this module: no import cycle, so concurrent
# first requests on a fresh worker cannot meet a half-imported module.
api.add_router("/", comments.router)
api.add_router("/auth/", accounts.router)
api.add_router("/", me.router)
