"""The embedded database server runs with the project's settings, the lock table's size
included, which PostgreSQL takes only when it starts."""

from __future__ import annotations

import os
import uuid

import asyncpg
import pytest

from tests.support.database import drop, recreate
from wnwa.postgres import LOCK_SETTINGS, SERVER_SETTINGS

MARKS = 60_000  # a month's reports of 60,000 supporters: six times what the default holds


@pytest.mark.skipif(
    bool(os.environ.get("WNWA_TEST_POSTGRES_URL")), reason="an external server has its own"
)
async def test_the_embedded_server_has_room_for_a_months_marks(postgres_url: str) -> None:
    name = f"test_locks_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(await recreate(postgres_url, name))
    try:
        for setting, value in SERVER_SETTINGS.items():
            assert await admin.fetchval(f"SHOW {setting}") == value, setting
        # one session holds them all, as one process's marks do (servicekit/ephemeral.py)
        taken = await admin.fetchval(
            "SELECT count(*) FROM generate_series(1, $1::bigint) AS k"
            " WHERE pg_try_advisory_lock(k)",
            MARKS,
        )
        assert taken == MARKS
        assert int(LOCK_SETTINGS["max_locks_per_transaction"]) > 64
    finally:
        await admin.close()
        await drop(postgres_url, name)
