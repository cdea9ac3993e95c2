"""The anonymous forms are rate limited without noting anything about who sent them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS, create_app
from tests.conftest import ServiceUnderTest
from tests.services.membership.conftest import LEAP_DAY, membership_environment
from tests.services.membership.test_contacts import DEMO, INQUIRE, inquiry
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.tokens import TokenIssuer


@pytest.fixture
async def limited(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[ServiceUnderTest]:
    database_url = await databases.fresh("membership", MIGRATIONS)
    environ = {
        **membership_environment(database_url, issuer),
        "WNWA_MEMBERSHIP_FORMS_BURST": "3",
        "WNWA_MEMBERSHIP_FORMS_PER_HOUR": "2",
    }
    app = create_app(membership_settings.load(environ), clock=FixedClock(LEAP_DAY))
    async with running(app) as http:
        yield ServiceUnderTest(GraphQLClient(http), database_url, http)


async def test_a_flood_of_inquiries_is_refused_with_a_message_a_person_can_act_on(
    limited: ServiceUnderTest,
) -> None:
    for number in range(3):
        answer = await limited.graphql(INQUIRE, {"input": inquiry(agency=f"Agency {number}")})
        assert answer["data"]["submitJoinInquiry"]["reference"], answer
    refused = await limited.graphql(INQUIRE, {"input": inquiry(agency="Agency 4")})
    [error] = refused["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED"}
    assert "Nothing was saved" in error["message"]
    assert "send yours again in about 30 minutes" in error["message"]

    connection = await asyncpg.connect(limited.database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM join_inquiries") == 3
    finally:
        await connection.close()

    # each form has its own allowance
    contact = {key: value for key, value in inquiry().items() if key != "message"}
    demo = await limited.graphql(
        DEMO, {"input": {**contact, "format": "VIRTUAL", "preferredTimes": "mornings"}}
    )
    assert demo["data"]["requestDemo"]["reference"], demo


async def test_a_form_with_mistakes_does_not_use_up_the_allowance(
    limited: ServiceUnderTest,
) -> None:
    for _ in range(5):
        answer = await limited.graphql(INQUIRE, {"input": inquiry(email="not an address")})
        assert answer["data"]["submitJoinInquiry"]["errors"]
    accepted = await limited.graphql(INQUIRE, {"input": inquiry()})
    assert accepted["data"]["submitJoinInquiry"]["reference"]
