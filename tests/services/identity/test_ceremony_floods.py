"""Passkey ceremonies anyone can answer, without signing in: two requests (the options, then
any answer) spend a ceremony's challenge as a mark in the database server's lock table, which
every form and sign-in of every service on the server shares. A flood of them must hold a
bounded share of it."""

from __future__ import annotations

import asyncpg
import pytest

from services.identity.passkeys.ceremony import CEREMONY_MARKS
from tests.services.identity.conftest import Stack

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers


async def test_a_flood_of_answered_ceremonies_holds_a_bounded_share_of_the_lock_table(
    stack: Stack,
) -> None:
    async with stack.browser() as browser:
        for _ in range(CEREMONY_MARKS + 100):
            options = await browser.post("/auth/passkey/options", json={})
            assert options.status_code == 200
            answer = await browser.post("/auth/passkey", json={"credential": {}})
            assert answer.status_code == 400, answer.text
    connection = await asyncpg.connect(stack.identity_database)
    try:
        held = await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    finally:
        await connection.close()
    assert held <= CEREMONY_MARKS
