"""A real SMTP server for the tests (aiosmtpd, on 127.0.0.1, a thread of its own) and the fixture
that points Django's SMTP backend at it. Tests read what arrived over SMTP, as a mail client
would: nothing here mocks Django's e-mail."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest


class Mailbox:
    """Every message the server accepted, parsed, in order of arrival."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
        """The messages to ``address`` once at least ``count`` have arrived."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.to(address)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no mail to {address} after {timeout} s: {self.messages}")
                self.arrived.wait(left)
            return self.to(address)

    def receive(self, address: str, count: int = 1, timeout: float = 60.0) -> list[EmailMessage]:
        """Run the queued tasks until ``count`` messages to ``address`` have arrived (a send
        that failed on a busy machine is retried with backoff, as in production)."""
        from tests.tasks.helpers import drain

        drain(lambda: len(self.to(address)) >= count, timeout=timeout)
        return self.wait_for(address, count, timeout=5)


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content()


def link(message: EmailMessage, path_part: str) -> str:
    """The first link in the message's text whose path contains ``path_part``."""
    for url in re.findall(r"https?://\S+", body(message)):
        if path_part in url:
            return url
    raise AssertionError(f"no link with {path_part!r} in {body(message)!r}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    """An SMTP server the test started, and Django's SMTP backend sending to it."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "News comments <comments@news.example>"
    try:
        yield box
    finally:
        controller.stop()
