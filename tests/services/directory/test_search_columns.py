"""The index answers every mix of filters exactly as a plain reading of every profile would:
the same supporters, in the same order, on the same pages, whichever way it finds them (the
day's rotation walked, or the smallest source read) and after changes one by one or in bulk.
In memory, on random profiles and random filter mixes, rare ones included."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from typing import Any

import pytest

from servicekit import geo
from services.directory import availability, search_index
from services.directory.search_index import SearchFilters, SupporterIndex, rotation
from services.directory.store import SupporterRow

NOW = dt.datetime(2025, 1, 15, 16, 40, tzinfo=dt.UTC)  # a Wednesday
TODAY = NOW.date().toordinal()
AREAS = ["critical_incidents", "grief_and_loss", "faith", "finances", "trauma_and_ptsd", "sleep"]
# common, bilingual, and a language one supporter in a hundred speaks
LANGUAGES = [["en"]] * 12 + [["en", "es"]] * 4 + [["pl", "en"]] * 2 + [["en", "ro"]]
ZIPS = ["60601", "60540", "61602", "53202", "46204", "90012", "10001", "59801", "99501", "96813"]
DEPARTMENTS = [uuid.UUID(int=number) for number in range(1, 30)]


def _spans(rng: random.Random) -> list[tuple[int, int]]:
    """Shifts of eight hours on a few days, a whole week, or none."""
    kind = rng.random()
    if kind < 0.1:
        return []
    if kind < 0.15:
        return [(0, availability.MINUTES_PER_WEEK)]
    start = rng.choice((0, 8 * 60, 16 * 60, 22 * 60))
    spans = []
    for day in sorted(rng.sample(range(7), rng.randint(1, 5))):
        begin = day * 1440 + start
        spans.append((begin, min(begin + 480, availability.MINUTES_PER_WEEK)))
    return spans


def _profile(rng: random.Random, number: int) -> SupporterRow:
    place = geo.zip_place(rng.choice(ZIPS))
    assert place is not None
    assert place.timezone is not None
    switch = rng.random()
    hours = dt.timedelta(hours=rng.randint(-3, 6))
    return SupporterRow(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        owner_subject=f"subject-{number}",
        department_id=rng.choice(DEPARTMENTS),
        display_name=f"Supporter {number}",
        phone=f"+1312555{number:04d}",
        accepts_texts=rng.random() < 0.5,
        languages=list(rng.choice(LANGUAGES)),
        areas=sorted(rng.sample(AREAS, rng.randint(1, 3))),
        years_of_service=rng.choice((None, rng.randint(0, 40))),
        certifications=rng.choice(([], ["Peer support basics"], ["CISM", "QPR"])),
        bio=rng.choice(("", f"Bio of {number}.")),
        gender=rng.choice((None, "woman", "man", "non_binary")),
        zip_code=place.zip_code,
        state=place.state,
        county=place.county,
        latitude=place.latitude + rng.uniform(-0.8, 0.8),
        longitude=place.longitude + rng.uniform(-0.8, 0.8),
        time_zone=place.timezone,
        spans=_spans(rng),
        available_until=NOW + hours if switch < 0.08 else None,
        unavailable_until=NOW + hours if 0.08 <= switch < 0.14 else None,
        active=True,
    )


def _filters(rng: random.Random) -> SearchFilters:
    near = None
    if rng.random() < 0.4:
        place = geo.zip_place(rng.choice(ZIPS))
        assert place is not None
        miles = rng.choice((10, 60, 150, 300, 500))
        box = geo.bounding_box(place.latitude, place.longitude, miles)
        near = (place.latitude, place.longitude, float(miles), box)
    state = rng.choice(("IL", "WI", "CA", "MT", "AK")) if rng.random() < 0.3 else None
    county = None
    if state is not None and rng.random() < 0.4:
        county = {"IL": "cook", "WI": "Milwaukee", "CA": "Los Angeles"}.get(state, "Nowhere")
    return SearchFilters(
        exclude_department=rng.choice((None, *DEPARTMENTS[:5])),
        areas=sorted(rng.sample(AREAS, rng.randint(1, 3))) if rng.random() < 0.5 else None,
        language=rng.choice(("es", "pl", "ro", "xx")) if rng.random() < 0.3 else None,
        state=state,
        county=county,
        gender=rng.choice(("woman", "man")) if rng.random() < 0.2 else None,
        near=near,
        available_now=rng.random() < 0.4,
    )


def _matches(row: SupporterRow, filters: SearchFilters) -> float | bool | None:
    """False when ``row`` misses the filters (``available_now`` aside), else its distance."""
    if filters.exclude_department == row.department_id:
        return False
    if not set(filters.areas or ()) <= set(row.areas):
        return False
    if filters.language is not None and filters.language not in row.languages:
        return False
    if filters.state is not None and row.state != filters.state:
        return False
    if filters.county is not None and row.county.lower() != filters.county.lower():
        return False
    if filters.gender is not None and row.gender != filters.gender:
        return False
    if filters.near is None:
        return None
    latitude, longitude, miles, _ = filters.near
    distance = geo.distance_miles(latitude, longitude, row.latitude, row.longitude)
    return distance if distance <= miles else False


def _is_available(row: SupporterRow) -> bool:
    return availability.is_available(
        spans=row.spans,
        time_zone=row.time_zone,
        available_until=row.available_until,
        unavailable_until=row.unavailable_until,
        now=NOW,
    )


def _reference(
    rows: dict[uuid.UUID, SupporterRow], filters: SearchFilters, day: int
) -> list[tuple[bool, int, uuid.UUID, float | None]]:
    """Every match, read plainly off every profile: (not available, rotation, id, miles)."""
    kept = []
    for row in rows.values():
        distance = _matches(row, filters)
        if distance is False:
            continue
        available = _is_available(row)
        if filters.available_now and not available:
            continue
        kept.append((not available, rotation(row.id, day), row.id, distance))
    return sorted(kept, key=lambda item: item[:3])


def _walk(
    index: SupporterIndex, filters: SearchFilters, day: int, limit: int
) -> list[tuple[bool, int, uuid.UUID, float | None]]:
    """Every page of the search, through each page's last sort key."""
    minutes = availability.zone_minutes(NOW)
    walked: list[tuple[bool, int, uuid.UUID, float | None]] = []
    after = None
    while True:
        page = index.search(filters, now=NOW, minutes=minutes, day=day, after=after, limit=limit)
        walked += [
            (not row.available_now, row.rotation, row.supporter.id, row.distance_miles)
            for row in page
        ]
        if len(page) < limit:
            return walked
        last = page[-1]
        after = (not last.available_now, last.rotation, last.supporter.id)


