"""The monthly support reports attacked by their operator: database superuser rights, the WAL,
the relation files, and every secret of the configuration.

Each test files reports as peer supporters would, through running directory processes, and
then does what the operator could: insert rows wherever it likes, start a directory process
of its own, read every table, every heap and index file (dead row versions included) and the
WAL written since the day began, and compute every digest it can from the secrets and the
supporters' pseudonyms. Nothing it finds may give one supporter's report, or whether a given
supporter reported. What it *can* do while the month is open — see the server's advisory
locks, cut the marks' connection — is shown too, as docs/PRIVACY.md says.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from servicekit.clock import FixedClock
from servicekit.digests import length_prefixed
from servicekit.ephemeral import mark_key
from services.directory import report_store
from services.directory import settings as directory_settings
from services.directory.app import create_app
from services.directory.report_key import SEALING_BYTES
from services.directory.report_months import MARK_PURPOSE, ReportMonths
from tests.privacy.at_rest import (
    configured_secrets,
    derived_from_pseudonyms,
    public_tables_written,
    wal_records,
)
from tests.privacy.leaks import table_texts
from tests.services.directory.conftest import REPORT_KEY, create_profile, directory_process
from tests.services.directory.test_support_reports import reciprocity, report
from tests.support.database import TemplateDatabases
from tests.support.graphql import running
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named

pytestmark = pytest.mark.slow  # directory processes run and tick on real timers

MID_JANUARY = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)
FEBRUARY_11 = dt.datetime(2025, 2, 11, 12, tzinfo=dt.UTC)
JANUARY = dt.date(2025, 1, 1)
UNAVAILABLE = "Reports cannot be taken this minute; try again shortly."
TICKS = 6.0  # seconds: three ticks of every directory process, and then some


def _wrapping_key(shared: bytes, ephemeral_public: bytes, holder: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"wnwa report month key" + ephemeral_public + holder,
    ).derive(shared)


class KeyHolderAttack:
    """The operator's own X25519 key pair, registered as if it were a directory process (the
    month-key sharing of migration 0004), and what it opens with whatever is wrapped for it."""

    def __init__(self) -> None:
        self.private = X25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    async def plant(self, db: asyncpg.Connection) -> None:
        """One row in the holders' table (made as migration 0004 made it, if it is gone)."""
        await db.execute(
            """
            CREATE TABLE IF NOT EXISTS report_key_holders (
                holder bytea PRIMARY KEY, alive_until timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS report_month_keys (
                month date NOT NULL, key_id uuid NOT NULL,
                holder bytea NOT NULL REFERENCES report_key_holders ON DELETE CASCADE,
                wrapped bytea NOT NULL, PRIMARY KEY (month, key_id, holder));
            """
        )
        await db.execute(
            "INSERT INTO report_key_holders (holder, alive_until) VALUES ($1, $2)",
            self.public,
            dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        )

    def unwrap(self, month: dt.date, key_id: uuid.UUID, wrapped: bytes) -> bytes | None:
        ephemeral_public, nonce, sealed = wrapped[:32], wrapped[32:44], wrapped[44:]
        try:
            shared = self.private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
            wrapping = _wrapping_key(shared, ephemeral_public, self.public)
            aad = length_prefixed(month.isoformat().encode(), key_id.bytes)
            return AESGCM(wrapping).decrypt(nonce, sealed, aad)
        except (InvalidTag, ValueError):
            return None

    async def opened_reports(self, db: asyncpg.Connection) -> list[tuple[uuid.UUID, int]]:
        """Every report the keys wrapped for this holder open: (department, figure)."""
        keys = {}
        for row in await db.fetch(
            "SELECT month, key_id, wrapped FROM report_month_keys WHERE holder = $1", self.public
        ):
            secret = self.unwrap(row["month"], row["key_id"], bytes(row["wrapped"]))
            if secret is not None:
                keys[(row["month"], row["key_id"])] = secret
        if not keys or not await db.fetchval("SELECT to_regclass('sealed_support_reports')"):
            return []
        opened = []
        for row in await db.fetch("SELECT month, key_id, sealed FROM sealed_support_reports"):
            secret = keys.get((row["month"], row["key_id"]))
            if secret is None:
                continue
            sealed = bytes(row["sealed"])
            aad = length_prefixed(row["month"].isoformat().encode(), row["key_id"].bytes)
            plain = AESGCM(secret).decrypt(sealed[:12], sealed[12:], aad)
            opened.append((uuid.UUID(bytes=plain[:16]), int.from_bytes(plain[16:], "big")))
        return opened


