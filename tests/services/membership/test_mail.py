"""Staff hear of each inquiry and demo request, and the sender gets a receipt, by email
through a real SMTP server (aiosmtpd, the development sink); retried when it is down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import asyncpg
from aiosmtpd.controller import Controller

from tests.conftest import ServiceFactory
from tests.support.servers import free_port

INQUIRY = """
mutation Ask($input: JoinInquiryInput!) {
  submitJoinInquiry(input: $input) { reference errors { field } }
}
"""
DEMO = """
mutation Demo($input: DemoRequestInput!) {
  requestDemo(input: $input) { reference errors { field } }
}
"""
CONTACT = {
    "agency": "Marlow Township Police Department",
    "contactName": "Sam Ortiz",
    "contactRole": "Chief",
    "email": "chief@marlow-township.example",
    "phone": "+13125550177",
}


class Sink:
    """An SMTP server that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_sink(port: int) -> Iterator[Sink]:
    sink = Sink()
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


async def test_staff_and_sender_hear_of_an_inquiry_and_a_demo_request(
    start_service: ServiceFactory,
) -> None:
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service("membership", **mail_env(port)) as membership:
            asked = await membership.graphql(
                INQUIRY, {"input": {**CONTACT, "message": "How does joining work?"}}
            )
            reference = asked["data"]["submitJoinInquiry"]["reference"]
            demo = await membership.graphql(
                DEMO, {"input": {**CONTACT, "format": "VIRTUAL", "preferredTimes": "Mornings"}}
            )
            assert demo["data"]["requestDemo"]["errors"] == []
            messages = await arrived(sink, 4)
            db = await asyncpg.connect(membership.database_url)
            try:
                assert await db.fetchval("SELECT count(*) FROM mail_outbox") == 0
            finally:
                await db.close()
    to_staff = [m for m in messages if m["To"] == "staff@wnwa.example"]
    receipts = [m for m in messages if m["To"] == CONTACT["email"]]
    assert len(to_staff) == 2
    assert len(receipts) == 2
    assert "Marlow Township" in to_staff[0]["Subject"]
    body = str(to_staff[0].get_payload())
    # staff read the details on the portal: the email carries no one's name, address or number
    for detail in ("Sam Ortiz", CONTACT["email"], "555"):
        assert detail not in body
    assert any(reference in str(r.get_payload()) for r in receipts)


async def test_mail_waits_in_the_outbox_while_the_server_is_down(
    start_service: ServiceFactory,
) -> None:
    port = free_port()
    async with start_service("membership", **mail_env(port)) as membership:
        db = await asyncpg.connect(membership.database_url)
        try:
            await membership.graphql(INQUIRY, {"input": {**CONTACT, "message": "Hello"}})
            for _ in range(100):  # a first attempt fails: nothing listens yet
                if await db.fetchval("SELECT min(attempts) FROM mail_outbox") == 1:
                    break
                await asyncio.sleep(0.05)
            assert await db.fetchval("SELECT count(*) FROM mail_outbox WHERE attempts = 1") == 2
            with smtp_sink(port) as sink:
                # the retry's pause is minutes; bring it forward instead of waiting
                await db.execute("UPDATE mail_outbox SET next_attempt_at = now()")
                await arrived(sink, 2)
            assert await db.fetchval("SELECT count(*) FROM mail_outbox") == 0
        finally:
            await db.close()
