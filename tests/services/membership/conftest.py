from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS, create_app
from tests.conftest import ServiceUnderTest
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.tokens import ISSUER, TokenIssuer

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")

# a leap day: dates a year or three away do not exist, so the tests meet that case every day
LEAP_DAY = dt.datetime(2028, 2, 29, 15, 0, tzinfo=dt.UTC)


def years_after(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years the way PostgreSQL does: 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(LEAP_DAY)


def membership_environment(database_url: str, issuer: TokenIssuer) -> dict[str, str]:
    return {
        "WNWA_ENV": "test",
        "WNWA_MEMBERSHIP_DATABASE_URL": database_url,
        "WNWA_JWKS_URL": issuer.jwks_url,
        "WNWA_TOKEN_ISSUER": ISSUER,
    }


@pytest.fixture
async def membership(
    databases: TemplateDatabases, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[ServiceUnderTest]:
    database_url = await databases.fresh("membership", MIGRATIONS)
    settings = membership_settings.load(membership_environment(database_url, issuer))
    async with running(create_app(settings, clock=clock)) as http:
        yield ServiceUnderTest(GraphQLClient(http), database_url, http)


@pytest.fixture
def admin_token(issuer: TokenIssuer) -> str:
    return issuer.token("network_admin", department=NETWORK)


@pytest.fixture
async def db(membership: ServiceUnderTest) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(membership.database_url)
    yield connection
    await connection.close()


STANDARD_TIERS = [
    {"minSwornOfficers": 1, "maxSwornOfficers": 15, "annualFeeCents": 150000},
    {"minSwornOfficers": 16, "maxSwornOfficers": 50, "annualFeeCents": 300000},
    {"minSwornOfficers": 51, "annualFeeCents": 500000},
]

CREATE = """
mutation Create($input: DepartmentInput!) {
  createDepartment(input: $input) {
    department { id name county state isMember record { ori swornOfficers status joinedOn } }
    errors { field message }
  }
}
"""


def department_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Harlow Park Police Department",
        "ori": "IL016Z001",
        "county": "Cook",
        "state": "IL",
        "swornOfficers": 46,
        "civiliansEnrolled": True,
    }
    values.update(overrides)
    return values


async def create_department(
    membership: ServiceUnderTest, token: str, **overrides: Any
) -> dict[str, Any]:
    answer = await membership.graphql(CREATE, {"input": department_input(**overrides)}, token=token)
    payload: dict[str, Any] = answer["data"]["createDepartment"]
    assert payload["errors"] == [], payload
    department: dict[str, Any] = payload["department"]
    return department