async def every_row(database_url: str) -> list[tuple[str, str]]:
    """Every row of every table, as the operator reads them."""
    return await table_texts(database_url, "directory")


async def fresh_directory(databases: TemplateDatabases) -> str:
    return await databases.fresh("directory", service_named("directory").migrations)


async def test_a_key_holder_row_the_operator_inserts_is_handed_nothing(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    department = uuid.uuid4()
    attack = KeyHolderAttack()
    async with (
        directory_process(database_url, issuer, clock) as first,
        directory_process(database_url, issuer, clock) as second,
    ):
        for number in range(6):
            token = issuer.token("peer_supporter", department=department)
            assert (await report((first, second)[number % 2], token, n=7 + number))["accepted"]
        db = await asyncpg.connect(database_url)
        try:
            await attack.plant(db)
            planted = await every_row(database_url)
            await asyncio.sleep(TICKS)  # the running processes tick, and see the new row
            opened = await attack.opened_reports(db)
            after = await every_row(database_url)
        finally:
            await db.close()
    assert opened == []
    # the running processes wrote nothing for it (nor anything else) while the month is open
    assert after == planted


async def test_rows_the_operator_inserts_anywhere_make_no_process_hand_anything_over(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(dt.datetime(2025, 2, 5, 12, tzinfo=dt.UTC))  # January and February open
    department = uuid.uuid4()
    async with (
        directory_process(database_url, issuer, clock) as first,
        directory_process(database_url, issuer, clock) as second,
    ):
        await create_profile(first, issuer, department=department)
        for number in range(20):
            token = issuer.token("peer_supporter", department=department)
            assert (await report((first, second)[number % 2], token, n=30))["accepted"]
        db = await asyncpg.connect(database_url)
        try:
            # forged parts of both open months and of a closed one (a network pair and one
            # department's, in a seal of the right length), and the old design's key holder:
            # none of it is a signal to anyone
            for month in (dt.date(2024, 12, 1), JANUARY, dt.date(2025, 2, 1)):
                await db.execute(
                    "INSERT INTO support_report_parts (month, part_id, sealed) VALUES ($1, $2, $3)",
                    month,
                    uuid.uuid4(),
                    secrets.token_bytes(SEALING_BYTES + 8 + 24),
                )
            await KeyHolderAttack().plant(db)
            planted = await every_row(database_url)
            await asyncio.sleep(TICKS)
            assert await every_row(database_url) == planted
        finally:
            await db.close()


async def test_a_directory_process_the_operator_starts_receives_nothing(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    settings = directory_settings.load(
        {
            "WNWA_ENV": "test",
            "WNWA_DIRECTORY_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
        }
    )
    department = uuid.uuid4()
    async with directory_process(database_url, issuer, clock) as legitimate:
        for _ in range(5):
            token = issuer.token("peer_supporter", department=department)
            assert (await report(legitimate, token, n=12))["accepted"]
        # the operator's own process: the configuration's every secret, the same code
        own = create_app(settings, clock=clock)
        async with running(own):
            await asyncio.sleep(TICKS)
            months: ReportMonths = own.state.report_months
            assert JANUARY in months.tallies  # it keeps its own tally of the month...
            assert all(not tally.cells for tally in months.tallies.values())  # ...empty


@contextlib.asynccontextmanager
async def superuser(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    db = await asyncpg.connect(database_url)
    try:
        yield db
    finally:
        await db.close()


@dataclass
class Seized:
    """What the operator reads after a day: every file of the database and the WAL since."""

    files: list[tuple[str, bytes]]
    wal: list[tuple[str, bytes]]
    written: dict[str, list[str]]  # the database's own tables each WAL record wrote

    def holding(self, needle: bytes) -> list[str]:
        return [where for where, blob in self.files + self.wal if needle in blob]


async def seize(database_url: str, start_lsn: str) -> Seized:
    """CHECKPOINT, then every relation file of the database (dead row versions and all) and
    the WAL from ``start_lsn`` to now, raw and decoded."""
    async with superuser(database_url) as db:
        await db.execute("CHECKPOINT")
        pgdata = Path(await db.fetchval("SHOW data_directory"))
        oid = await db.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
        first = await db.fetchrow(
            "SELECT file_name, file_offset FROM pg_walfile_name_offset($1::text::pg_lsn)",
            start_lsn,
        )
        last = await db.fetchrow(
            "SELECT file_name, file_offset FROM pg_walfile_name_offset(pg_current_wal_lsn())"
        )
    assert first is not None
    assert last is not None
    files, wal = await asyncio.to_thread(
        _read_disk,
        pgdata,
        oid,
        (first["file_name"], first["file_offset"]),
        (last["file_name"], last["file_offset"]),
    )
    records = await asyncio.to_thread(wal_records, pgdata, start_lsn)
    return Seized(files, wal, await public_tables_written(database_url, records))


WalPoint = tuple[str, int]  # a WAL segment's file name and an offset in it


def _read_disk(
    pgdata: Path, database_oid: int, first: WalPoint, last: WalPoint
) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    if not pgdata.is_dir():
        pytest.skip("the test database server's files are not on this machine")
    files = [
        (f"base/{database_oid}/{path.name}", path.read_bytes())
        for path in sorted((pgdata / "base" / str(database_oid)).iterdir())
        if path.is_file()
    ]
    wal = []
    for path in sorted((pgdata / "pg_wal").iterdir()):
        if not path.is_file() or not first[0] <= path.name <= last[0]:
            continue
        blob = path.read_bytes()
        start = first[1] if path.name == first[0] else 0
        end = last[1] if path.name == last[0] else len(blob)
        wal.append((f"pg_wal/{path.name}", blob[start:end]))
    return files, wal


async def test_a_day_of_reports_leaves_nothing_the_operator_can_use(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    listed, unlisted = uuid.uuid4(), uuid.uuid4()  # with a profile, and without
    reporters = [(listed, uuid.uuid4().hex, 200 + n) for n in range(12)]
    reporters += [(unlisted, uuid.uuid4().hex, 250 + n) for n in range(5)]
    async with superuser(database_url) as db:
        start = await db.fetchval("SELECT pg_current_wal_lsn()::text")
    async with (
        directory_process(database_url, issuer, clock) as first,
        directory_process(database_url, issuer, clock) as second,
    ):
        owner = uuid.uuid4().hex  # a supporter's pseudonym in their profile: there by design
        await create_profile(first, issuer, department=listed, subject=owner)
        async with superuser(database_url) as db:
            reports_start = await db.fetchval("SELECT pg_current_wal_lsn()::text")
        for number, (department, subject, figure) in enumerate(reporters):
            token = issuer.token("peer_supporter", department=department, subject=subject)
            assert (await report((first, second)[number % 2], token, n=figure))["accepted"]
            assert not (await report((second, first)[number % 2], token, n=1))["accepted"]
        open_month = await seize(database_url, reports_start)
        clock.at = FEBRUARY_11
        admin = issuer.token("network_admin")
        await reciprocity(first, admin)
        await reciprocity(second, admin)
    closed = await seize(database_url, start)

    # the search reads what is there: the profile's pseudonym, in its table and the WAL
    assert any(where.startswith("pg_wal") for where in closed.holding(owner.encode()))
    assert len(closed.holding(owner.encode())) >= 2
    # while the month was open, the reports wrote nothing at all: no WAL record, no row
    assert open_month.written == {}
    # no digest of anyone's pseudonym, under any secret the operator holds, anywhere ever
    secrets = configured_secrets({}) | {database_url.encode()}
    subjects = [subject for _, subject, _ in reporters]
    for value in derived_from_pseudonyms(subjects, [JANUARY], secrets):
        assert closed.holding(value) == [], value
    # the department without a profile left no trace: its reports are in the network's pair
    for form in (unlisted.bytes, str(unlisted).encode(), unlisted.hex.encode()):
        assert closed.holding(form) == []
    # no figure beside its department, while the month was open (after it, the noisy pairs
    # of the parts are there by design, and a noisy value may equal any figure)
    figures = b"|".join(
        re.escape(figure.to_bytes(size, "little")) for _, _, figure in reporters for size in (2, 4)
    )
    beside = re.compile(re.escape(listed.bytes) + b".{0,12}(?:" + figures + b")", re.DOTALL)
    assert [where for where, blob in open_month.files + open_month.wal if beside.search(blob)] == []
    # the day wrote the profile, and at the close the two processes' parts: nothing else
    assert set(closed.written) == {"peer_supporters", "supporter_changes", "support_report_parts"}
    async with superuser(database_url) as db:
        parts = await db.fetch("SELECT month, part_id, sealed FROM support_report_parts")
    assert len(parts) == 2
    # sealed: the configuration's report key opens each, with the network's pair and one for
    # the department with a profile (none for the other)
    opened = report_store.opened_parts(REPORT_KEY, parts)
    assert [[d for d, _ in part.pairs()] for part in opened.values()] == [[listed], [listed]]


async def test_the_marks_are_in_the_servers_memory_and_a_cut_connection_drops_them(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    """What a live superuser can do while the month is open, as docs/PRIVACY.md says: test
    the advisory locks against a pseudonym it knows, and cut the marks' connection so that a
    supporter who reported may report again."""
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    subject = uuid.uuid4().hex
    token = issuer.token("peer_supporter", subject=subject)
    async with directory_process(database_url, issuer, clock) as directory:
        assert (await report(directory, token))["accepted"]
        async with superuser(database_url) as db:
            held = {
                (row["classid"] << 32) | row["objid"]
                for row in await db.fetch(
                    "SELECT classid::bigint, objid::bigint FROM pg_locks"
                    " WHERE locktype = 'advisory' AND database = ("
                    "   SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            }
            # the operator holds the configuration's report key: with it, the mark's key
            mark = REPORT_KEY.mark(JANUARY, subject)
            assert mark_key(MARK_PURPOSE, mark) % 2**64 in held
            cut = await db.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'wnwa-marks' AND datname = current_database()"
            )
            assert cut == 1
            # the mark goes with the connection, as soon as the server has ended it
            for _ in range(50):
                if await db.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wnwa-marks'"
                    " AND datname = current_database()"
                ):
                    await asyncio.sleep(0.1)
            assert mark_key(MARK_PURPOSE, mark) % 2**64 not in {
                (row["classid"] << 32) | row["objid"]
                for row in await db.fetch(
                    "SELECT classid::bigint, objid::bigint FROM pg_locks"
                    " WHERE locktype = 'advisory'"
                )
            }
        # so the supporter may report again, once the process has noticed the cut (until
        # then it answers "try again shortly", or still remembers the mark as its own)
        already = f"You already reported for {JANUARY:%Y-%m}."
        again = await report(directory, token)
        for _ in range(50):
            if again["accepted"]:
                break
            assert again["errors"][0]["message"] in (UNAVAILABLE, already), again
            await asyncio.sleep(0.2)
            again = await report(directory, token)
        assert again == {"accepted": True, "errors": []}
