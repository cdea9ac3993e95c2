"""What one anonymous sender can do to everyone's mail, through the gateway, with membership
served on loopback and a real SMTP server (aiosmtpd) as the relay: a booking's free link
cannot queue mail without end, and an address the relay refuses or hangs at holds back no
one else's mail."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from gateway.app import create_app as create_gateway
from gateway.settings import load as load_gateway
from servicekit.clock import FixedClock
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS, create_app
from tests.services.membership.conftest import membership_environment
from tests.services.membership.test_demo_slots import BOOK, CONTACT, MOVE, NOW, PUBLISH
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.mail import Sink, arrived, mail_env, smtp_sink, text_of
from tests.support.proof_of_work import contact_form_proof
from tests.support.servers import free_port, serving
from tests.support.tokens import ISSUER, TokenIssuer

INQUIRE = """
mutation Ask($input: JoinInquiryInput!, $proof: String) {
  submitJoinInquiry(input: $input, proofOfWork: $proof) { reference errors { field message } }
}
"""
OUTBOX = "{ undeliveredContactMail { recipientKind subject attempts lastError deadLetter } }"
UNKNOWN = "nobody@gone.example"
HANGING = [f"wait{n}@tarpit.example" for n in range(3)]


@dataclass
class Network:
    """The gateway in front of membership, the relay, and membership's database."""

    gateway: GraphQLClient
    sink: Sink
    database_url: str

    async def outbox_count(self) -> int:
        connection = await asyncpg.connect(self.database_url)
        try:
            counted: int = await connection.fetchval("SELECT count(*) FROM mail_outbox")
            return counted
        finally:
            await connection.close()


@contextlib.asynccontextmanager
async def network(
    databases: TemplateDatabases, issuer: TokenIssuer, **extra: str
) -> AsyncIterator[Network]:
    database_url = await databases.fresh("membership", MIGRATIONS)
    port = free_port()
    mail = {f"WNWA_MEMBERSHIP_{key}": value for key, value in mail_env(port).items()}
    environ = {**membership_environment(database_url, issuer), **mail, **extra}
    settings = membership_settings.load(environ)
    with smtp_sink(port, unknown={UNKNOWN}, hanging=HANGING) as sink:
        async with serving(create_app(settings, clock=FixedClock(NOW))) as membership:
            gateway = create_gateway(
                load_gateway(
                    {
                        "WNWA_ENV": "test",
                        "WNWA_JWKS_URL": issuer.jwks_url,
                        "WNWA_TOKEN_ISSUER": ISSUER,
                        "WNWA_GATEWAY_MEMBERSHIP_URL": f"{membership}/graphql",
                    }
                )
            )
            async with running(gateway) as http:
                yield Network(GraphQLClient(http), sink, database_url)


