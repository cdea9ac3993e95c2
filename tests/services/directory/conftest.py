"""Fixtures of the directory tests: the service on a fresh database with a clock that the
test sets, and helpers to create profiles the way a peer supporter would."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from servicekit.settings import Secret
from services.directory import settings as directory_settings
from services.directory.app import MIGRATIONS, create_app
from services.directory.report_key import ReportKey
from tests.conftest import ServiceUnderTest
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.tokens import ISSUER, TokenIssuer

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")
HARLOW = uuid.UUID("11111111-1111-4111-8111-111111111111")  # a department in Cook County, IL
FENWOOD = uuid.UUID("22222222-2222-4222-8222-222222222222")  # a department in DuPage County
LARKMOOR = uuid.UUID("33333333-3333-4333-8333-333333333333")  # a department in Peoria

ALL_DAY_EVERY_DAY = [
    {"day": day, "start": "00:00", "end": "24:00"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]

# the key the test processes run with (the development default), to open or seal parts as
# they do; nothing in the database could
REPORT_KEY = ReportKey(Secret(directory_settings.DEVELOPMENT_REPORT_KEY))

# Wednesday 15 January 2025, 10:30 in Chicago
WEDNESDAY_MORNING = dt.datetime(2025, 1, 15, 16, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WEDNESDAY_MORNING)


@contextlib.asynccontextmanager
async def directory_process(
    database_url: str, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[ServiceUnderTest]:
    """A directory process on ``database_url`` (the first, another replica, or a restart)."""
    settings = directory_settings.load(
        {
            "WNWA_ENV": "test",
            "WNWA_DIRECTORY_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
        }
    )
    async with running(create_app(settings, clock=clock)) as http:
        yield ServiceUnderTest(GraphQLClient(http), database_url, http)


@pytest.fixture
async def directory(
    databases: TemplateDatabases, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[ServiceUnderTest]:
    database_url = await databases.fresh("directory", MIGRATIONS)
    async with directory_process(database_url, issuer, clock) as service:
        yield service


@pytest.fixture
async def db(directory: ServiceUnderTest) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(directory.database_url)
    yield connection
    await connection.close()


@pytest.fixture
def admin_token(issuer: TokenIssuer) -> str:
    return issuer.token("network_admin", department=NETWORK)


PROFILE_FIELDS = """
    id displayName department { id } phone acceptsTexts telLink smsLink languages
    areasOfSupport yearsOfService certifications bio gender zipCode state county timeZone
    weeklySchedule { day start end } availableNow availableUntil unavailableUntil active
"""

CREATE_PROFILE = f"""
mutation Create($input: PeerSupporterProfileInput!) {{
  createMyPeerSupporterProfile(input: $input) {{
    supporter {{ {PROFILE_FIELDS} }}
    errors {{ field message }}
  }}
}}
"""

UPDATE_PROFILE = f"""
mutation Update($input: PeerSupporterProfileChanges!) {{
  updateMyPeerSupporterProfile(input: $input) {{
    supporter {{ {PROFILE_FIELDS} }}
    errors {{ field message }}
  }}
}}
"""

WEEKDAYS_NINE_TO_FIVE = [
    {"day": day, "start": "09:00", "end": "17:00"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
]


def profile_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "displayName": "Sgt. Dana Okafor",
        "phone": "(312) 555-0142",
        "acceptsTexts": True,
        "languages": ["en", "es"],
        "areasOfSupport": ["CRITICAL_INCIDENTS", "GRIEF_AND_LOSS"],
        "zipCode": "60601",
        "weeklySchedule": WEEKDAYS_NINE_TO_FIVE,
        "yearsOfService": 17,
        "certifications": ["ICISF Group Crisis Intervention"],
        "bio": "Patrol sergeant; I have been where you are.",
    }
    values.update(overrides)
    return values


async def create_profile(
    directory: ServiceUnderTest,
    issuer: TokenIssuer,
    *,
    department: uuid.UUID = HARLOW,
    subject: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A profile created by a new peer supporter of ``department``."""
    token = issuer.token(
        "peer_supporter", department=department, subject=subject or uuid.uuid4().hex
    )
    answer = await directory.graphql(
        CREATE_PROFILE, {"input": profile_input(**overrides)}, token=token
    )
    payload: dict[str, Any] = answer["data"]["createMyPeerSupporterProfile"]
    assert payload["errors"] == [], payload
    supporter: dict[str, Any] = payload["supporter"]
    return supporter


SEARCH = """
query Search($filter: PeerSupporterFilter, $first: Int! = 20, $after: String) {
  searchPeerSupporters(filter: $filter, first: $first, after: $after) {
    matches { distanceMiles supporter { id displayName availableNow smsLink telLink } }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  }
}
"""


async def search(
    directory: ServiceUnderTest,
    token: str,
    first: int = 20,
    after: str | None = None,
    **filter_: Any,
) -> dict[str, Any]:
    """The search's payload; fails the test on a GraphQL error."""
    answer = await directory.graphql(
        SEARCH, {"filter": filter_, "first": first, "after": after}, token=token
    )
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"]["searchPeerSupporters"]
    return payload


def names(payload: dict[str, Any]) -> list[str]:
    return [match["supporter"]["displayName"] for match in payload["matches"]]
