"""Staff hear of each inquiry and demo request, and the sender gets a receipt, by email
through a real SMTP server (aiosmtpd, the development sink); retried when it is down."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.conftest import ServiceFactory
from tests.support.mail import arrived, mail_env, smtp_sink
from tests.support.proof_of_work import contact_form_proof
from tests.support.servers import free_port

INQUIRY = """
mutation Ask($input: JoinInquiryInput!, $proof: String) {
  submitJoinInquiry(input: $input, proofOfWork: $proof) { reference errors { field } }
}
"""
DEMO = """
mutation Demo($input: DemoRequestInput!, $proof: String) {
  requestDemo(input: $input, proofOfWork: $proof) { reference errors { field } }
}
"""
CONTACT = {
    "agency": "Marlow Township Police Department",
    "contactName": "Sam Ortiz",
    "contactRole": "Chief",
    "email": "chief@marlow-township.example",
    "phone": "+13125550177",
}


async def test_staff_and_sender_hear_of_an_inquiry_and_a_demo_request(
    start_service: ServiceFactory,
) -> None:
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service("membership", **mail_env(port)) as membership:
            asked = await membership.graphql(
                INQUIRY,
                {
                    "input": {**CONTACT, "message": "How does joining work?"},
                    "proof": await contact_form_proof(membership.graphql),
                },
            )
            reference = asked["data"]["submitJoinInquiry"]["reference"]
            demo = await membership.graphql(
                DEMO,
                {
                    "input": {**CONTACT, "format": "VIRTUAL", "preferredTimes": "Mornings"},
                    "proof": await contact_form_proof(membership.graphql, "DEMO_REQUEST"),
                },
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
            proof = await contact_form_proof(membership.graphql)
            await membership.graphql(
                INQUIRY, {"input": {**CONTACT, "message": "Hello"}, "proof": proof}
            )
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
