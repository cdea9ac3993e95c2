from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.support.tokens import TokenIssuer

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")


@pytest.fixture
async def membership(start_service: ServiceFactory) -> AsyncIterator[ServiceUnderTest]:
    async with start_service("membership") as service:
        yield service


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
