"""The monthly reports and the supporter survey attacked by whoever holds the directory
service's database role: the login role the service and its migrations connect with.

deploy/ makes it as CloudNativePG's managed role ``wnwa_directory`` (login, no superuser, no
other attribute) owning the database ``wnwa_directory``; the migration Job runs as it too, so
it owns every table. The tests make such a role, migrate as it, run the directory on it
behind the gateway, file reports and survey answers through the gateway, and then, as that
role, try what it can: read every row, watch and take the server's advisory locks, forge or
replay rows of its own, and look on disk for a value beside its department. Nothing may say
whether a given supporter reported or answered, or what, and no figure the service hides may
be read or made to show.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from gateway.app import create_app as create_gateway
from gateway.settings import load as load_gateway
from servicekit.clock import FixedClock
from servicekit.database_urls import with_database
from servicekit.digests import length_prefixed
from servicekit.ephemeral import mark_key
from servicekit.migrations import apply_migrations
from services.directory import report_months, survey_quarters
from services.directory import settings as directory_settings
from services.directory.app import MIGRATIONS
from services.directory.app import create_app as create_directory
from tests.conftest import ServiceUnderTest
from tests.privacy.test_report_operator import seize
from tests.services.directory.conftest import create_profile
from tests.services.directory.test_support_reports import reciprocity, report
from tests.services.directory.test_supporter_survey import TOO_HEAVY, answer, results
from tests.support.graphql import GraphQLClient, running
from tests.support.servers import serving
from tests.support.tokens import ISSUER, TokenIssuer

pytestmark = pytest.mark.slow  # the directory serves on a real port behind the gateway

MID_JANUARY = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)  # January and 2025-Q1 take reports
APRIL_11 = dt.datetime(2025, 4, 11, 12, tzinfo=dt.UTC)  # both have closed
JANUARY = dt.date(2025, 1, 1)  # the month, and the first day of the quarter
ALREADY = f"You already reported for {JANUARY:%Y-%m}."


def as_role(url: str, role: str) -> str:
    """``url`` logging in as ``role`` (no password: the test server trusts its socket)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, parts.fragment))


