"""A service's database pool: warming it up and closing it never leave the process waiting.

A connection taken from the pool and never handed back holds the pool's close for ever, and
with it the process's stop (a rolling update, a test's teardown). The warm-up opens
connections before the service says it is ready; when one of those opens fails (the server
has no room for another session, its lock table is full) or the service stops while it
warms, the ones already opened must go back.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
import pytest

from servicekit.app import close_pool, open_connections

pytestmark = pytest.mark.slow


def opening(refuse_at: int, *, stuck: asyncio.Event | None = None) -> Callable[..., Any]:
    """An ``init`` that refuses the ``refuse_at``-th open or, given ``stuck``, sets it and
    holds that open up for good."""
    opened = itertools.count(1)

    async def init(connection: asyncpg.Connection) -> None:
        if next(opened) == refuse_at:
            if stuck is not None:
                stuck.set()
                await asyncio.Event().wait()
            raise asyncpg.TooManyConnectionsError("sorry, too many clients already")

    return init


async def closes_promptly(close: Coroutine[Any, Any, None]) -> None:
    async with asyncio.timeout(20):  # a close waiting on a lost connection never returns
        await close


async def test_a_warm_up_whose_third_open_fails_hands_back_the_two_it_opened(
    postgres_url: str,
) -> None:
    pool = await asyncpg.create_pool(postgres_url, min_size=0, max_size=4, init=opening(3))
    with pytest.raises(asyncpg.TooManyConnectionsError):
        await open_connections(pool, 4)
    assert pool.get_size() - pool.get_idle_size() == 0, "a connection is still out"
    await closes_promptly(pool.close())


async def test_a_warm_up_cancelled_midway_hands_back_what_it_opened(postgres_url: str) -> None:
    stuck = asyncio.Event()
    pool = await asyncpg.create_pool(
        postgres_url, min_size=0, max_size=4, init=opening(3, stuck=stuck)
    )
    warming = asyncio.create_task(open_connections(pool, 4))
    async with asyncio.timeout(20):
        await stuck.wait()  # two opened and handed out, the third being opened
    warming.cancel()
    with pytest.raises(asyncio.CancelledError):
        await warming
    assert pool.get_size() - pool.get_idle_size() == 0, "a connection is still out"
    await closes_promptly(pool.close())


async def test_closing_cuts_a_connection_nobody_handed_back(postgres_url: str) -> None:
    pool = await asyncpg.create_pool(postgres_url, min_size=0, max_size=2)
    lost = await pool.acquire()  # taken by something that failed to hand it back
    session = lost.get_server_pid()
    await closes_promptly(close_pool(pool, seconds=0.2))
    observer = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(20):  # the server sees the session end
            while await observer.fetchval(  # noqa: ASYNC110 - the server's view has no event
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", session
            ):
                await asyncio.sleep(0.05)
    finally:
        await observer.close()
