"""The search runs in each process's memory: it sees every change committed before it, by
any process or straight in the database, and answers exactly as a plain reading of the
filters over the stored profiles would."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from servicekit import geo
from servicekit.clock import FixedClock
from services.directory import availability
from services.directory.search_index import SearchFilters, SupporterIndex, rotation
from services.directory.store import _supporter
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import (
    ALL_DAY_EVERY_DAY,
    FENWOOD,
    HARLOW,
    LARKMOOR,
    create_profile,
    directory_process,
    names,
    search,
)
from tests.support.tokens import TokenIssuer

SWITCH = """
mutation($input: AvailabilityInput!) {
  setMyAvailability(input: $input) { supporter { availableNow } errors { field message } }
}"""
DEACTIVATE = "mutation($id: ID!) { deactivatePeerSupporter(id: $id) { errors { field } } }"


@pytest.fixture
async def other_process(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[ServiceUnderTest]:
    """A second directory process (another worker or replica) on the same database."""
    async with directory_process(directory.database_url, issuer, clock) as service:
        yield service


async def test_a_search_sees_what_another_process_or_the_database_changed_before_it(
    directory: ServiceUnderTest,
    other_process: ServiceUnderTest,
    issuer: TokenIssuer,
    db: asyncpg.Connection,
) -> None:
    officer = issuer.token("officer", department=HARLOW)
    assert names(await search(other_process, officer)) == []  # its copy is read now
    subject = uuid.uuid4().hex
    created = await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        subject=subject,
        displayName="Dana",
        weeklySchedule=[],
    )
    await create_profile(
        directory, issuer, department=LARKMOOR, displayName="Lee", weeklySchedule=[]
    )
    found = await search(other_process, officer, availableNow=False)
    assert sorted(names(found)) == ["Dana", "Lee"]
    assert [m["supporter"]["availableNow"] for m in found["matches"]] == [False, False]

    # the supporter switches herself on through one process; the other sees it at once
    supporter = issuer.token("peer_supporter", department=FENWOOD, subject=subject)
    switched = await directory.graphql(
        SWITCH, {"input": {"switch": "AVAILABLE_NOW"}}, token=supporter
    )
    assert switched["data"]["setMyAvailability"]["errors"] == []
    assert names(await search(other_process, officer, availableNow=True)) == ["Dana"]

    # a coordinator deactivates her
    admin = issuer.token("network_admin", department=uuid.uuid4())
    done = await directory.graphql(DEACTIVATE, {"id": created["id"]}, token=admin)
    assert done["data"]["deactivatePeerSupporter"]["errors"] == []
    assert names(await search(other_process, officer)) == ["Lee"]

    # changes made straight in the database count as well: an edit, then a deletion
    await db.execute("UPDATE peer_supporters SET display_name = 'Lee Marsh' WHERE active")
    assert names(await search(other_process, officer)) == ["Lee Marsh"]
    assert names(await search(directory, officer)) == ["Lee Marsh"]
    await db.execute("DELETE FROM peer_supporters WHERE active")
    assert names(await search(other_process, officer)) == []
    assert names(await search(directory, officer)) == []


async def test_paging_across_midnight_keeps_the_order_of_the_day_it_began(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    for number in range(8):
        await create_profile(
            directory,
            issuer,
            department=FENWOOD,
            displayName=f"Supporter {number}",
            weeklySchedule=ALL_DAY_EVERY_DAY if number % 3 == 0 else [],
        )
    officer = issuer.token("officer", department=HARLOW)
    clock.at = dt.datetime(2025, 1, 15, 23, 59, tzinfo=dt.UTC)
    whole_day = names(await search(directory, officer))
    first = await search(directory, officer, first=3)
    clock.at += dt.timedelta(minutes=2)  # the next UTC day
    assert names(await search(directory, officer)) != whole_day  # a new rotation
    walked, after = names(first), first["pageInfo"]["endCursor"]
    while after:
        page = await search(directory, officer, first=3, after=after)
        walked += names(page)
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert walked == whole_day


AREAS = ["CRITICAL_INCIDENTS", "GRIEF_AND_LOSS", "FAITH", "FINANCES", "TRAUMA_AND_PTSD"]
ZIPS = ["60601", "60540", "61602", "60007", "53202", "46204", "90012", "10001"]
SCHEDULES: list[list[dict[str, str]]] = [
    ALL_DAY_EVERY_DAY,
    [],
    [{"day": "WEDNESDAY", "start": "09:00", "end": "17:00"}],
    [{"day": "WEDNESDAY", "start": "11:00", "end": "23:00"}],
]


def _reference(
    rows: list[Any], filter_: dict[str, Any], officer_department: uuid.UUID, now: dt.datetime
) -> list[tuple[str, bool, float | None]]:
    """The whole result of ``filter_``, read plainly off the stored profiles."""
    day = now.astimezone(dt.UTC).date().toordinal()
    near = filter_.get("near")
    place = geo.zip_place(near["zipCode"]) if near else None
    miles = near["withinMiles"] if near else 0
    kept = []
    for row in rows:
        if not row.active or row.department_id == officer_department:
            continue
        if not {a.lower() for a in filter_.get("areasOfSupport", [])} <= set(row.areas):
            continue
        if "language" in filter_ and filter_["language"] not in row.languages:
            continue
        if "state" in filter_ and row.state != filter_["state"]:
            continue
        if "gender" in filter_ and row.gender != filter_["gender"].lower():
            continue
        distance = None
        if place is not None:
            distance = geo.distance_miles(
                place.latitude, place.longitude, row.latitude, row.longitude
            )
            if distance > miles:
                continue
        available = availability.is_available(
            spans=row.spans,
            time_zone=row.time_zone,
            available_until=row.available_until,
            unavailable_until=row.unavailable_until,
            now=now,
        )
        if filter_.get("availableNow") and not available:
            continue
        kept.append(((not available, rotation(row.id, day), row.id), row, available, distance))
    kept.sort(key=lambda item: item[0])
    return [
        (row.display_name, available, round(distance, 1) if distance is not None else None)
        for _, row, available, distance in kept
    ]


async def test_every_search_answers_as_a_plain_reading_of_its_filters(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection, clock: FixedClock
) -> None:
    rng = random.Random(8)  # noqa: S311 — a repeatable test, not a secret
    departments = [HARLOW, FENWOOD, LARKMOOR]
    for number in range(60):
        await create_profile(
            directory,
            issuer,
            department=rng.choice(departments),
            displayName=f"Supporter {number:02d}",
            areasOfSupport=rng.sample(AREAS, rng.randint(1, 3)),
            languages=rng.choice([["en"], ["en", "es"], ["pl", "en"]]),
            zipCode=rng.choice(ZIPS),
            weeklySchedule=rng.choice(SCHEDULES),
            gender=rng.choice(["WOMAN", "MAN", None]),
        )
    rows = [
        _supporter(r) for r in await db.fetch(f"SELECT {_supporter.columns} FROM peer_supporters s")
    ]
    await db.execute(
        "UPDATE peer_supporters SET active = false WHERE id = ANY($1::uuid[])",
        [row.id for row in rows[:5]],
    )
    rows = [
        _supporter(r) for r in await db.fetch(f"SELECT {_supporter.columns} FROM peer_supporters s")
    ]
    officer = issuer.token("officer", department=HARLOW)
    for _ in range(40):
        filter_: dict[str, Any] = {}
        if rng.random() < 0.5:
            filter_["areasOfSupport"] = rng.sample(AREAS, rng.randint(1, 2))
        if rng.random() < 0.3:
            filter_["language"] = rng.choice(["es", "pl"])
        if rng.random() < 0.3:
            filter_["state"] = rng.choice(["IL", "WI", "CA"])
        if rng.random() < 0.2:
            filter_["gender"] = rng.choice(["WOMAN", "MAN"])
        if rng.random() < 0.6:
            filter_["near"] = {
                "zipCode": rng.choice(ZIPS),
                "withinMiles": rng.choice([10, 40, 150]),
            }
        if rng.random() < 0.4:
            filter_["availableNow"] = True
        walked: list[tuple[str, bool, float | None]] = []
        after = None
        while True:
            page = await search(directory, officer, first=7, after=after, **filter_)
            walked += [
                (m["supporter"]["displayName"], m["supporter"]["availableNow"], m["distanceMiles"])
                for m in page["matches"]
            ]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert walked == _reference(rows, filter_, HARLOW, clock.now()), filter_


async def test_the_index_keeps_no_supporters_pseudonym(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    subject = uuid.uuid4().hex
    await create_profile(directory, issuer, department=FENWOOD, subject=subject, displayName="Dana")
    index = SupporterIndex()
    pool = await asyncpg.create_pool(directory.database_url, min_size=1, max_size=1)
    try:
        await index.refresh(pool)
    finally:
        await pool.close()
    now = clock.now()
    rows = index.search(
        SearchFilters(),
        now=now,
        minutes=availability.zone_minutes(now),
        day=now.date().toordinal(),
        after=None,
        limit=10,
    )
    assert [row.supporter.display_name for row in rows] == ["Dana"]
    assert subject not in repr(rows)
