"""Content-Security-Policy for the moderation desk (everything under /moderate/).

The desk's templates have no inline script, no inline event handler and no style attribute:
data goes to its one script as ``json_script`` (a JSON data block, never executed), and its
script and styles are files under /moderate/assets/. So one fixed policy fits every desk page
and needs no nonce; tests/moderation/test_desk_policy.py keeps the templates that way and drives
the queue in Chromium under this header. Django 6.1 has CSP middleware of its own and Django 5.2
has none; a fixed header on one path prefix serves both, where a nonce-per-request library would
add nothing. The embed and the API keep their own headers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIX = "/moderate/"
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # data: for the QR code of the second-factor set-up
        "connect-src 'self'",  # the queue's API and live events
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class DeskPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(PREFIX) and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = POLICY
        return response
