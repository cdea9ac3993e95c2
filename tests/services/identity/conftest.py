from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import ServiceFactory, ServiceUnderTest


@pytest.fixture
async def identity(start_service: ServiceFactory) -> AsyncIterator[ServiceUnderTest]:
    async with start_service("identity") as service:
        yield service


@pytest.fixture
async def identity_db(identity: ServiceUnderTest) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(identity.database_url)
    yield connection
    await connection.close()
