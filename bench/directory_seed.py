"""Seed a directory database with 50,000 invented peer supporters across 15,000 departments.

Usage: .venv/bin/python bench/directory_seed.py [--supporters N] [--departments N]

The database ``wnwa_directory_bench`` (``wnwa_directory_bench_N`` for another number of
supporters than 50,000) is (re)created on the server named by
``WNWA_POSTGRES_URL``, or on an embedded server under ``.wnwa/bench-pgdata``, and migrated
with the directory's own migrations. Nothing here touches the development or test data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from servicekit import geo  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.migrations import apply_migrations  # noqa: E402
from servicekit.vocabulary import LANGUAGES  # noqa: E402
from services.directory.app import MIGRATIONS  # noqa: E402
from services.directory.availability import to_the_hour  # noqa: E402
from services.directory.vocabulary import AreaOfSupport  # noqa: E402
from wnwa import postgres  # noqa: E402

BENCH_DATABASE = "wnwa_directory_bench"
DEFAULT_SUPPORTERS = 50_000
AREAS = [area.value for area in AreaOfSupport]
OTHER_LANGUAGES = [code for code in LANGUAGES if code != "en"]


PGDATA = PROJECT / ".wnwa" / "bench-pgdata"


def bench_database(supporters: int = DEFAULT_SUPPORTERS) -> str:
    """The benchmark database holding ``supporters`` invented profiles."""
    return BENCH_DATABASE if supporters == DEFAULT_SUPPORTERS else f"{BENCH_DATABASE}_{supporters}"


def database_server() -> contextlib.AbstractContextManager[str]:
    """``WNWA_POSTGRES_URL`` when set, else an embedded server under ``.wnwa/bench-pgdata``."""
    return postgres.database_server(pgdata=PGDATA)


def schedule(rng: random.Random) -> list[asyncpg.Range[int]]:
    """Four or five shifts a week of eight hours: days, evenings or nights."""
    start = rng.choice((6 * 60, 8 * 60, 14 * 60, 16 * 60, 22 * 60))
    first_day = rng.randrange(7)
    spans: list[tuple[int, int]] = []
    for offset in range(rng.choice((4, 5))):
        day = (first_day + offset) % 7
        begin = day * 1440 + start
        end = begin + 8 * 60
        if end <= 10080:
            spans.append((begin, end))
        else:  # Sunday night into Monday morning
            spans.extend([(begin, 10080), (0, end - 10080)])
    spans.sort()
    merged: list[list[int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return [asyncpg.Range(begin, end) for begin, end in merged]


def supporter_records(supporters: int, departments: int, seed: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    geo.load()
    places = [place for place in geo.places() if place.timezone]
    department_places = [
        (uuid.UUID(int=rng.getrandbits(128), version=4), rng.choice(places))
        for _ in range(departments)
    ]
    for serial in range(supporters):
        # every department gets one; the rest go to random departments
        department, place = (
            department_places[serial] if serial < departments else rng.choice(department_places)
        )
        languages = ["en"] + (rng.sample(OTHER_LANGUAGES, 1) if rng.random() < 0.25 else [])
        switch = rng.random()
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            f"bench-{serial}",
            department,
            f"Supporter {serial}",
            f"+1312555{serial % 10000:04d}",
            rng.random() < 0.6,
            languages,
            sorted(rng.sample(AREAS, rng.randint(2, 5))),
            rng.randint(1, 35),
            ["Peer support basics"],
            "Invented profile for measurement.",
            rng.choice((None, None, "woman", "man", "non_binary")),
            place.zip_code,
            place.state,
            place.county,
            place.latitude,
            place.longitude,
            place.timezone,
            schedule(rng),
            None if switch > 0.05 else _hours_from_now(rng.randint(1, 8)),
            None if not 0.05 < switch < 0.08 else _hours_from_now(rng.randint(24, 400)),
            rng.random() > 0.03,
        )


def _hours_from_now(hours: int) -> object:
    # a switch ends on a full hour (the database refuses any other end)
    return to_the_hour(dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours))


COLUMNS = [
    "id",
    "owner_subject",
    "department_id",
    "display_name",
    "phone",
    "accepts_texts",
    "languages",
    "areas",
    "years_of_service",
    "certifications",
    "bio",
    "gender",
    "zip_code",
    "state",
    "county",
    "latitude",
    "longitude",
    "time_zone",
    "weekly_hours",
    "available_until",
    "unavailable_until",
    "active",
]


async def seed(server_url: str, supporters: int, departments: int) -> str:
    database = bench_database(supporters)
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = with_database(server_url, database)
    connection = await asyncpg.connect(url)
    try:
        await apply_migrations(connection, MIGRATIONS)
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "peer_supporters",
            records=list(supporter_records(supporters, departments, seed=4)),
            columns=COLUMNS,
        )
        await connection.execute("VACUUM ANALYZE peer_supporters")
        count = await connection.fetchval("SELECT count(*) FROM peer_supporters")
        spread = await connection.fetchval(
            "SELECT count(DISTINCT department_id) FROM peer_supporters"
        )
        print(
            f"seeded {count} supporters in {spread} departments "
            f"in {time.perf_counter() - started:.1f} s"
        )
    finally:
        await connection.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supporters", type=int, default=DEFAULT_SUPPORTERS)
    parser.add_argument("--departments", type=int, default=None, help="default: supporters ÷ 3.3")
    args = parser.parse_args()
    departments = args.departments or max(1, args.supporters * 3 // 10)
    with database_server() as server_url:
        url = asyncio.run(seed(server_url, args.supporters, departments))
        print(f"database: {url}")


if __name__ == "__main__":
    main()
