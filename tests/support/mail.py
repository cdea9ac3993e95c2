"""The development SMTP sink (aiosmtpd) on a loopback port: what the services send, kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    """An SMTP server that keeps what it is sent; the messages numbered in ``refuse`` (the
    first offered is 1) are turned away with a temporary failure, as a relay under load does."""

    def __init__(self, refuse: Collection[int] = ()) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self.offered = 0
        self.refuse = frozenset(refuse)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.offered += 1
        if self.offered in self.refuse:
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@contextlib.contextmanager
def smtp_sink(port: int, *, refuse: Collection[int] = ()) -> Iterator[Sink]:
    sink = Sink(refuse)
    sink.port = port
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


async def arrived(sink: Sink, count: int) -> list[EmailMessage]:
    for _ in range(100):
        if len(sink.messages) >= count:
            return sink.messages
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(sink.messages)} of {count} emails arrived")


def text_of(message: EmailMessage) -> str:
    """The message's text as its reader sees it (transfer encoding undone)."""
    content: str = message.get_content()
    return content


def mail_env(port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_STARTTLS": "false",
        "STAFF_EMAIL": "staff@wnwa.example",
        "MAIL_EVERY_MS": "100",
    }
