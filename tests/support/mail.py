"""The development SMTP sink (aiosmtpd) on a loopback port: what the services send, kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    """An SMTP server that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_sink(port: int) -> Iterator[Sink]:
    sink = Sink()
    sink.port = port
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


async def arrived(sink: Sink, count: int) -> list[Message]:
    for _ in range(100):
        if len(sink.messages) >= count:
            return sink.messages
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(sink.messages)} of {count} emails arrived")


def mail_env(port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_STARTTLS": "false",
        "STAFF_EMAIL": "staff@wnwa.example",
        "MAIL_EVERY_MS": "100",
    }
