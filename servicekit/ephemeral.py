"""Marks every process and replica of a service sees, kept in memory only.

Some facts must hold across all of a service's processes — a sign-in challenge is spent once,
a signed-out session stays signed out, a form's allowance is one for the whole network — and
yet must never become a record: a row per sign-in would be the very usage log the network
promises not to keep, and the WAL and backups would keep it for good.

:class:`EphemeralMarks` keeps them as PostgreSQL *session advisory locks* held on one
connection of this process. An advisory lock lives in the server's shared memory only: it is
never written to a table, a WAL record or a backup, every session of the database sees it
(``pg_try_advisory_lock`` refuses a key another session holds), and it disappears when it is
released at its expiry — or at once, when this process or its connection ends. A key is a
64-bit keyed digest of the mark: the server sees only a number.

What that costs: a mark lives no longer than the process that made it. When a process dies,
the marks it held are released early (a spent challenge could be replayed within the rest of
its few minutes; a signed-out session would renew again until its own end). Callers say so
where it matters. The server's lock table is bounded (``max_locks_per_transaction``
times ``max_connections``, 6,400 with the defaults) and shared by every purpose of every
service on the server; a mark refused because it is full raises :class:`MarksUnavailable`,
and callers fail closed. So marks that anyone may make without signing in (a form's spent
solutions, a passkey ceremony's challenge) are claimed with a *budget*: past it, a process
releases its earliest mark of that purpose to make room, and a flood of them holds a bounded
share of the table instead of filling it for everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import itertools
import logging
from collections.abc import Sequence
from typing import Self

import asyncpg

from servicekit.clock import Clock

logger = logging.getLogger(__name__)


class MarksUnavailable(Exception):
    """The marks cannot be consulted now (no database, or its lock table is full)."""


# how asyncpg reports a connection the server ended; InternalClientError when the end
# arrives while the protocol is still consuming the server's last message
_CONNECTION_LOST = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def mark_key(purpose: str, mark: bytes) -> int:
    """The advisory-lock key of ``mark``: a signed 64-bit BLAKE2b digest, ``purpose`` as its
    key, so marks of different purposes never meet."""
    digest = hashlib.blake2b(mark, digest_size=8, key=purpose.encode()[:64]).digest()
    return int.from_bytes(digest, "big", signed=True)


class EphemeralMarks:
    """Claims of marks, each held until its expiry by this process, seen by every process.

    Use as ``async with EphemeralMarks(url, clock) as marks`` in the service's lifespan.
    """

    def __init__(self, database_url: str, clock: Clock, *, sweep_every: float = 15.0) -> None:
        self.database_url = database_url
        self.clock = clock
        self.sweep_every = sweep_every
        self._connection: asyncpg.Connection | None = None
        self._held: dict[int, dt.datetime] = {}
        # the marks of each purpose claimed with a budget, oldest first, and their purposes
        self._budgeted: dict[str, dict[int, None]] = {}
        self._purpose_of: dict[int, str] = {}
        self._lock = asyncio.Lock()
        self._sweeper: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._sweeper = asyncio.create_task(self._sweep_regularly())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        async with self._lock:
            if self._connection is not None and not self._connection.is_closed():
                # closing the session releases every mark it holds
                await self._connection.close()
            self._connection = None
            self._clear()

    async def claim(
        self, purpose: str, mark: bytes, until: dt.datetime, *, budget: int | None = None
    ) -> bool:
        """Whether this claim of ``mark`` is the first one alive anywhere; the claim is held
        until ``until``. A second claim, from this process or any other, answers False.

        With a ``budget``, this process holds at most that many marks of ``purpose``: to claim
        one more it first releases the one it claimed earliest (so whoever can make marks of
        a purpose cannot fill the server's lock table, shared by every purpose and every
        service, and close them all; what the release gives up is the caller's to weigh)."""
        return await self.claim_one_of(purpose, [mark], until, budget=budget) is not None

    async def claim_one_of(
        self,
        purpose: str,
        marks: Sequence[bytes],
        until: dt.datetime,
        *,
        budget: int | None = None,
    ) -> int | None:
        """Claim the first of ``marks`` nobody holds, until ``until``: its index, or None when
        all are held (a shared allowance of ``len(marks)`` slots). ``budget`` as in
        :meth:`claim`."""
        keys = [mark_key(purpose, mark) for mark in marks]
        async with self._lock:
            now = self.clock.now()
            connection = await self._connected()
            await self._release_expired(connection, now)
            free = [key for key in keys if key not in self._held]
            if not free:
                return None
            if budget is not None:
                await self._make_room(connection, purpose, budget)
            try:
                taken = await connection.fetchval(
                    "SELECT key FROM unnest($1::bigint[]) WITH ORDINALITY AS k(key, n)"
                    " WHERE pg_try_advisory_lock(key) LIMIT 1",
                    free,
                )
            except asyncpg.OutOfMemoryError as full:
                raise MarksUnavailable("the database's lock table is full") from full
            except _CONNECTION_LOST as lost:
                self._forget(lost)
                raise MarksUnavailable("the database cannot be reached") from lost
            if taken is None:
                return None
            self._held[taken] = until
            if budget is not None:
                self._budgeted.setdefault(purpose, {})[taken] = None
                self._purpose_of[taken] = purpose
            return keys.index(taken)

    async def _make_room(self, connection: asyncpg.Connection, purpose: str, budget: int) -> None:
        """Release this process's earliest marks of ``purpose`` until one more fits."""
        kept = self._budgeted.get(purpose, {})
        oldest = list(itertools.islice(kept, max(0, len(kept) - max(budget, 1) + 1)))
        if not oldest:
            return
        try:
            await connection.execute(
                "SELECT pg_advisory_unlock(key) FROM unnest($1::bigint[]) AS k(key)", oldest
            )
        except _CONNECTION_LOST as lost:
            self._forget(lost)
            raise MarksUnavailable("the database cannot be reached") from lost
        for key in oldest:
            self._drop(key)

    def _drop(self, key: int) -> None:
        del self._held[key]
        purpose = self._purpose_of.pop(key, None)
        if purpose is not None:
            del self._budgeted[purpose][key]

    def _clear(self) -> None:
        self._held.clear()
        self._budgeted.clear()
        self._purpose_of.clear()

    async def count_held(self, purpose: str, marks: Sequence[bytes]) -> int:
        """How many of ``marks`` are claimed now, by this process or any other (claiming
        none): read from the server's lock table, so it never stands in a claim's way."""
        keys = [mark_key(purpose, mark) for mark in marks]
        async with self._lock:
            connection = await self._connected()
            await self._release_expired(connection, self.clock.now())
            try:
                # a bigint key shows as its high half in classid and its low half in objid
                held: int = await connection.fetchval(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                    " AND ((classid::bigint << 32) | objid::bigint) = ANY($1::bigint[])",
                    keys,
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as lost:
                self._forget(lost)
                raise MarksUnavailable("the database cannot be reached") from lost
            return held

    async def held_anywhere(self, purpose: str, mark: bytes) -> bool:
        """Whether ``mark`` is claimed now, by this process or any other (not claiming it)."""
        key = mark_key(purpose, mark)
        async with self._lock:
            if key in self._held and self._held[key] > self.clock.now():
                return True
            connection = await self._connected()
            try:
                async with connection.transaction():
                    # a shared lock for this transaction only: refused while anyone holds
                    # the mark, released by the transaction's end either way
                    free = await connection.fetchval(
                        "SELECT pg_try_advisory_xact_lock_shared($1)", key
                    )
            except _CONNECTION_LOST as lost:
                self._forget(lost)
                raise MarksUnavailable("the database cannot be reached") from lost
            return not free

    async def _connected(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._clear()
            try:
                self._connection = await asyncpg.connect(
                    self.database_url,
                    server_settings={"application_name": "wnwa-marks"},
                    timeout=5,
                )
            except (OSError, asyncpg.PostgresError, TimeoutError) as failure:
                raise MarksUnavailable("the database cannot be reached") from failure
        return self._connection

    async def _release_expired(self, connection: asyncpg.Connection, now: dt.datetime) -> None:
        expired = [key for key, until in self._held.items() if until <= now]
        if not expired:
            return
        try:
            await connection.execute(
                "SELECT pg_advisory_unlock(key) FROM unnest($1::bigint[]) AS k(key)", expired
            )
        except _CONNECTION_LOST as lost:
            self._forget(lost)
            raise MarksUnavailable("the database cannot be reached") from lost
        for key in expired:
            self._drop(key)

    def _forget(self, failure: BaseException) -> None:
        """The connection is gone, and with it every mark it held."""
        logger.warning("ephemeral marks lost their connection (%s)", type(failure).__name__)
        self._clear()
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()

    async def _sweep_regularly(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            async with self._lock:
                if self._connection is None or self._connection.is_closed():
                    continue
                try:
                    await self._release_expired(self._connection, self.clock.now())
                except MarksUnavailable:
                    continue
