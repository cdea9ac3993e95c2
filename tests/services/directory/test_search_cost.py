"""A search near a ZIP code reads the profiles that meet its other filters there, not every
profile in the nearby grid cells, nor every one that meets the filters elsewhere: what it
tests follows the size of its answer. Counted, not timed, in memory."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from servicekit import geo
from services.directory import availability, search_index
from services.directory.search_index import SearchFilters, SupporterIndex
from services.directory.store import SupporterRow

NOW = dt.datetime(2025, 1, 15, 16, 40, tzinfo=dt.UTC)
CROWD = 3000  # supporters around one ZIP code
RARE = 12  # of them, the ones who speak Romanian
FAR = 4000  # Romanian speakers around another, far away


def _supporter(number: int, language: str, zip_code: str = "60601") -> SupporterRow:
    place = geo.zip_place(zip_code)
    assert place is not None
    assert place.timezone is not None
    return SupporterRow(
        id=uuid.UUID(int=number + 1, version=4),
        owner_subject=f"subject-{number}",
        department_id=uuid.UUID(int=number % 7 + 1),
        display_name=f"Supporter {number}",
        phone=f"+1312555{number:04d}",
        accepts_texts=True,
        languages=["en", language] if language != "en" else ["en"],
        areas=["grief_and_loss"],
        years_of_service=None,
        certifications=[],
        bio="",
        gender=None,
        zip_code=place.zip_code,
        state=place.state,
        county=place.county,
        # spread over the cells around the Loop
        latitude=place.latitude + (number % 50 - 25) / 40,
        longitude=place.longitude + (number // 50 % 60 - 30) / 40,
        time_zone=place.timezone,
        spans=[(0, availability.MINUTES_PER_WEEK)] if number % 2 else [],
        available_until=None,
        unavailable_until=None,
        active=True,
    )


@pytest.mark.parametrize("available_now", [False, True])
def test_a_rare_filter_near_a_zip_code_reads_its_matches_not_the_cells(
    monkeypatch: pytest.MonkeyPatch, available_now: bool
) -> None:
    index = SupporterIndex()
    rare = set(range(1, CROWD, CROWD // RARE))  # odd: on call all week
    rows = [_supporter(number, "ro" if number in rare else "en") for number in range(CROWD)]
    rows += [_supporter(number, "ro", "90012") for number in range(CROWD, CROWD + FAR)]
    index.apply([(row, number) for number, row in enumerate(rows, start=1)])
    tested: list[int] = []
    keeps = search_index._Profiles.keeps

    def counted(profiles: search_index._Profiles, query: search_index._Query, slot: int) -> bool:
        tested.append(slot)
        return keeps(profiles, query, slot)

    monkeypatch.setattr(search_index._Profiles, "keeps", counted)
    place = geo.zip_place("60601")
    assert place is not None
    near = (
        place.latitude,
        place.longitude,
        50.0,
        geo.bounding_box(place.latitude, place.longitude, 50),
    )
    filters = SearchFilters(language="ro", near=near, available_now=available_now)
    found = index.search(
        filters,
        now=NOW,
        minutes=availability.zone_minutes(NOW),
        day=NOW.date().toordinal(),
        after=None,
        limit=20,
    )
    expected = {
        row.id
        for row in rows
        if "ro" in row.languages
        and geo.distance_miles(place.latitude, place.longitude, row.latitude, row.longitude) <= 50
        and (row.spans or not available_now)
    }
    assert expected
    assert {row.supporter.id for row in found} == expected
    # each of the few who match tested at most twice (the estimate, the reading), no other
    assert len(tested) <= 2 * RARE
    assert set(tested) <= {
        index._held.slot_of[row.id.bytes] for row in rows if "ro" in row.languages
    }
