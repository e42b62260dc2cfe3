"""`civility serve`'s gunicorn worker: gthread, with gunicorn's own error answers in JSON.

gunicorn answers a request it cannot parse (a request line over its 4,094-byte limit, a
malformed or oversized header, a bad chunk) itself, before Django sees it, with an HTML page.
Clients of the JSON APIs must never get HTML (civility.errors), and the path is not always
known at that point (a request line too long to read has none), so every such answer goes out
as Civility's JSON error body with gunicorn's status. gunicorn still decides the status and logs
the error; only the body changes.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from civility.errors import error_body

# status -> (code, message): what gunicorn refuses before the application sees the request.
ANSWERS = {
    400: ("bad_request", "The request is not valid HTTP."),
    403: ("forbidden", "The request is forbidden."),
    414: ("request_line_too_long", "The request line (method, URL and version) is too long."),
    417: ("expectation_failed", "The request's Expect header cannot be met."),
    431: ("headers_too_large", "The request's headers are too many or too large."),
    500: ("server_error", "The server could not answer this request."),
    501: ("not_implemented", "The request's transfer coding is not supported."),
}


class _Capture:
    """Stands in for the client's socket while gunicorn writes its HTML answer."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


def json_answer(html_answer: bytes) -> bytes:
    """gunicorn's HTML error answer (status line first) as the same status with a JSON body."""
    status_line = html_answer.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 400
    reason = parts[2] if len(parts) > 2 else "Bad Request"
    code, message = ANSWERS.get(status, ANSWERS[500 if status >= 500 else 400])
    body = json.dumps(error_body(code, message)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type hints
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Capture()
        super().handle_error(req, captured, addr, exc)  # status, logging and access line
        if not captured.data:
            return
        try:
            util.write_nonblock(client, json_answer(captured.data))
        except Exception:  # the client went away: nothing to tell it
            self.log.debug("Failed to send error message.")
