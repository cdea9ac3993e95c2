"""Staff hear of each application and the applicant of its receipt and decision, by email
through a real SMTP server (aiosmtpd); the staff notice names no one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.services.professionals.conftest import TODAY, application_input, clock_on, submit
from tests.services.professionals.test_vetting import DECIDE, run, to_deliberation
from tests.support.mail import Sink, arrived, mail_env, outbox_left, smtp_sink, text_of
from tests.support.servers import free_port

APPLICANT = application_input()["email"]


PUBLIC_URL = "https://portal.wnwa.example"


@pytest.fixture
async def mailing(start_service: ServiceFactory) -> AsyncIterator[tuple[ServiceUnderTest, Sink]]:
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service(
            "professionals",
            clock=clock_on(TODAY),
            environment={"WNWA_PUBLIC_URL": PUBLIC_URL},
            **mail_env(port),
        ) as service:
            yield service, sink


async def test_an_application_and_its_decision_are_mailed(
    mailing: tuple[ServiceUnderTest, Sink], vetter_token: str, second_vetter_token: str
) -> None:
    professionals, sink = mailing
    application_id = await to_deliberation(
        professionals, vetter_token, second_vetter_token, ("APPROVE", "APPROVE")
    )
    received = await arrived(sink, 2)
    staff = next(m for m in received if m["To"] == "staff@wnwa.example")
    receipt = next(m for m in received if m["To"] == APPLICANT)
    reference = str(staff["Subject"]).removeprefix("New application ")
    assert reference.startswith("PRO-")
    assert reference in str(receipt["Subject"])
    staff_text = text_of(staff)
    assert f"{PUBLIC_URL}/vetting" in staff_text
    assert f"{PUBLIC_URL}/application-status" in text_of(receipt)
    for message in received:
        assert message["Date"]
        assert message["Message-ID"]
        # every address in the mail is absolute: none a mail reader could not follow
        assert re.findall(r"(?<![\w.:/])/[a-z]", text_of(message)) == []
    for detail in (application_input()["fullName"], APPLICANT, application_input()["phone"]):
        assert detail not in staff_text  # the details stay on the vetting page

    decided = await run(professionals, DECIDE, vetter_token, id=application_id)
    assert decided["errors"] == []
    decision = (await arrived(sink, 3))[2]
    assert decision["To"] == APPLICANT
    assert "approved" in str(decision["Subject"])
    db = await asyncpg.connect(professionals.database_url)
    try:
        assert await outbox_left(db) == 0  # delivered messages leave the outbox
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fullName", "Dr. Marisol Quenneville\nBcc: everyone@evil.example"),
        ("credentials", "PhD\r\nX-Injected: yes"),
        ("practiceName", "Lakeshore\u2028Resilience"),
    ],
)
async def test_a_line_break_in_a_one_line_field_is_refused(
    professionals: ServiceUnderTest, field: str, value: str
) -> None:
    answer = await submit(professionals, application_input(**{field: value}))
    payload = answer["data"]["submitProfessionalApplication"]
    assert payload["reference"] is None
    assert payload["errors"] == [
        {
            "field": f"input.{field}",
            "message": "Keep this on one line, without tabs or control characters.",
        }
    ]


OUTBOX = """
query Outbox { undeliveredApplicationMail { id recipientKind subject lastError deadLetter } }
"""


async def test_network_admins_see_and_dismiss_application_mail_that_could_not_go_out(
    professionals: ServiceUnderTest, admin_token: str, vetter_token: str
) -> None:
    db = await asyncpg.connect(professionals.database_url)
    try:
        await db.execute(
            "INSERT INTO mail_outbox (recipient, subject, body, attempts, last_error, dead_since)"
            " VALUES ('intake@lakeshore.example', 'Your application PRO-1 is in', 'Hi', 12,"
            " 'SMTPRecipientsRefused', now())"
        )
    finally:
        await db.close()
    answer = await professionals.graphql(OUTBOX, token=admin_token)
    [held] = answer["data"]["undeliveredApplicationMail"]
    assert held == {
        "id": held["id"],
        "recipientKind": "correspondent",
        "subject": "Your application PRO-1 is in",
        "lastError": "SMTPRecipientsRefused",
        "deadLetter": True,
    }
    refused = await professionals.graphql(OUTBOX, token=vetter_token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    dismissed = await professionals.graphql(
        "mutation D($id: ID!) { dismissApplicationMail(id: $id) { errors { field } } }",
        {"id": held["id"]},
        token=admin_token,
    )
    assert dismissed["data"]["dismissApplicationMail"]["errors"] == []
    answer = await professionals.graphql(OUTBOX, token=admin_token)
    assert answer["data"]["undeliveredApplicationMail"] == []