@pytest.fixture
async def through_the_gateway(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[Network]:
    async with network(databases, issuer, WNWA_MEMBERSHIP_SMTP_TIMEOUT_MS="300") as running_:
        yield running_


async def publish(net: Network, token: str, starts_at: dt.datetime) -> str:
    answer = await net.gateway(
        PUBLISH, {"input": {"startsAt": starts_at.isoformat(), "format": "VIRTUAL"}}, token=token
    )
    slot_id: str = answer["data"]["publishDemoSlot"]["slot"]["id"]
    return slot_id


async def test_one_booking_cannot_queue_mail_without_paying_for_each_change(
    through_the_gateway: Network, issuer: TokenIssuer
) -> None:
    """The booking's link moves it with no sign-in; each move mails the staff and the
    department. Unpaid, one booking would be a tap of mail that drowns everyone's."""
    net = through_the_gateway
    admin = issuer.token("network_admin")
    first = await publish(net, admin, NOW + dt.timedelta(days=3))
    second = await publish(net, admin, NOW + dt.timedelta(days=4))
    booked = await net.gateway(
        BOOK,
        {
            "input": {**CONTACT, "slotId": first},
            "proof": await contact_form_proof(net.gateway, "DEMO_REQUEST"),
        },
    )
    assert booked["data"]["bookDemo"]["errors"] == [], booked
    confirmation = next(m for m in await arrived(net.sink, 2) if m["To"] == CONTACT["email"])
    found = re.search(r"/join#booking=(\S+)", text_of(confirmation))
    assert found is not None
    token = found.group(1)

    for number in range(20):  # back and forth, as fast as the network answers
        slot = second if number % 2 == 0 else first
        answer = await net.gateway(MOVE, {"token": token, "slot": slot})
        assert answer["data"] is None, answer
        assert answer["errors"][0]["extensions"]["code"] == "PROOF_OF_WORK_MISSING"
    assert len(net.sink.messages) + await net.outbox_count() == 2  # the booking's, no more

    # a person moving their demo pays the demo form's price once, and both hear of it
    moved = await net.gateway(
        MOVE,
        {
            "token": token,
            "slot": second,
            "proof": await contact_form_proof(net.gateway, "DEMO_REQUEST"),
        },
    )
    assert moved["data"]["moveDemoBooking"]["booking"]["slot"] == {"id": second}, moved
    await arrived(net.sink, 4)


def inquiry(email: str, agency: str) -> dict[str, Any]:
    return {
        "agency": agency,
        "contactName": "Sam Ortiz",
        "contactRole": "Chief",
        "email": email,
        "message": "How does joining work?",
    }


async def test_addresses_the_relay_refuses_or_hangs_at_hold_back_no_one_elses_mail(
    through_the_gateway: Network, issuer: TokenIssuer
) -> None:
    net = through_the_gateway
    for number, email in enumerate([*HANGING, UNKNOWN]):
        answer = await net.gateway(
            INQUIRE,
            {
                "input": inquiry(email, f"Sender {number} PD"),
                "proof": await contact_form_proof(net.gateway),
            },
        )
        assert answer["data"]["submitJoinInquiry"]["reference"], answer
    person = await net.gateway(
        INQUIRE,
        {
            "input": inquiry(CONTACT["email"], "Marlow Township Police Department"),
            "proof": await contact_form_proof(net.gateway),
        },
    )
    reference = person["data"]["submitJoinInquiry"]["reference"]

    # the staff hear of all five, and the person gets the receipt
    messages = await arrived(net.sink, 6)
    receipt = next(m for m in messages if m["To"] == CONTACT["email"])
    assert reference in text_of(receipt)
    assert sum(m["To"] == "staff@wnwa.example" for m in messages) == 5

    # the admins see what could not go out, and whom it was for, never the address
    admin = issuer.token("network_admin")
    for _ in range(100):
        listed = (await net.gateway(OUTBOX, token=admin))["data"]["undeliveredContactMail"]
        if len(listed) == 4:
            break
        await asyncio.sleep(0.05)
    dead = [m for m in listed if m["deadLetter"]]
    assert dead == [
        {
            "recipientKind": "correspondent",
            "subject": "We received your message",
            "attempts": 1,
            "lastError": "SMTPRecipientsRefused",
            "deadLetter": True,
        }
    ]
    waiting = [m for m in listed if not m["deadLetter"]]
    assert [m["lastError"] for m in waiting] == ["SMTPReadTimeoutError"] * 3
    assert net.sink.hung >= 3


async def test_an_address_no_mail_could_reach_is_refused_at_the_form(
    through_the_gateway: Network,
) -> None:
    """What the email library or the relay would refuse at every attempt is never stored:
    the person is told at once, and no dead letter is made for the admins."""
    proof = await contact_form_proof(through_the_gateway.gateway)
    for email in (
        "sam..ortiz@marlow.example",  # the library builds no header from a doubled dot
        ".sam@marlow.example",
        f"{'s' * 65}@marlow.example",  # longer than a relay must take before the @
        f"sam@{'m' * 64}.example",
        "sam@marlow-.example",
        "sam@bücher.example",  # a relay need not take anything but ASCII
    ):
        answer = await through_the_gateway.gateway(
            INQUIRE, {"input": inquiry(email, "Marlow PD"), "proof": proof}
        )
        receipt = answer["data"]["submitJoinInquiry"]
        assert [error["field"] for error in receipt["errors"]] == ["input.email"], email
        assert receipt["reference"] is None
    assert await through_the_gateway.outbox_count() == 0
    # the same solution goes through once the address is right
    answer = await through_the_gateway.gateway(
        INQUIRE, {"input": inquiry("sam.ortiz@marlow.example", "Marlow PD"), "proof": proof}
    )
    assert answer["data"]["submitJoinInquiry"]["reference"], answer
