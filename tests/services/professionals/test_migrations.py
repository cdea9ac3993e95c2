"""Listings made before the network kept one language list: migration 0010 turns the names
they typed into the network's codes, keeps what matches none, and the search finds them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from servicekit.migrations import apply_migrations
from servicekit.vocabulary import LANGUAGES, language_code
from services.professionals.app import MIGRATIONS
from tests.support.database import drop, recreate

BEFORE_CODES = "0009"  # the migrations before the language list


@pytest.fixture
async def before(postgres_url: str, tmp_path: Path) -> AsyncIterator[asyncpg.Connection]:
    """A database migrated up to (not including) the language codes."""
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < BEFORE_CODES:
            shutil.copy(path, earlier / path.name)
    name = f"test_professionals_legacy_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(await recreate(postgres_url, name))
    await apply_migrations(connection, earlier)
    yield connection
    await connection.close()
    await drop(postgres_url, name)


async def listed_before_codes(db: asyncpg.Connection, name: str, languages: list[str]) -> None:
    """A professional as the service stored one then: languages as typed, title-cased."""
    professional_id = await db.fetchval(
        """
        INSERT INTO professionals (reference, client_key, fingerprint, full_name, credentials,
            license_types, phone, email, telehealth, service_states, languages, specialties,
            le_experience_years, self_pay, answers_any_hour, schedules_within_24h,
            licenses_valid_until, assessment_kind)
        VALUES ($1, $2, 'x', $3, 'LCSW', '{lcsw}', '+13125550100', 'a@b.example', false,
                '{IL}', $4, '{anxiety}', 4, true, true, false, $5, 'video_call')
        RETURNING id
        """,
        f"PRO-{uuid.uuid4().hex[:8]}",
        uuid.uuid4().hex,
        name,
        languages,
        dt.date(2030, 1, 1),
    )
    await db.execute(
        """
        INSERT INTO practice_locations (professional_id, position, street, city, state,
                                        zip_code, county, latitude, longitude)
        VALUES ($1, 0, '1 Main St', 'Chicago', 'IL', '60606', 'Cook', 41.88, -87.64)
        """,
        professional_id,
    )
    await db.execute("UPDATE professionals SET status = 'approved' WHERE id = $1", professional_id)


async def test_typed_names_become_the_networks_codes(before: asyncpg.Connection) -> None:
    await listed_before_codes(before, "Ada Names", ["English", "Spanish", "Mandarin"])
    await listed_before_codes(before, "Bo Mixed", ["Es", "Haitian Creole", "Español", "Elvish"])
    await listed_before_codes(before, "Cy Unknown", ["Klingon"])

    await apply_migrations(before, MIGRATIONS)

    rows = await before.fetch(
        "SELECT full_name, languages, unlisted_languages FROM professionals ORDER BY full_name"
    )
    assert [tuple(row) for row in rows] == [
        ("Ada Names", ["en", "es", "zh"], []),
        ("Bo Mixed", ["es", "ht"], ["Elvish"]),
        ("Cy Unknown", [], ["Klingon"]),
    ]
    # the listing tables' copies were rewritten, so a search by code finds them
    for table in ("listing_places", "listing_names"):
        spanish = await before.fetch(
            f"SELECT DISTINCT p.full_name FROM {table} t"
            " JOIN professionals p ON p.id = t.professional_id"
            " WHERE t.languages @> '{es}' ORDER BY 1"
        )
        assert [row["full_name"] for row in spanish] == ["Ada Names", "Bo Mixed"], table
    # new columns start as the migration says: nothing stated, accepting
    assert await before.fetchval(
        "SELECT bool_and(modalities = '{}' AND gender IS NULL AND accepting_new_clients)"
        " FROM listing_names"
    )


def test_the_migrations_names_agree_with_the_vocabulary() -> None:
    # the migration is a snapshot (an applied file is never edited); the list may grow later
    text = (MIGRATIONS / "0010_listing_filters_and_language_codes.sql").read_text()
    pairs = re.findall(r"\('([a-zñ ]+)', '([a-z]+)'\)", text)
    assert len(pairs) >= len(LANGUAGES)
    for name, code in pairs:
        assert language_code(name) == code, name
