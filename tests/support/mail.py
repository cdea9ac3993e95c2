"""The development SMTP sink (aiosmtpd) on a loopback port: what the services send, kept."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Collection, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import asyncpg
from aiosmtpd.controller import Controller


class Sink:
    """An SMTP server that keeps what it is sent; the messages numbered in ``refuse`` (the
    first offered is 1) are turned away with a temporary failure, as a relay under load does.

    Recipients in ``unknown`` are refused for good (550, as a relay that knows the mailbox
    does not exist); at a recipient in ``hanging`` the server says nothing until the test
    ends (as a relay waiting on the recipient's domain does), holding that session open."""

    def __init__(
        self,
        refuse: Collection[int] = (),
        *,
        unknown: Collection[str] = (),
        hanging: Collection[str] = (),
    ) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self.offered = 0
        self.refuse = frozenset(refuse)
        self.unknown = frozenset(unknown)
        self.hanging = frozenset(hanging)
        self.hung = 0  # sessions held at a hanging recipient so far
        self.released = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        if address in self.hanging:
            self.hung += 1
            await asyncio.to_thread(self.released.wait)
            return "451 4.4.1 No answer from the recipient's domain"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.offered += 1
        if self.offered in self.refuse:
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@contextlib.contextmanager
def smtp_sink(
    port: int,
    *,
    refuse: Collection[int] = (),
    unknown: Collection[str] = (),
    hanging: Collection[str] = (),
) -> Iterator[Sink]:
    sink = Sink(refuse, unknown=unknown, hanging=hanging)
    sink.port = port
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        sink.released.set()
        controller.stop()


async def arrived(sink: Sink, count: int) -> list[EmailMessage]:
    for _ in range(100):
        if len(sink.messages) >= count:
            return sink.messages
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(sink.messages)} of {count} emails arrived")


async def outbox_left(db: asyncpg.Connection) -> int:
    """How many messages the outbox holds once delivered ones have left it (the relay has a
    message a moment before its sender writes that down), waiting up to five seconds."""
    left: int = await db.fetchval("SELECT count(*) FROM mail_outbox")
    for _ in range(100):
        if left == 0:
            break
        await asyncio.sleep(0.05)
        left = await db.fetchval("SELECT count(*) FROM mail_outbox")
    return left


def text_of(message: EmailMessage) -> str:
    """The message's text as its reader sees it (transfer encoding undone; the text part of
    a message with attachments)."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def mail_env(port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_STARTTLS": "false",
        "STAFF_EMAIL": "staff@wnwa.example",
        "MAIL_EVERY_MS": "100",
    }
