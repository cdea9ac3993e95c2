"""Staff hear of each application and the applicant of its receipt and decision, by email
through a real SMTP server (aiosmtpd); the staff notice names no one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.services.professionals.conftest import TODAY, application_input, clock_on
from tests.services.professionals.test_vetting import DECIDE, run, to_deliberation
from tests.support.mail import Sink, arrived, mail_env, smtp_sink
from tests.support.servers import free_port

APPLICANT = application_input()["email"]


@pytest.fixture
async def mailing(start_service: ServiceFactory) -> AsyncIterator[tuple[ServiceUnderTest, Sink]]:
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service(
            "professionals", clock=clock_on(TODAY), **mail_env(port)
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
    staff_text = str(staff.get_payload())
    for detail in (application_input()["fullName"], APPLICANT, application_input()["phone"]):
        assert detail not in staff_text  # the details stay on the vetting page

    decided = await run(professionals, DECIDE, vetter_token, id=application_id)
    assert decided["errors"] == []
    decision = (await arrived(sink, 3))[2]
    assert decision["To"] == APPLICANT
    assert "approved" in str(decision["Subject"])
    db = await asyncpg.connect(professionals.database_url)
    try:
        for _ in range(40):  # delivered messages leave the outbox
            if await db.fetchval("SELECT count(*) FROM mail_outbox") == 0:
                break
            await asyncio.sleep(0.05)
        assert await db.fetchval("SELECT count(*) FROM mail_outbox") == 0
    finally:
        await db.close()
