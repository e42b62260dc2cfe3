"""The JSON API under /api/v1/ (django-ninja).

OpenAPI schema at /api/v1/openapi.json, browsable docs at /api/v1/docs.

Every 4xx has one shape: {"error": {"code": ..., "message": ...}}. Other apps add routers with
`api.add_router(...)`. The document declares every status an operation can give and every
request constraint (civility.api.schemas); tests/contract/run_schemathesis.py holds the server
to it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from civility.api import accounts, comments, dsa, me
from civility.api.schemas import ERROR_PREFIX
from civility.errors import Refused, json_error, refusal_response
from civility.sqlite_backend.base import WriteQueueBusy
from civility.textcheck import check_json_value, loads_checked

log = logging.getLogger(__name__)


class GuardedParser(Parser):
    """JSON bodies and query strings with the guards of civility.textcheck: NUL, unpaired
    surrogates and deep nesting are a 400 before any view runs."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = loads_checked(request.body)
        # Every body of this API is an object: ninja would read the fields of anything else as
        # absent, and a schema whose fields all have defaults would accept `[null]` or `3`.
        if not isinstance(data, dict):
            raise Refused("invalid_request", "The request body must be a JSON object.")
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)
        return check_json_value(parsed, "")


def json_405(view: Callable[..., Any]) -> Callable[..., Any]:
    """ninja answers a method a path does not have with a plain-text 405: make it our JSON."""

    @functools.wraps(view)  # keeps csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            answer = json_error(
                "method_not_allowed", f"{request.method} is not allowed here; use {allowed}.", 405
            )
            answer["Allow"] = allowed
            return answer
        return response

    return wrapper


class CivilityAPI(NinjaAPI):
    """ninja's API with JSON 405s, and a document that says, on every 429 and 503, that a
    `Retry-After` header comes with it."""

    @property
    def urls(self) -> Any:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = json_405(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        retry_after = {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
        for path in schema["paths"].values():
            for operation in path.values():
                for status, answer in operation.get("responses", {}).items():
                    if str(status) in {"429", "503"}:
                        answer.setdefault("headers", {})["Retry-After"] = retry_after
        bearer_scheme = schema.get("components", {}).get("securitySchemes", {}).get("BearerAuth")
        if bearer_scheme is not None:
            bearer_scheme["description"] = (
                "The token an /auth/ endpoint answers with (`token`), as"
                " `Authorization: Bearer <token>`."
            )
        return schema


api = CivilityAPI(
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


@api.exception_handler(DatabaseError)
def _database_down(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """The database cannot be reached (stopped, restarting, failing over): nothing was stored,
    and the client is told to retry rather than shown a server error."""
    if not isinstance(exc, OperationalError | InterfaceError):
        raise exc
    log.warning("database unavailable: %s", exc)
    return json_error(
        "unavailable", "The database is unavailable; nothing was stored. Retry shortly.", 503, 5
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    for e in exc.errors:
        # A constraint of civility.api.schemas: the code the API has always given for it.
        kind = str(e.get("type", ""))
        if kind.startswith(ERROR_PREFIX):
            return error(request, 400, kind[len(ERROR_PREFIX) :], str(e.get("msg", "")))
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
api.add_router("/", dsa.router)
