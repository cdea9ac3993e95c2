"""Nobody on call is never a dead end: who is on call next, and when, from the published
weekly schedules, each supporter's time zone, their switch and the service's clock."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import asyncpg

from servicekit import geo
from servicekit.clock import FixedClock
from services.directory import availability
from services.directory.availability import format_clock
from services.directory.search_index import rotation
from services.directory.store import _supporter
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FENWOOD, HARLOW, LARKMOOR, create_profile, search
from tests.support.tokens import TokenIssuer

# Sunday 19 January 2025, 22:20 in Chicago (CST, UTC-6)
SUNDAY_NIGHT = dt.datetime(2025, 1, 20, 4, 20, tzinfo=dt.UTC)

NEXT = """
query Next($filter: PeerSupporterFilter, $first: Int! = 3) {
  nextOnCallPeerSupporters(filter: $filter, first: $first) {
    matches { distanceMiles supporter { displayName availableNow nextOnCall } }
    errors { field message }
  }
}
"""


def slots(day: str, start: str, end: str) -> list[dict[str, str]]:
    return [{"day": day, "start": start, "end": end}]


async def next_on_call(
    directory: ServiceUnderTest, token: str, first: int = 3, **filter_: Any
) -> dict[str, Any]:
    answer = await directory.graphql(NEXT, {"filter": filter_, "first": first}, token=token)
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"]["nextOnCallPeerSupporters"]
    return payload


def when(payload: dict[str, Any]) -> list[tuple[str, dt.datetime]]:
    return [
        (
            match["supporter"]["displayName"],
            dt.datetime.fromisoformat(match["supporter"]["nextOnCall"]),
        )
        for match in payload["matches"]
    ]


async def test_at_sunday_night_with_nobody_on_call_the_next_ones_are_named_with_their_time(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = SUNDAY_NIGHT
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Monday early, Chicago",
        weeklySchedule=slots("MONDAY", "06:00", "14:00"),
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="Monday early, New York",  # 06:00 Eastern is 05:00 in Chicago
        zipCode="10001",
        weeklySchedule=slots("MONDAY", "06:00", "14:00"),
    )
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Saturday only",
        weeklySchedule=slots("SATURDAY", "08:00", "16:00"),
    )
    await create_profile(
        directory, issuer, department=FENWOOD, displayName="No hours", weeklySchedule=[]
    )
    await create_profile(
        directory,
        issuer,
        department=HARLOW,  # the officer's own: left out, as in the search
        displayName="Own department",
        weeklySchedule=slots("SUNDAY", "23:00", "24:00"),
    )
    officer = issuer.token("officer", department=HARLOW)

    everyone = await search(directory, officer)
    assert len(everyone["matches"]) == 4
    assert not any(match["supporter"]["availableNow"] for match in everyone["matches"])

    payload = await next_on_call(directory, officer)
    assert payload["errors"] == []
    assert when(payload) == [
        ("Monday early, New York", dt.datetime(2025, 1, 20, 11, 0, tzinfo=dt.UTC)),
        ("Monday early, Chicago", dt.datetime(2025, 1, 20, 12, 0, tzinfo=dt.UTC)),
        ("Saturday only", dt.datetime(2025, 1, 25, 14, 0, tzinfo=dt.UTC)),
    ]
    assert {match["supporter"]["availableNow"] for match in payload["matches"]} == {False}
    assert when(await next_on_call(directory, officer, first=1)) == when(payload)[:1]
    # the filters of the search apply: own department on request, state, distance
    own = await next_on_call(directory, officer, includeOwnDepartment=True, first=1)
    assert when(own) == [("Own department", dt.datetime(2025, 1, 20, 5, 0, tzinfo=dt.UTC))]
    assert [name for name, _ in when(await next_on_call(directory, officer, state="NY"))] == [
        "Monday early, New York"
    ]
    near = await next_on_call(directory, officer, near={"zipCode": "60540", "withinMiles": 50})
    assert [name for name, _ in when(near)] == ["Monday early, Chicago", "Saturday only"]
    assert all(match["distanceMiles"] is not None for match in near["matches"])

    # the same moment on each profile, and none while on call
    clock.at = dt.datetime(2025, 1, 20, 12, 30, tzinfo=dt.UTC)  # Monday 06:30 in Chicago
    shown = await directory.graphql(
        "query { searchPeerSupporters { matches { supporter { displayName availableNow"
        " nextOnCall } } } }",
        token=officer,
    )
    moments = {
        match["supporter"]["displayName"]: match["supporter"]["nextOnCall"]
        for match in shown["data"]["searchPeerSupporters"]["matches"]
    }
    assert moments == {
        "Monday early, Chicago": None,
        "Monday early, New York": None,
        "Saturday only": "2025-01-25T14:00:00+00:00",
        "No hours": None,
    }


async def test_a_supporter_switched_off_is_next_when_the_switch_ends(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = SUNDAY_NIGHT
    subject = uuid.uuid4().hex
    every_night = [
        {"day": day, "start": "20:00", "end": "24:00"}
        for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
    ]
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        subject=subject,
        displayName="Nights, away",
        weeklySchedule=every_night,
    )
    supporter = issuer.token("peer_supporter", department=FENWOOD, subject=subject)
    # away until Tuesday 03:00 UTC (Monday 21:00 in Chicago): inside Monday's slot
    answer = await directory.graphql(
        "mutation($input: AvailabilityInput!) { setMyAvailability(input: $input)"
        " { errors { field message } } }",
        {"input": {"switch": "UNAVAILABLE", "until": "2025-01-21T03:00:00+00:00"}},
        token=supporter,
    )
    assert answer["data"]["setMyAvailability"]["errors"] == []
    officer = issuer.token("officer", department=HARLOW)
    assert when(await next_on_call(directory, officer)) == [
        ("Nights, away", dt.datetime(2025, 1, 21, 3, 0, tzinfo=dt.UTC))
    ]


async def test_a_wrong_count_or_filter_is_a_field_error(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    officer = issuer.token("officer", department=HARLOW)
    for first in (0, 21):
        payload = await next_on_call(directory, officer, first=first)
        assert [error["field"] for error in payload["errors"]] == ["first"]
    payload = await next_on_call(directory, officer, near={"zipCode": "00000"})
    assert payload["matches"] == []
    assert payload["errors"][0]["field"] == "filter.near.zipCode"
    vetter = issuer.token("vetter", department=HARLOW)
    refused = await directory.graphql(NEXT, {}, token=vetter)
    assert refused["data"]["nextOnCallPeerSupporters"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# Chicago, Milwaukee, Los Angeles, New York, Phoenix (no summer time), Honolulu
ZIPS = ["60601", "53202", "90012", "10001", "85004", "96813"]
MOMENTS = [
    SUNDAY_NIGHT,
    dt.datetime(2025, 3, 9, 4, 20, tzinfo=dt.UTC),  # Saturday night before summer time
    dt.datetime(2025, 11, 1, 20, 45, tzinfo=dt.UTC),  # Saturday before winter time
    dt.datetime(2025, 7, 16, 14, 7, tzinfo=dt.UTC),
]


def random_week(rng: random.Random) -> list[dict[str, str]]:
    slots = []
    for day in rng.sample(DAYS, rng.randint(0, 4)):
        # 02:00 and 02:30: slots the change to summer time skips, in part or whole
        start = rng.choice([0, 2 * 60, 2 * 60 + 30, 6 * 60, 8 * 60, 13 * 60 + 30, 22 * 60])
        end = min(24 * 60, start + rng.choice([30, 60, 8 * 60, 10 * 60]))
        slots.append({"day": day, "start": format_clock(start), "end": format_clock(end)})
    return slots


async def test_who_is_on_call_next_answers_as_a_plain_reading_of_the_schedules(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection, clock: FixedClock
) -> None:
    rng = random.Random(11)  # noqa: S311 — a repeatable test, not a secret
    for number in range(90):
        await create_profile(
            directory,
            issuer,
            department=rng.choice([HARLOW, FENWOOD, LARKMOOR]),
            displayName=f"Supporter {number:02d}",
            languages=rng.choice([["en"], ["en", "es"], ["pl", "en"]]),
            areasOfSupport=rng.sample(["GRIEF_AND_LOSS", "FAITH", "FINANCES"], rng.randint(1, 2)),
            zipCode=rng.choice(ZIPS),
            weeklySchedule=random_week(rng),
        )
    # a few switched off, to the hour, for days; one switched on
    await db.execute(
        "UPDATE peer_supporters SET unavailable_until = $1"
        " WHERE id IN (SELECT id FROM peer_supporters ORDER BY id LIMIT 12)",
        dt.datetime(2025, 3, 10, 15, tzinfo=dt.UTC),
    )
    rows = [
        _supporter(r) for r in await db.fetch(f"SELECT {_supporter.columns} FROM peer_supporters s")
    ]
    officer = issuer.token("officer", department=HARLOW)
    filters: list[dict[str, Any]] = [
        {},
        {"language": "es"},
        {"language": "en"},
        {"state": "IL"},
        {"areasOfSupport": ["FAITH"]},
        {"near": {"zipCode": "60540", "withinMiles": 100}},
        {"gender": "WOMAN"},  # nobody stated it: a narrow filter, read profile by profile
    ]
    for moment in MOMENTS:
        clock.at = moment
        day = moment.date().toordinal()
        for filter_ in filters:
            expected = []
            for row in rows:
                if row.department_id == HARLOW or not matches(row, filter_):
                    continue
                at = availability.next_on_call(
                    spans=row.spans,
                    time_zone=row.time_zone,
                    available_until=row.available_until,
                    unavailable_until=row.unavailable_until,
                    now=moment,
                )
                if at is not None:
                    expected.append(((at, rotation(row.id, day), row.id), row.display_name, at))
            expected.sort(key=lambda item: item[0])
            found = when(await next_on_call(directory, officer, first=5, **filter_))
            assert found == [(name, at) for _, name, at in expected[:5]], (moment, filter_)


def matches(row: Any, filter_: dict[str, Any]) -> bool:
    if "language" in filter_ and filter_["language"] not in row.languages:
        return False
    if "state" in filter_ and row.state != filter_["state"]:
        return False
    if "gender" in filter_ and row.gender != filter_["gender"].lower():
        return False
    if not {a.lower() for a in filter_.get("areasOfSupport", [])} <= set(row.areas):
        return False
    near = filter_.get("near")
    if near:
        place = geo.zip_place(near["zipCode"])
        assert place is not None
        miles = geo.distance_miles(place.latitude, place.longitude, row.latitude, row.longitude)
        return bool(miles <= near["withinMiles"])
    return True


async def test_a_slot_the_clocks_skip_is_next_when_they_jump(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = dt.datetime(2026, 3, 7, 18, 0, tzinfo=dt.UTC)  # Saturday noon in Chicago
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Sunday from 02:30",  # begins when 02:00 CST jumps to 03:00 CDT
        weeklySchedule=slots("SUNDAY", "02:30", "05:00"),
    )
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Sunday 02:00 to 03:00",  # an hour that night does not have
        weeklySchedule=slots("SUNDAY", "02:00", "03:00"),
    )
    officer = issuer.token("officer", department=HARLOW)
    expected = [
        ("Sunday from 02:30", dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)),
        ("Sunday 02:00 to 03:00", dt.datetime(2026, 3, 15, 7, 0, tzinfo=dt.UTC)),
    ]
    assert when(await next_on_call(directory, officer)) == expected
    # read profile by profile (a narrow filter) or walked soonest first: the same answer
    assert when(await next_on_call(directory, officer, state="IL")) == expected
