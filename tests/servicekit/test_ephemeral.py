"""Marks shared by every process of a service, held in PostgreSQL's memory only."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from collections.abc import AsyncIterator

import asyncpg
import pytest

from servicekit.clock import FixedClock
from servicekit.database_urls import database_name, with_database
from servicekit.ephemeral import EphemeralMarks, MarksUnavailable, mark_key
from tests.support.database import drop, recreate

NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
_databases = itertools.count()


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    name = f"test_ephemeral_{os.getpid()}_{next(_databases)}"
    yield await recreate(postgres_url, name)
    await drop(postgres_url, name)


async def test_a_mark_is_claimed_once_across_processes(database_url: str) -> None:
    clock = FixedClock(NOON)
    until = NOON + dt.timedelta(minutes=5)
    async with (
        EphemeralMarks(database_url, clock) as first,
        EphemeralMarks(database_url, clock) as second,
    ):
        assert await first.claim("challenge", b"n-1", until)
        assert not await first.claim("challenge", b"n-1", until)  # this process again
        assert not await second.claim("challenge", b"n-1", until)  # another process
        assert await second.held_anywhere("challenge", b"n-1")
        assert not await second.held_anywhere("challenge", b"n-2")
        # the same bytes under another purpose are another mark
        assert await second.claim("session", b"n-1", until)


async def test_a_mark_ends_at_its_expiry_and_with_its_process(database_url: str) -> None:
    clock = FixedClock(NOON)
    async with EphemeralMarks(database_url, clock) as other:
        async with EphemeralMarks(database_url, clock) as first:
            assert await first.claim("challenge", b"a", NOON + dt.timedelta(minutes=5))
            assert await first.claim("challenge", b"b", NOON + dt.timedelta(hours=1))
            clock.at = NOON + dt.timedelta(minutes=6)
            # the holder lets its expired marks go at its next claim (or its regular sweep)
            assert not await first.claim("challenge", b"b", NOON + dt.timedelta(hours=1))
            assert await other.claim("challenge", b"a", NOON + dt.timedelta(minutes=20))
            assert not await other.claim("challenge", b"b", NOON + dt.timedelta(hours=1))
        # the first process ended: what it held is gone with it
        assert await other.claim("challenge", b"b", NOON + dt.timedelta(hours=1))


async def test_one_allowance_for_every_process(database_url: str) -> None:
    clock = FixedClock(NOON)
    until = NOON + dt.timedelta(hours=1)
    slots = [b"join-inquiries|slot|%d" % n for n in range(3)]
    async with (
        EphemeralMarks(database_url, clock) as first,
        EphemeralMarks(database_url, clock) as second,
    ):
        assert await first.claim_one_of("allowance", slots, until) == 0
        assert await second.claim_one_of("allowance", slots, until) == 1
        assert await first.claim_one_of("allowance", slots, until) == 2
        assert await second.claim_one_of("allowance", slots, until) is None
        assert await first.claim_one_of("allowance", slots, until) is None


async def test_marks_live_in_memory_only(database_url: str) -> None:
    clock = FixedClock(NOON)
    admin = await asyncpg.connect(database_url)
    try:
        async with EphemeralMarks(database_url, clock) as marks:
            for n in range(50):
                assert await marks.claim("challenge", b"%d" % n, NOON + dt.timedelta(minutes=5))
            held = await admin.fetch(
                "SELECT objid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
            )
            assert len(held) == 50
            # the server sees a digest of each mark, not the mark
            assert mark_key("challenge", b"7") != 7
            # and no table holds them: the database is as empty as it was
            tables = await admin.fetchval(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public'"
            )
            assert tables == 0
        gone = await admin.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        )
        assert gone == 0
    finally:
        await admin.close()


async def test_no_database_means_no_mark() -> None:
    marks = EphemeralMarks("postgresql://nobody@127.0.0.1:9/none", FixedClock(NOON))
    async with marks:
        with pytest.raises(MarksUnavailable):
            await marks.claim("challenge", b"x", NOON + dt.timedelta(minutes=5))


async def test_a_connection_cut_by_the_server_means_no_mark_never_a_crash(
    postgres_url: str, database_url: str
) -> None:
    # a failover or an administrator ends the marks' connection, at any moment: however
    # asyncpg sees it (a closed connection, an error, a protocol still consuming the server's
    # last message), the answer is MarksUnavailable, which callers turn into a refusal
    clock = FixedClock(NOON)
    until = NOON + dt.timedelta(minutes=5)
    name = database_name(database_url)
    admin = await asyncpg.connect(with_database(postgres_url, "postgres"))
    try:
        async with EphemeralMarks(database_url, clock) as marks:
            for n in range(20):
                assert await marks.claim("challenge", b"%d" % n, until)
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                try:
                    await admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE application_name = 'wnwa-marks' AND datname = $1",
                        name,
                    )
                    # right away: the server may not even have ended the session yet
                    with contextlib.suppress(MarksUnavailable):
                        if n % 2:
                            await marks.held_anywhere("challenge", b"other")
                        else:
                            await marks.claim("challenge", b"other %d" % n, until)
                finally:
                    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


async def test_every_process_counts_the_same_held_marks(database_url: str) -> None:
    clock = FixedClock(NOON)
    slots = [b"slot|%d" % n for n in range(5)]
    async with (
        EphemeralMarks(database_url, clock) as first,
        EphemeralMarks(database_url, clock) as second,
    ):
        assert await second.count_held("busy", slots) == 0
        assert await first.claim_one_of("busy", slots, NOON + dt.timedelta(minutes=1)) == 0
        assert await second.claim_one_of("busy", slots, NOON + dt.timedelta(minutes=9)) == 1
        # keys whose halves have their high bit set are counted too (they are signed)
        assert {mark_key("busy", slot) < 0 for slot in slots} == {True, False}
        assert await first.count_held("busy", slots) == 2
        assert await second.count_held("busy", slots) == 2
        # the same marks under another purpose are not these
        assert await first.count_held("other", slots) == 0
        clock.at = NOON + dt.timedelta(minutes=2)
        # counting lets the counter's own expired marks go first
        assert await first.count_held("busy", slots) == 1
        assert await second.count_held("busy", slots) == 1


async def test_a_budget_keeps_a_purpose_to_its_share_of_the_lock_table(
    database_url: str,
) -> None:
    """Marks anyone may make (a form's spent solutions) are claimed with a budget: past it the
    earliest goes, so a flood of them never fills the table every other mark needs."""
    clock = FixedClock(NOON)
    until = NOON + dt.timedelta(minutes=10)
    admin = await asyncpg.connect(database_url)
    try:
        async with (
            EphemeralMarks(database_url, clock) as flooded,
            EphemeralMarks(database_url, clock) as other,
        ):
            assert await flooded.claim("session", b"signed out", until)  # no budget: kept
            for n in range(30):
                assert await flooded.claim("spent", b"%d" % n, until, budget=10)
            held = await admin.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
            )
            assert held == 11  # ten of the flood, and the mark outside it
            # the earliest were let go; the latest, every process sees held
            assert not await other.held_anywhere("spent", b"19")
            assert await other.held_anywhere("spent", b"20")
            assert await other.held_anywhere("spent", b"29")
            assert await other.held_anywhere("session", b"signed out")
            # a mark held is still refused to a second claim, budget or not
            assert not await flooded.claim("spent", b"29", until, budget=10)
            assert not await other.claim("spent", b"29", until, budget=10)
    finally:
        await admin.close()