@pytest.fixture
async def role_url(postgres_url: str) -> AsyncIterator[str]:
    """A database owned by a login role of its own and migrated by it, as deploy/ makes
    ``wnwa_directory``: the URL that logs in as that role."""
    role = f"wnwa_directory_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(with_database(postgres_url, "postgres"))
    try:
        # CloudNativePG's managed role: login, and every other attribute at its default
        await admin.execute(
            f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION'
            " NOBYPASSRLS"
        )
        await admin.execute(f'CREATE DATABASE "{role}" OWNER "{role}"')
        url = as_role(with_database(postgres_url, role), role)
        connection = await asyncpg.connect(url)
        try:
            assert await connection.fetchval("SELECT current_user") == role
            assert not await connection.fetchval(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            await apply_migrations(connection, MIGRATIONS)  # as the migration Job does
        finally:
            await connection.close()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{role}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


@contextlib.asynccontextmanager
async def behind_the_gateway(
    database_url: str, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[ServiceUnderTest]:
    """A directory process on ``database_url`` serving on a port of its own, and the gateway
    in front of it: what the portal talks to."""
    environment = {
        "WNWA_ENV": "test",
        "WNWA_JWKS_URL": issuer.jwks_url,
        "WNWA_TOKEN_ISSUER": ISSUER,
    }
    directory = create_directory(
        directory_settings.load({**environment, "WNWA_DIRECTORY_DATABASE_URL": database_url}),
        clock=clock,
    )
    async with running(directory), serving(directory) as base:
        gateway = create_gateway(
            load_gateway({**environment, "WNWA_GATEWAY_DIRECTORY_URL": f"{base}/graphql"})
        )
        async with running(gateway) as http:
            yield ServiceUnderTest(GraphQLClient(http), database_url, http)


def lock_keys(subject: str) -> set[int]:
    """Every advisory-lock key the role can compute for a pseudonym it knows: the marks'
    key of the month (or quarter) and the pseudonym joined every way the code joins values,
    alone and digested, under both purposes."""
    pseudonym = subject.encode()
    messages = [pseudonym]
    for written in (JANUARY.isoformat().encode(), b"2025-01", b"2025-Q1"):
        messages += [
            length_prefixed(written, pseudonym),
            length_prefixed(pseudonym, written),
            written + pseudonym,
            pseudonym + written,
        ]
    messages += [hashlib.sha256(message).digest() for message in list(messages)]
    return {
        mark_key(purpose, message)
        for purpose in (report_months.MARK_PURPOSE, survey_quarters.MARK_PURPOSE)
        for message in messages
    }


async def held_advisory_keys(db: asyncpg.Connection) -> set[int]:
    """The keys of every advisory lock held on the server (``pg_locks`` is readable by all)."""
    rows = await db.fetch(
        "SELECT classid::bigint, objid::bigint FROM pg_locks"
        " WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
    )
    keys = set()
    for row in rows:
        unsigned = (row["classid"] << 32) | row["objid"]
        keys.add(unsigned - 2**64 if unsigned >= 2**63 else unsigned)
    return keys


async def who_reported(db: asyncpg.Connection) -> set[str]:
    """The profiles whose pseudonym the role can tie to a mark: seen in ``pg_locks``, or
    refused a shared lock because someone holds the mark."""
    held = await held_advisory_keys(db)
    found = set()
    for row in await db.fetch("SELECT owner_subject FROM peer_supporters"):
        subject = row["owner_subject"]
        keys = lock_keys(subject)
        if keys & held:
            found.add(subject)
        async with db.transaction():
            for key in keys:
                if not await db.fetchval("SELECT pg_try_advisory_xact_lock_shared($1)", key):
                    found.add(subject)
    return found


async def test_the_database_role_cannot_tell_who_reported_nor_refuse_a_chosen_supporter(
    role_url: str, issuer: TokenIssuer
) -> None:
    clock = FixedClock(MID_JANUARY)
    department = uuid.uuid4()
    subjects = [uuid.uuid4().hex for _ in range(6)]
    tokens = {s: issuer.token("peer_supporter", department=department, subject=s) for s in subjects}
    reporters, others = subjects[:3], subjects[3:]
    async with behind_the_gateway(role_url, issuer, clock) as portal:
        for subject in subjects:
            await create_profile(portal, issuer, department=department, subject=subject)
        for subject in reporters:
            assert (await report(portal, tokens[subject], n=7))["accepted"]
            assert (await answer(portal, tokens[subject], TOO_HEAVY))["accepted"]
        # the marks work: a second report is refused
        assert (await report(portal, tokens[reporters[0]]))["errors"][0]["message"] == ALREADY
        db = await asyncpg.connect(role_url)
        try:
            # the role knows every supporter's pseudonym (their profiles), and the locks
            assert {
                r["owner_subject"]
                for r in await db.fetch("SELECT owner_subject FROM peer_supporters")
            } == set(subjects)
            assert await who_reported(db) == set()
            # nor can it take a chosen supporter's mark first, to refuse (or single out) them
            chosen = others[0]
            for key in lock_keys(chosen):
                assert await db.fetchval("SELECT pg_try_advisory_lock($1)", key)
            assert await report(portal, tokens[chosen], n=3) == {"accepted": True, "errors": []}
            assert (await answer(portal, tokens[chosen], TOO_HEAVY))["accepted"]
        finally:
            await db.close()


ANSWERS = {answer for _, answers in survey_quarters.QUESTIONS.values() for answer in answers}


def integers(row: asyncpg.Record) -> list[int]:
    return [v for v in row.values() if isinstance(v, int) and not isinstance(v, bool)]


async def rows_of_every_table(db: asyncpg.Connection) -> dict[str, list[asyncpg.Record]]:
    tables = await db.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
    )
    # names from the catalogue, quoted: identifiers cannot be parameters
    return {t["table_name"]: await db.fetch(f'SELECT * FROM "{t["table_name"]}"') for t in tables}


async def forge(db: asyncpg.Connection, big: uuid.UUID, small: uuid.UUID) -> int:
    """What the role can write to lift a hidden figure: in every table with a part id, copies
    of each part under new part ids (twenty of them), the big department's rows as the small
    one's, every number raised by a thousand, every byte string replaced by one of its own
    length and by another row's; unique constraints dropped first, so exact duplicates go in
    too. Returns the rows written."""
    written = 0
    tables = await db.fetch(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND column_name = 'part_id'"
    )
    for table in [t["table_name"] for t in tables]:
        for constraint in await db.fetch(
            "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass"
            " AND contype IN ('u', 'p')",
            table,
        ):
            await db.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint["conname"]}"')
        columns = await db.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            table,
        )
        names = [c["column_name"] for c in columns]
        types = {c["column_name"]: c["data_type"] for c in columns}
        rows = await db.fetch(f'SELECT * FROM "{table}"')
        forged: list[dict[str, Any]] = []
        for row in rows:
            values = dict(row)
            forged.append(dict(values))  # an exact duplicate
            for _ in range(20):
                forged.append({**values, "part_id": uuid.uuid4()})
            if values.get("department_id") == big:
                forged.append({**values, "department_id": small})
                forged.append({**values, "department_id": small, "part_id": uuid.uuid4()})
            raised = {n: v + 1000 if types[n] == "integer" else v for n, v in values.items()}
            forged.append({**raised, "part_id": uuid.uuid4()})
            if values.get("department_id") == small or "department_id" not in values:
                forged.append(raised)
            for n, v in values.items():
                if isinstance(v, bytes):
                    forged.append({**values, n: secrets.token_bytes(len(v))})
                    other = rows[(rows.index(row) + 1) % len(rows)][n]
                    forged.append({**values, n: other})
        placeholders = ", ".join(f"${i + 1}" for i in range(len(names)))
        quoted = ", ".join(f'"{n}"' for n in names)
        for values in forged:
            await db.execute(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})',
                *(values[n] for n in names),
            )
        written += len(forged)
    return written


