"""Seed a professionals database with 100,000 invented listings nationwide.

Usage: .venv/bin/python bench/professionals_seed.py [--professionals N]

The database ``wnwa_professionals_bench`` is (re)created on the server named by
``WNWA_POSTGRES_URL``, or on an embedded server under ``.wnwa/bench-pgdata``, and migrated
with the service's own migrations. Practices sit at random US ZIP centroids (so density
follows the ZIP map, dense in cities); 90 % are approved, 5 % still in vetting and 5 %
approved with an expired licence (not listed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
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
from services.professionals.app import MIGRATIONS  # noqa: E402
from services.professionals.vocabulary import LicenseType, PlanType, Specialty  # noqa: E402
from wnwa import postgres  # noqa: E402

BENCH_DATABASE = "wnwa_professionals_bench"
# carriers weighted roughly by market share; the rest share the tail
CARRIERS = ["bcbs"] * 6 + ["uhc"] * 4 + ["aetna"] * 3 + ["cigna"] * 3 + [
    "humana", "kaiser", "optum", "magellan", "tricare", "medicare", "medicaid", "anthem",
    "carelon", "oscar", "molina", "ambetter", "umr", "meritain",
]  # fmt: skip
PLANS = [plan.value for plan in PlanType]
SPECIALTIES = [specialty.value for specialty in Specialty]
TYPES = [license_type.value for license_type in LicenseType]
LANGUAGES = ["es"] * 6 + ["pl", "vi", "zh", "ar", "tl", "ko"]  # the network's codes
FIRST = ["Avery", "Jordan", "Rowan", "Quinn", "Marisol", "Theo", "Priya", "Kwame", "Ines", "Omar"]
LAST = ["Ashdown", "Varga", "Strand", "Ibarra", "Wexley", "Castellan", "Morrow", "Penhallow"]


PGDATA = PROJECT / ".wnwa" / "bench-pgdata"


def database_server() -> contextlib.AbstractContextManager[str]:
    """``WNWA_POSTGRES_URL`` when set, else an embedded server under ``.wnwa/bench-pgdata``."""
    return postgres.database_server(pgdata=PGDATA)


def us_zips() -> list[tuple[str, str, str, float, float]]:
    """(ZIP, state, county, latitude, longitude) of every ZIP code with a centroid."""
    return [
        (place.zip_code, place.state, place.county, place.latitude, place.longitude)
        for place in geo.places()
    ]


def generate(count: int, seed: int) -> Iterator[tuple[tuple[object, ...], ...]]:
    """(professional, licences, locations) records for COPY."""
    rng = random.Random(seed)
    places = us_zips()
    today = dt.date.today()
    for index in range(count):
        professional_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        first_office = rng.randrange(len(places))
        offices = [places[first_office]]
        if rng.random() < 0.2:  # a second office: a neighbouring ZIP (the list is sorted)
            neighbour = places[min(len(places) - 1, first_office + rng.randrange(1, 20))]
            if neighbour[1] == offices[0][1]:
                offices.append(neighbour)
        state = offices[0][1]
        licensed = sorted({state} | ({rng.choice(places)[1]} if rng.random() < 0.15 else set()))
        telehealth = rng.random() < 0.7
        extra = {rng.choice(places)[1]} if rng.random() < 0.3 else set()
        tele_states = sorted(set(licensed) | extra) if telehealth else []
        insurance: dict[str, set[str]] = {}
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
            insurance.setdefault(rng.choice(CARRIERS), set()).update(
                rng.sample(PLANS[:4], rng.choice((1, 1, 2, 3)))
            )
        keys = set(insurance)
        for carrier, plans in insurance.items():
            keys.update(f"{carrier}:{plan}" for plan in plans)
            keys.update(f"*:{plan}" for plan in plans)
        any_hour = rng.random() < 0.55
        within_24h = (not any_hour) or rng.random() < 0.6
        roll = rng.random()
        status = "approved" if roll < 0.95 else rng.choice(("submitted", "under_review"))
        expires = today + dt.timedelta(days=rng.randrange(30, 900))
        if roll < 0.05:
            expires = today - dt.timedelta(days=rng.randrange(1, 200))
        license_type = rng.choice(TYPES)
        professional = (
            professional_id,
            f"PRO-B{index:07d}",
            f"bench-{index}",
            "bench",
            status,
            f"{rng.choice(FIRST)} {rng.choice(LAST)} {index}",
            license_type.upper(),
            [license_type],
            f"Practice {index}",
            f"+1{rng.randrange(201, 990)}5550{rng.randrange(100, 199)}",
            f"intake{index}@practice.example",
            None,
            telehealth,
            tele_states,
            sorted(set(licensed) | set(tele_states)),
            sorted({"en"} | ({rng.choice(LANGUAGES)} if rng.random() < 0.3 else set())),
            rng.sample(SPECIALTIES, rng.choice((1, 2, 3))),
            rng.randrange(0, 30),
            None,
            json.dumps(
                [{"carrier": c, "plan_types": sorted(p)} for c, p in sorted(insurance.items())]
            ),
            sorted(keys),
            rng.random() < 0.6 or not insurance,
            any_hour,
            within_24h,
            expires,
            "video_call",
        )
        licences = tuple(
            (uuid.UUID(int=rng.getrandbits(128), version=4), professional_id, license_type,
             f"{s}-{index}", s, expires)
            for s in licensed
        )  # fmt: skip
        locations = tuple(
            (uuid.UUID(int=rng.getrandbits(128), version=4), professional_id, position,
             f"{position + 1} Main St", "Town", place[1], place[0], place[2] or "Unknown",
             place[3], place[4])
            for position, place in enumerate(offices)
        )  # fmt: skip
        yield professional, licences, locations


PROFESSIONAL_COLUMNS = [
    "id", "reference", "client_key", "fingerprint", "status", "full_name", "credentials",
    "license_types", "practice_name", "phone", "email", "website", "telehealth",
    "telehealth_states", "service_states", "languages", "specialties", "le_experience_years",
    "le_experience", "insurance", "insurance_keys", "self_pay", "answers_any_hour",
    "schedules_within_24h", "licenses_valid_until", "assessment_kind",
]  # fmt: skip
LICENSE_COLUMNS = ["id", "professional_id", "license_type", "number", "state", "expires_on"]
LOCATION_COLUMNS = [
    "id", "professional_id", "position", "street", "city", "state", "zip_code", "county",
    "latitude", "longitude",
]  # fmt: skip


async def run(count: int, seed: int) -> None:
    with database_server() as server_url:
        admin = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        finally:
            await admin.close()
        connection = await asyncpg.connect(with_database(server_url, BENCH_DATABASE))
        try:
            await apply_migrations(connection, MIGRATIONS)
            started = time.perf_counter()
            batch: list[tuple[tuple[object, ...], ...]] = []
            for record in generate(count, seed):
                batch.append(record)
                if len(batch) == 10_000:
                    await copy(connection, batch)
                    batch = []
            if batch:
                await copy(connection, batch)
            # COPY fired the listing trigger before the offices existed: fill the search
            # table in one statement, in ZIP order so neighbours share pages
            await connection.execute(
                """
                INSERT INTO listing_places (
                    professional_id, position, earth, listed_until, service_states,
                    insurance_keys, specialties, languages, self_pay, telehealth,
                    answers_any_hour, schedules_within_24h)
                SELECT l.professional_id, l.position, ll_to_earth(l.latitude, l.longitude),
                       p.licenses_valid_until, p.service_states, p.insurance_keys,
                       p.specialties, p.languages, p.self_pay, p.telehealth,
                       p.answers_any_hour, p.schedules_within_24h
                FROM practice_locations l JOIN professionals p ON p.id = l.professional_id
                WHERE p.status = 'approved'
                ORDER BY l.zip_code
                """
            )
            await connection.execute("VACUUM ANALYZE")
            listed = await connection.fetchval(
                "SELECT count(*) FROM professionals WHERE status = 'approved'"
                " AND licenses_valid_until >= current_date"
            )
            elapsed = time.perf_counter() - started
            print(f"seeded {count} professionals ({listed} listed) in {elapsed:.1f} s")
        finally:
            await connection.close()


async def copy(connection: asyncpg.Connection, batch: list[tuple[tuple[object, ...], ...]]) -> None:
    async with connection.transaction():
        await connection.copy_records_to_table(
            "professionals", records=[p for p, _, _ in batch], columns=PROFESSIONAL_COLUMNS
        )
        await connection.copy_records_to_table(
            "licenses", records=[x for _, ls, _ in batch for x in ls], columns=LICENSE_COLUMNS
        )
        await connection.copy_records_to_table(
            "practice_locations",
            records=[x for _, _, ls in batch for x in ls],
            columns=LOCATION_COLUMNS,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--professionals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.professionals, arguments.seed))


if __name__ == "__main__":
    main()
