"""At 3 a.m. an officer is never told "nobody": who is on call now (the officer's filters
relaxed one by one, each named), else who comes on call soonest, at a time written in the
officer's own time zone — which is sent with the question and kept nowhere."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from servicekit.clock import FixedClock
from services.directory.on_call import spoken_time
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FENWOOD, HARLOW, LARKMOOR, create_profile
from tests.support.tokens import TokenIssuer

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# Tuesday 14 January 2025, 03:10 in Chicago (CST, UTC-6)
TUESDAY_0310 = dt.datetime(2025, 1, 14, 9, 10, tzinfo=dt.UTC)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")

ASK = """
query Ask($filter: PeerSupporterFilter, $timeZone: String!, $first: Int! = 3) {
  onCallNowOrSoonest(filter: $filter, timeZone: $timeZone, first: $first) {
    onCallNow relaxed
    matches { onCallFrom minutesUntilOnCall supporter { displayName availableNow nextOnCall } }
    errors { field message }
  }
}
"""


def weekdays(start: str, end: str) -> list[dict[str, str]]:
    return [{"day": day, "start": start, "end": end} for day in WEEKDAYS]


async def ask(
    directory: ServiceUnderTest,
    token: str,
    time_zone: str = "America/Chicago",
    first: int = 3,
    **filter_: Any,
) -> dict[str, Any]:
    answer = await directory.graphql(
        ASK, {"filter": filter_, "timeZone": time_zone, "first": first}, token=token
    )
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"]["onCallNowOrSoonest"]
    return payload


def shown(payload: dict[str, Any]) -> list[tuple[str, str | None, int | None]]:
    return [
        (m["supporter"]["displayName"], m["onCallFrom"], m["minutesUntilOnCall"])
        for m in payload["matches"]
    ]


async def test_at_night_with_nobody_matching_on_call_the_filters_are_relaxed_one_by_one(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = TUESDAY_0310
    near_chicago = {"zipCode": "60601", "withinMiles": 25}
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Chicago, Spanish, woman",  # matches every filter, off call at night
        zipCode="60601",
        languages=["en", "es"],
        gender="WOMAN",
        weeklySchedule=weekdays("09:00", "17:00"),
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="Denver, Spanish, man",
        zipCode="80202",  # 02:10 in Denver: inside Monday night's shift, entered as one slot
        languages=["en", "es"],
        gender="MAN",
        weeklySchedule=[{"day": "MONDAY", "start": "22:00", "end": "06:00"}],
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="Denver, English, woman",
        zipCode="80202",
        languages=["en"],
        gender="WOMAN",
        weeklySchedule=[{"day": "MONDAY", "start": "20:00", "end": "04:00"}],
    )
    await create_profile(
        directory,
        issuer,
        department=HARLOW,  # the officer's own department: never added unasked
        displayName="Own department, on call",
        zipCode="60601",
        languages=["en", "es"],
        gender="WOMAN",
        weeklySchedule=[{"day": "MONDAY", "start": "20:00", "end": "08:00"}],
    )
    officer = issuer.token("officer", department=HARLOW)
    wanted: dict[str, Any] = {"near": near_chicago, "language": "es", "gender": "WOMAN"}

    # the distance goes first; then, as nobody speaking Spanish is a woman on call, the gender
    payload = await ask(directory, officer, **wanted)
    assert payload["errors"] == []
    assert payload["onCallNow"] is True
    assert payload["relaxed"] == ["NEAR", "GENDER"]
    assert shown(payload) == [("Denver, Spanish, man", None, None)]
    assert payload["matches"][0]["supporter"]["availableNow"] is True

    without_language = await ask(directory, officer, near=near_chicago, gender="WOMAN")
    assert without_language["relaxed"] == ["NEAR"]
    assert shown(without_language) == [("Denver, English, woman", None, None)]

    anywhere = await ask(directory, officer, near=near_chicago)
    assert anywhere["relaxed"] == ["NEAR"]
    assert {name for name, _, _ in shown(anywhere)} == {
        "Denver, Spanish, man",
        "Denver, English, woman",
    }
    # "only those on call now" is what is asked: it is never relaxed, nor needed
    assert (await ask(directory, officer, availableNow=True, **wanted))["relaxed"] == [
        "NEAR",
        "GENDER",
    ]
    # the officer's own department only when the officer asks for it: then nothing relaxed
    own = await ask(directory, officer, includeOwnDepartment=True, **wanted)
    assert (own["relaxed"], shown(own)) == ([], [("Own department, on call", None, None)])


async def test_with_nobody_on_call_anywhere_the_soonest_come_in_the_officers_own_time(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = TUESDAY_0310
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Chicago, mornings",
        zipCode="60601",
        languages=["en", "pl"],
        gender="WOMAN",
        weeklySchedule=weekdays("06:00", "14:00"),
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="New York, mornings",  # 06:00 Eastern is 05:00 in Chicago
        zipCode="10001",
        languages=["en"],
        gender="WOMAN",
        weeklySchedule=weekdays("06:00", "14:00"),
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="Phoenix, evenings",  # 18:00 in Phoenix (no summer time) is 19:00 here
        zipCode="85004",
        languages=["en"],
        gender="MAN",
        weeklySchedule=weekdays("18:00", "22:00"),
    )
    officer = issuer.token("officer", department=HARLOW)

    payload = await ask(directory, officer)
    assert payload["onCallNow"] is False
    assert payload["relaxed"] == []
    assert shown(payload) == [
        ("New York, mornings", "5:00 a.m.", 110),
        ("Chicago, mornings", "6:00 a.m.", 170),
        ("Phoenix, evenings", "7:00 p.m.", 950),
    ]
    assert payload["matches"][0]["supporter"]["nextOnCall"] == "2025-01-14T11:00:00+00:00"
    # the same moments, written in the officer's zone: Los Angeles is two hours behind
    west = await ask(directory, officer, time_zone="America/Los_Angeles")
    assert [when for _, when, _ in shown(west)] == ["3:00 a.m.", "4:00 a.m.", "5:00 p.m."]
    # a filter is kept when its first is back within the hour of the soonest anyone is ...
    polish = await ask(directory, officer, language="pl")
    assert (polish["relaxed"], shown(polish)) == ([], [("Chicago, mornings", "6:00 a.m.", 170)])
    # ... and relaxed when someone else comes on call more than an hour sooner
    man = await ask(directory, officer, gender="MAN")
    assert man["relaxed"] == ["GENDER"]
    assert [name for name, _, _ in shown(man)][:1] == ["New York, mornings"]

    # Saturday at 23:30, nobody until Monday: the day is named
    clock.at = dt.datetime(2025, 1, 19, 5, 30, tzinfo=dt.UTC)
    weekend = await ask(directory, officer, first=1)
    assert shown(weekend) == [("New York, mornings", "5:00 a.m. on Monday", 1770)]


async def test_a_time_zone_the_network_does_not_know_is_a_field_error(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    officer = issuer.token("officer", department=HARLOW)
    for zone in ("Mars/Olympus_Mons", "", "America/Chicago" + "x" * 300):
        payload = await ask(directory, officer, time_zone=zone)
        assert payload["matches"] == []
        assert [error["field"] for error in payload["errors"]] == ["timeZone"]
        assert "America/Chicago" in payload["errors"][0]["message"]
    payload = await ask(directory, officer, first=0, near={"zipCode": "00000"})
    assert [error["field"] for error in payload["errors"]] == ["first", "filter.near.zipCode"]
    refused = await directory.graphql(
        ASK, {"timeZone": "UTC"}, token=issuer.token("vetter", department=HARLOW)
    )
    assert refused["data"]["onCallNowOrSoonest"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def chicago(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def test_the_time_is_written_as_an_officer_would_say_it() -> None:
    now = chicago(2025, 1, 14, 3, 10)  # a Tuesday

    def said(moment: dt.datetime, zone: str = "America/Chicago") -> str:
        return spoken_time(moment, now=now, time_zone=zone)

    assert said(chicago(2025, 1, 14, 6, 0)) == "6:00 a.m."
    assert said(chicago(2025, 1, 14, 12, 0)) == "noon"
    assert said(chicago(2025, 1, 14, 21, 45)) == "9:45 p.m."
    assert said(chicago(2025, 1, 15, 0, 0)) == "midnight tonight"
    assert said(chicago(2025, 1, 15, 0, 30)) == "12:30 a.m. tomorrow"
    assert said(chicago(2025, 1, 18, 9, 30)) == "9:30 a.m. on Saturday"
    assert said(chicago(2025, 1, 24, 9, 30)) == "9:30 a.m. on Friday, January 24"
    # New York's 06:00 is 05:00 in Chicago; in New York it is already 04:10
    assert said(chicago(2025, 1, 14, 5, 0), "America/New_York") == "6:00 a.m."
    # across the change to summer time "tomorrow" is the next date on the officer's clock
    saturday_night = chicago(2025, 3, 8, 23, 30)
    sunday_nine = chicago(2025, 3, 9, 9, 0)
    assert spoken_time(sunday_nine, now=saturday_night, time_zone="America/Chicago") == (
        "9:00 a.m. tomorrow"
    )