async def test_the_database_role_reads_no_hidden_figure_and_cannot_make_one_show(
    role_url: str, issuer: TokenIssuer
) -> None:
    clock = FixedClock(MID_JANUARY)
    big, small = uuid.uuid4(), uuid.uuid4()
    lone = uuid.uuid4().hex  # the small department's one supporter
    admin = issuer.token("network_admin")
    async with behind_the_gateway(role_url, issuer, clock) as portal:
        await create_profile(portal, issuer, department=big)
        await create_profile(portal, issuer, department=small, subject=lone)
        for _ in range(30):
            token = issuer.token("peer_supporter", department=big)
            assert (await report(portal, token, n=4))["accepted"]
        token = issuer.token("peer_supporter", department=small, subject=lone)
        assert (await report(portal, token, n=23))["accepted"]
        assert (await answer(portal, token, TOO_HEAVY))["accepted"]
        clock.at = APRIL_11
        shown = await reciprocity(portal, admin, big)
        hidden = await reciprocity(portal, admin, small)
        survey = await results(portal, admin)
        # the published figures work: the big department shows, the lone supporter does not
        assert shown["department"] is not None
        assert abs(shown["department"]["reports"] - 30) < 15
        assert hidden["department"] is None
        assert survey["answers"] is None

        db = await asyncpg.connect(role_url)
        try:
            # every row the role reads: only the small department's profile names it (by
            # design), and no row names an answer of the survey; none of those holds a
            # number but the profile's own (its years of service, its change count)
            naming = []
            for table, rows in (await rows_of_every_table(db)).items():
                for row in rows:
                    values = [v for v in row.values() if not isinstance(v, list)]
                    if small in values or ANSWERS.intersection(values):
                        naming.append((table, integers(row)))
            assert [table for table, _ in naming] == ["peer_supporters"], naming
            assert await forge(db, big, small) > 0
        finally:
            await db.close()
        # whatever it wrote, the hidden figures stay hidden and the shown ones unchanged
        assert await reciprocity(portal, admin, small) == hidden
        assert await reciprocity(portal, admin, big) == shown
        assert await results(portal, admin) == survey


def beside(department: uuid.UUID, values: Iterator[int]) -> re.Pattern[bytes]:
    """The department's id followed, within 12 bytes, by one of ``values`` as a 4-byte int."""
    numbers = b"|".join(re.escape(v.to_bytes(4, "little", signed=True)) for v in values)
    return re.compile(re.escape(department.bytes) + b".{0,12}(?:" + numbers + b")", re.DOTALL)


async def test_no_part_is_in_the_clear_on_disk_or_in_the_wal(
    role_url: str, postgres_url: str, issuer: TokenIssuer
) -> None:
    clock = FixedClock(MID_JANUARY)
    big, small = uuid.uuid4(), uuid.uuid4()
    admin = issuer.token("network_admin")
    superuser_url = with_database(postgres_url, urlsplit(role_url).path.lstrip("/"))
    async with behind_the_gateway(role_url, issuer, clock) as portal:
        await create_profile(portal, issuer, department=big)
        await create_profile(portal, issuer, department=small)
        db = await asyncpg.connect(superuser_url)
        try:
            start = await db.fetchval("SELECT pg_current_wal_lsn()::text")
        finally:
            await db.close()
        for _ in range(30):
            token = issuer.token("peer_supporter", department=big)
            assert (await report(portal, token, n=4))["accepted"]
        token = issuer.token("peer_supporter", department=small)
        assert (await report(portal, token, n=23))["accepted"]
        clock.at = APRIL_11
        shown = (await reciprocity(portal, admin, big))["department"]
    # one process, one part: the big department's figure is its part's pair
    assert shown is not None
    seized = await seize(superuser_url, start)
    pairs = [
        (big, iter([shown["reports"], shown["officersSupported"], 30, 120])),
        # the lone report's officers (its count, 1, would also match any profile's
        # `active`: true and the padding after it)
        (small, iter([23])),
    ]
    for department, values in pairs:
        pattern = beside(department, values)
        assert [where for where, blob in seized.files + seized.wal if pattern.search(blob)] == []
