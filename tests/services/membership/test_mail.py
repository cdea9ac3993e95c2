"""Staff hear of each inquiry and demo request, and the sender gets a receipt, by email
through a real SMTP server (aiosmtpd, the development sink); retried when it is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from email.utils import parsedate_to_datetime

import asyncpg
import pytest

from servicekit.mail import MAX_ATTEMPTS
from tests.conftest import ServiceFactory
from tests.support.mail import arrived, mail_env, outbox_left, smtp_sink, text_of
from tests.support.proof_of_work import contact_form_proof
from tests.support.servers import free_port
from tests.support.tokens import TokenIssuer

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
                assert await outbox_left(db) == 0
            finally:
                await db.close()
    to_staff = [m for m in messages if m["To"] == "staff@wnwa.example"]
    receipts = [m for m in messages if m["To"] == CONTACT["email"]]
    assert len(to_staff) == 2
    assert len(receipts) == 2
    assert "Marlow Township" in to_staff[0]["Subject"]
    body = text_of(to_staff[0])
    # staff read the details on the portal: the email carries no one's name, address or number
    for detail in ("Sam Ortiz", CONTACT["email"], "555"):
        assert detail not in body
    assert any(reference in text_of(r) for r in receipts)


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
            assert await outbox_left(db) == 0
        finally:
            await db.close()


PUBLIC_URL = "https://portal.wnwa.example"
MAIL_FROM = "WeNeverWalkAlone <network@mail.wnwa.example>"
OUTBOX = """
query Outbox { undeliveredContactMail { id recipientKind subject attempts lastError deadLetter } }
"""
RETRY = """
mutation Retry($id: ID!) {
  retryContactMail(id: $id) { mail { id deadLetter attempts } errors { field message } }
}
"""
DISMISS = """
mutation Dismiss($id: ID!) {
  dismissContactMail(id: $id) { mail { id } errors { field message } }
}
"""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("agency", "Marlow Township PD\nBcc: everyone@evil.example"),
        ("agency", "Marlow Township PD\r\nX-Injected: yes"),
        ("agency", "Marlow\u2028Township"),
        ("agency", "Marlow\x85Township"),
        ("contactName", "Sam\tOrtiz"),
        ("contactRole", "Chief\nof Police"),
    ],
)
async def test_a_line_break_in_a_one_line_field_is_refused_and_nothing_is_queued(
    start_service: ServiceFactory, field: str, value: str
) -> None:
    async with start_service("membership") as membership:
        answer = await membership.graphql(
            INQUIRY.replace("errors { field }", "errors { field message }"),
            {"input": {**CONTACT, field: value, "message": "Two lines\nare fine here."}},
        )
        db = await asyncpg.connect(membership.database_url)
        try:
            queued = await db.fetchval("SELECT count(*) FROM mail_outbox")
            stored = await db.fetchval("SELECT count(*) FROM department_contacts")
        finally:
            await db.close()
    receipt = answer["data"]["submitJoinInquiry"]
    assert receipt["reference"] is None
    assert receipt["errors"] == [
        {
            "field": f"input.{field}",
            "message": "Keep this on one line, without tabs or control characters.",
        }
    ]
    assert (queued, stored) == (0, 0)


async def test_mail_has_a_date_a_message_id_and_links_to_the_public_address(
    start_service: ServiceFactory,
) -> None:
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service(
            "membership",
            environment={"WNWA_PUBLIC_URL": PUBLIC_URL},
            MAIL_FROM=MAIL_FROM,
            **mail_env(port),
        ) as membership:
            proof = await contact_form_proof(membership.graphql)
            await membership.graphql(
                INQUIRY, {"input": {**CONTACT, "message": "Hello"}, "proof": proof}
            )
            messages = await arrived(sink, 2)
    ids = set()
    for message in messages:
        assert parsedate_to_datetime(str(message["Date"])).tzinfo is not None
        assert re.fullmatch(r"<[^<>@\s]+@mail\.wnwa\.example>", str(message["Message-ID"]))
        ids.add(str(message["Message-ID"]))
        assert str(message["From"]) == MAIL_FROM
    assert len(ids) == 2
    staff = next(m for m in messages if m["To"] == "staff@wnwa.example")
    body = text_of(staff)
    assert f"{PUBLIC_URL}/admin" in body
    # every address in the mail is absolute: no bare "/admin" a mail reader cannot follow
    assert re.findall(r"(?<![\w.:/])/[a-z]", body) == []


async def test_a_message_the_mail_library_refuses_is_set_aside_and_the_rest_go_out(
    start_service: ServiceFactory, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    admin = issuer.token("network_admin")
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service("membership", **mail_env(port)) as membership:
            db = await asyncpg.connect(membership.database_url)
            try:
                # as if written before header injection was refused at the form: the library
                # raises on the newline while building the message
                async with db.transaction():
                    for age, subject in (
                        (3, "First"),
                        (2, "New request: Marlow PD\nBcc: everyone@evil.example"),
                        (1, "Third"),
                    ):
                        await db.execute(
                            "INSERT INTO mail_outbox"
                            " (recipient, recipient_kind, subject, body, next_attempt_at)"
                            " VALUES ('staff@wnwa.example', 'staff', $1, 'Body',"
                            " now() - $2::interval)",
                            subject,
                            dt.timedelta(seconds=age),
                        )
                delivered = await arrived(sink, 2)
                # the outbox sends over several SMTP sessions at once: in any order
                assert sorted(str(m["Subject"]) for m in delivered) == ["First", "Third"]
                # the housekeeping goes on: a new inquiry's two messages still go out
                proof = await contact_form_proof(membership.graphql)
                await membership.graphql(
                    INQUIRY, {"input": {**CONTACT, "message": "Hello"}, "proof": proof}
                )
                await arrived(sink, 4)
                outbox = await membership.graphql(OUTBOX, token=admin)
                [held] = outbox["data"]["undeliveredContactMail"]
                assert held == {
                    "id": held["id"],
                    "recipientKind": "staff",
                    "subject": "New request: Marlow PD\nBcc: everyone@evil.example",
                    "attempts": 1,
                    "lastError": "ValueError",
                    "deadLetter": True,
                }
                officer = await membership.graphql(OUTBOX, token=issuer.token("officer"))
                assert officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
                dismissed = await membership.graphql(DISMISS, {"id": held["id"]}, token=admin)
                assert dismissed["data"]["dismissContactMail"] == {
                    "mail": {"id": held["id"]},
                    "errors": [],
                }
                assert await outbox_left(db) == 0
                again = await membership.graphql(DISMISS, {"id": held["id"]}, token=admin)
                assert again["data"]["dismissContactMail"]["errors"][0]["field"] == "id"
            finally:
                await db.close()
    assert len(sink.messages) == 4  # each delivered once
    assert "ValueError" in caplog.text
    assert "evil.example" not in caplog.text
    assert "Marlow" not in caplog.text


async def test_a_dead_letter_goes_out_once_an_admin_retries_it(
    start_service: ServiceFactory, issuer: TokenIssuer
) -> None:
    admin = issuer.token("network_admin")
    port = free_port()
    async with start_service("membership", **mail_env(port)) as membership:
        db = await asyncpg.connect(membership.database_url)
        try:
            await db.execute(
                "INSERT INTO mail_outbox (recipient, subject, body, attempts)"
                " VALUES ('chief@marlow-township.example', 'Receipt', 'Body', $1)",
                MAX_ATTEMPTS - 1,
            )
            for _ in range(100):  # its last attempt fails: no relay listens
                if (
                    await db.fetchval("SELECT count(*) FROM mail_outbox WHERE dead_since IS NULL")
                    == 0
                ):
                    break
                await asyncio.sleep(0.05)
            [held] = (await membership.graphql(OUTBOX, token=admin))["data"][
                "undeliveredContactMail"
            ]
            assert (held["deadLetter"], held["attempts"], held["recipientKind"]) == (
                True,
                MAX_ATTEMPTS,
                "correspondent",
            )
            assert held["lastError"] == "SMTPConnectError"
            with smtp_sink(port) as sink:
                retried = await membership.graphql(RETRY, {"id": held["id"]}, token=admin)
                assert retried["data"]["retryContactMail"] == {
                    "mail": {"id": held["id"], "deadLetter": False, "attempts": 0},
                    "errors": [],
                }
                [message] = await arrived(sink, 1)
            assert message["To"] == "chief@marlow-township.example"
            assert (await membership.graphql(OUTBOX, token=admin))["data"] == {
                "undeliveredContactMail": []
            }
        finally:
            await db.close()
