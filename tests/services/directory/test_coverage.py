"""On-call coverage for coordinators and network admins: per hour of the week, how many
supporters are scheduled network-wide, within reach and of the department, and which hours
have nobody — from published schedules only."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.directory.coverage import whole_hour_starts
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FENWOOD, HARLOW, LARKMOOR, create_profile
from tests.support.tokens import TokenIssuer

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
COVERAGE = """
query Coverage($timeZone: String! = "America/Chicago", $departmentId: ID, $state: String,
               $near: NearZipCode) {
  onCallCoverage(timeZone: $timeZone, departmentId: $departmentId, state: $state, near: $near) {
    timeZone weekOf
    hours { day hour startsAt network region department }
    networkGaps { day start endDay end hours }
    regionGaps { day start endDay end hours }
    departmentFills { day start endDay end hours }
    errors { field message }
  }
}
"""


def slot(day: str, start: str, end: str) -> dict[str, str]:
    return {"day": day, "start": start, "end": end}


async def coverage(directory: ServiceUnderTest, token: str, **variables: Any) -> dict[str, Any]:
    answer = await directory.graphql(COVERAGE, variables, token=token)
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"]["onCallCoverage"]
    return payload


def hour(payload: dict[str, Any], day: str, at: int) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        h for h in payload["hours"] if h["day"] == day and h["hour"] == at
    ]
    assert len(found) == 1
    return found[0]


def gap(day: str, start: str, end: str, hours: int, end_day: str | None = None) -> dict[str, Any]:
    return {"day": day, "start": start, "endDay": end_day or day, "end": end, "hours": hours}


async def a_week_with_a_gap(directory: ServiceUnderTest, issuer: TokenIssuer) -> None:
    """Harlow (Chicago) covers the whole week but Sunday 02:00-05:00; Los Angeles covers
    04:00-05:00 of it (02:00 Pacific); a half-hour slot covers no whole hour."""
    await create_profile(
        directory,
        issuer,
        department=HARLOW,
        displayName="Harlow, all week but early Sunday",
        weeklySchedule=[slot(day, "00:00", "24:00") for day in DAYS[:6]]
        + [slot("SUNDAY", "00:00", "02:00"), slot("SUNDAY", "05:00", "24:00")],
    )
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Los Angeles, Sunday small hours",
        zipCode="90012",
        weeklySchedule=[slot("SUNDAY", "02:00", "03:00")],
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="Peoria, half an hour",
        zipCode="61602",
        weeklySchedule=[slot("SUNDAY", "02:30", "03:30")],
    )
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Naperville, Monday days",
        zipCode="60540",
        weeklySchedule=[slot("MONDAY", "08:00", "16:00")],
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="New York, Monday days",  # 09:00-17:00 Eastern: 08:00-16:00 in Chicago
        zipCode="10001",
        weeklySchedule=[slot("MONDAY", "09:00", "17:00")],
    )


async def test_a_coordinator_finds_the_weeks_gap_and_the_hours_only_their_people_cover(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    await a_week_with_a_gap(directory, issuer)
    coordinator = issuer.token("coordinator", department=HARLOW)
    before = await db.fetch("SELECT * FROM peer_supporters ORDER BY id")

    payload = await coverage(directory, coordinator, state="IL")
    assert payload["errors"] == []
    assert payload["weekOf"] == "2025-01-13"  # the test clock's Wednesday is in this week
    assert len(payload["hours"]) == 168
    assert payload["networkGaps"] == [gap("SUNDAY", "02:00", "04:00", 2)]
    assert payload["regionGaps"] == [gap("SUNDAY", "02:00", "05:00", 3)]
    monday_ten = hour(payload, "MONDAY", 10)
    assert (monday_ten["network"], monday_ten["region"], monday_ten["department"]) == (3, 2, 1)
    assert hour(payload, "SUNDAY", 4)["network"] == 1  # Los Angeles, 02:00 Pacific
    assert hour(payload, "SUNDAY", 2)["network"] == 0  # half an hour is not the hour
    # in Illinois, Harlow's own supporter alone is on call all week but Monday's day shift
    assert payload["departmentFills"] == [
        gap("MONDAY", "00:00", "08:00", 8),
        gap("MONDAY", "16:00", "02:00", 130, end_day="SUNDAY"),
        gap("SUNDAY", "05:00", "24:00", 19),
    ]
    # the same week named in New York's hours
    eastern = await coverage(directory, coordinator, timeZone="America/New_York")
    assert eastern["networkGaps"] == [gap("SUNDAY", "03:00", "05:00", 2)]
    assert eastern["regionGaps"] == []
    assert {h["region"] for h in eastern["hours"]} == {None}
    # within 100 miles of Naperville: Harlow and Naperville, not Peoria (~125 miles)
    near = await coverage(directory, coordinator, near={"zipCode": "60540", "withinMiles": 100})
    assert near["regionGaps"] == [gap("SUNDAY", "02:00", "05:00", 3)]
    # reading the schedules wrote nothing
    assert await db.fetch("SELECT * FROM peer_supporters ORDER BY id") == before


async def test_coordinators_see_their_own_department_and_admins_any(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str
) -> None:
    await a_week_with_a_gap(directory, issuer)
    coordinator = issuer.token("coordinator", department=HARLOW)
    for token, variables in (
        (issuer.token("officer", department=HARLOW), {}),
        (issuer.token("peer_supporter", department=HARLOW), {}),
        (coordinator, {"departmentId": str(FENWOOD)}),
        (coordinator, {"departmentId": "not-an-id"}),
    ):
        refused = await directory.graphql(COVERAGE, variables, token=token)
        assert refused["data"]["onCallCoverage"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = await coverage(directory, coordinator, departmentId=str(HARLOW))
    assert hour(own, "MONDAY", 10)["department"] == 1
    fenwood = await coverage(directory, admin_token, departmentId=str(FENWOOD))
    assert hour(fenwood, "MONDAY", 10)["department"] == 1  # Naperville
    # network-wide, Fenwood's Los Angeles supporter alone is on call in Sunday's small hours
    assert fenwood["departmentFills"] == [gap("SUNDAY", "04:00", "05:00", 1)]
    network = await coverage(directory, admin_token)
    assert {h["department"] for h in network["hours"]} == {None}
    assert network["networkGaps"] == [gap("SUNDAY", "02:00", "04:00", 2)]


async def test_a_wrong_zone_or_region_is_a_field_error(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    coordinator = issuer.token("coordinator", department=HARLOW)
    for variables, field in (
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
        ({"state": "ZZ"}, "state"),
        ({"near": {"zipCode": "00000"}}, "near.zipCode"),
        ({"near": {"zipCode": "60601", "withinMiles": 5000}}, "near.withinMiles"),
        ({"state": "IL", "near": {"zipCode": "60601"}}, "near"),
    ):
        payload = await coverage(directory, coordinator, **variables)
        assert payload["hours"] == []
        assert field in [error["field"] for error in payload["errors"]], (variables, payload)


def test_a_shift_across_the_weeks_end_counts_its_whole_hours() -> None:
    week = 7 * 24 * 60
    # Sunday 23:00-24:00 and Monday 00:00-00:30: the hour from Sunday 23:30 is whole
    assert whole_hour_starts([(0, 30), (week - 60, week)]) == [(week - 60, week - 29)]
    assert whole_hour_starts([(0, 120), (week - 60, week)]) == [(week - 60, week), (0, 61)]
    assert whole_hour_starts([(0, week)]) == [(0, week)]
    assert whole_hour_starts([(540, 590)]) == []  # under an hour
    assert whole_hour_starts([(540, 600)]) == [(540, 541)]
