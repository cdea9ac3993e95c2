"""Peer supporters create and edit their own profile; bad input is explained, not saved."""

from __future__ import annotations

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import (
    HARLOW,
    create_profile,
)
from tests.support.tokens import TokenIssuer


async def test_supporter_creates_a_profile_in_their_department(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    supporter = await create_profile(directory, issuer)
    assert supporter["displayName"] == "Sgt. Dana Okafor"
    assert supporter["department"] == {"id": str(HARLOW)}
    assert supporter["phone"] == "+13125550142"
    assert supporter["telLink"] == "tel:+13125550142"
    assert supporter["smsLink"] == "sms:+13125550142"
    assert (supporter["state"], supporter["county"]) == ("IL", "Cook")
    assert supporter["timeZone"] == "America/Chicago"  # taken from the ZIP code
    assert supporter["weeklySchedule"][0] == {"day": "MONDAY", "start": "09:00", "end": "17:00"}
    assert supporter["availableNow"] is True  # Wednesday 10:30 in Chicago
    assert supporter["active"] is True


async def test_demo_seed_fills_an_empty_directory_once(
    directory: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    from services.directory.demo import seed

    assert await seed(db) is True
    assert await seed(db) is False
    per_department = await db.fetch(
        "SELECT department_id, count(*) FROM peer_supporters GROUP BY department_id"
    )
    assert len(per_department) >= 20
    assert await db.fetchval("SELECT phone FROM wellbeing_resources ORDER BY position LIMIT 1")