def _same(
    found: list[tuple[bool, int, uuid.UUID, float | None]],
    expected: list[tuple[bool, int, uuid.UUID, float | None]],
) -> bool:
    if [item[:3] for item in found] != [item[:3] for item in expected]:
        return False
    return all(
        (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)
        for (*_, a), (*_, b) in zip(found, expected, strict=True)
    )


def _change(rng: random.Random, rows: dict[uuid.UUID, SupporterRow], number: int) -> SupporterRow:
    """A new profile, an edit, a switch, or a deactivation."""
    kind = rng.random()
    if kind < 0.3 or not rows:
        return _profile(rng, number)
    old = rng.choice(list(rows.values()))
    if kind < 0.55:
        return dataclasses.replace(_profile(rng, number), id=old.id)
    if kind < 0.8:
        return dataclasses.replace(old, available_until=NOW + dt.timedelta(hours=2))
    return dataclasses.replace(old, active=False)


def _follow(
    index: SupporterIndex,
    rows: dict[uuid.UUID, SupporterRow],
    changed: list[SupporterRow],
    counter: list[int],
) -> None:
    batch = []
    for row in changed:
        counter[0] += 1
        batch.append((row, counter[0]))
        if row.active:
            rows[row.id] = row
        else:
            rows.pop(row.id, None)
    index.apply(batch)


@pytest.fixture(params=["as tuned", "always walk", "always read the smallest source"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Tuned, or forced one way: each way must give the same answers."""
    if request.param == "always walk":
        monkeypatch.setattr(search_index, "WALK_AT_LEAST", 10**9)
    elif request.param == "always read the smallest source":
        monkeypatch.setattr(search_index, "WALK_AT_LEAST", 0)
        monkeypatch.setattr(search_index, "WALK_PER_CANDIDATE", 0)
    return str(request.param)


def test_every_filter_mix_pages_as_a_plain_reading_of_every_profile(way: str) -> None:
    rng = random.Random(21)  # noqa: S311 — a repeatable test, not a secret
    index = SupporterIndex()
    rows: dict[uuid.UUID, SupporterRow] = {}
    counter = [0]
    _follow(index, rows, [_profile(rng, number) for number in range(700)], counter)
    number = 700
    for round_ in range(6):
        for _ in range(25):
            filters = _filters(rng)
            limit = rng.choice((1, 3, 7, 21))
            day = TODAY if rng.random() < 0.85 else TODAY - 1  # a page begun yesterday
            expected = _reference(rows, filters, day)
            found = _walk(index, filters, day, limit)
            assert _same(found, expected), (filters, limit, day)
        # changes one by one (a few) or in bulk (many)
        count = 200 if round_ == 2 else rng.randint(1, 20)
        changed = []
        for _ in range(count):
            changed.append(_change(rng, rows, number))
            number += 1
        changed = list({row.id: row for row in changed}.values())  # one change per profile
        _follow(index, rows, changed, counter)
        assert len(index) == len(rows)


def test_who_is_on_call_next_answers_as_a_plain_reading_of_every_profile(way: str) -> None:
    rng = random.Random(5)  # noqa: S311 — a repeatable test, not a secret
    index = SupporterIndex()
    rows: dict[uuid.UUID, SupporterRow] = {}
    counter = [0]
    _follow(index, rows, [_profile(rng, number) for number in range(700)], counter)
    minutes = availability.zone_minutes(NOW)
    for _ in range(60):
        filters = dataclasses.replace(_filters(rng), available_now=False)
        limit = rng.randint(1, 20)
        expected = []
        for row in rows.values():
            distance = _matches(row, filters)
            if distance is False:
                continue
            moment = availability.next_on_call(
                spans=row.spans,
                time_zone=row.time_zone,
                available_until=row.available_until,
                unavailable_until=row.unavailable_until,
                now=NOW,
            )
            if moment is not None and not _is_available(row):
                expected.append((moment, rotation(row.id, TODAY), row.id, distance))
        expected.sort(key=lambda item: item[:3])
        found = index.next_on_call(filters, now=NOW, minutes=minutes, limit=limit)
        assert [(row.next_on_call, row.supporter.id) for row in found] == [
            (moment, supporter) for moment, _, supporter, _ in expected[:limit]
        ], filters


def test_a_held_profile_reads_back_as_stored_without_its_owner() -> None:
    rng = random.Random(3)  # noqa: S311 — a repeatable test, not a secret
    index = SupporterIndex()
    rows = {row.id: row for row in (_profile(rng, number) for number in range(300))}
    index.apply([(row, number) for number, row in enumerate(rows.values(), start=1)])
    held: dict[uuid.UUID, Any] = {row.id: row for row in index.profiles()}
    assert held == {key: dataclasses.replace(row, owner_subject="") for key, row in rows.items()}
