"""Authentication and response helpers shared by the API's routers (no router imports)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from civility.accounts import tokens
from civility.accounts.actions import remember_language


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.verify(token)
        if user is not None:
            request.user = user
            if "HTTP_ACCEPT_LANGUAGE" in request.META:  # the widget sends its page's language
                remember_language(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
        return user


def optional_user(request: HttpRequest) -> Any | None:
    """The reader a bearer token names, for endpoints that also serve anonymous readers."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return tokens.verify(header[7:].strip())
    return None


bearer = BearerAuth()

# For operations that serve anonymous readers and say more to a signed-in one (optional_user):
# the document lists the bearer scheme as optional there.
OPTIONAL_BEARER: dict[str, Any] = {"security": [{"BearerAuth": []}, {}]}


def created(body: dict[str, Any]) -> Any:
    """A 201 answer (ninja >= 1.5 wants Status; older versions take a tuple)."""
    try:
        from ninja import Status
    except ImportError:  # pragma: no cover - old ninja
        return 201, body
    return Status(201, body)


def accepted(body: dict[str, Any]) -> Any:
    """A 202 answer: the work (an e-mail) is queued."""
    try:
        from ninja import Status
    except ImportError:  # pragma: no cover - old ninja
        return 202, body
    return Status(202, body)
