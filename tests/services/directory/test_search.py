"""Officers search across the network: filters, own-department exclusion, availability,
a fair daily order and cursor paging."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from servicekit.clock import FixedClock
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import (
    ALL_DAY_EVERY_DAY,
    FENWOOD,
    HARLOW,
    LARKMOOR,
    create_profile,
    names,
    search,
)
from tests.support.tokens import TokenIssuer


async def test_own_department_is_left_out_unless_asked_for(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    await create_profile(directory, issuer, department=HARLOW, displayName="Same Department")
    await create_profile(directory, issuer, department=FENWOOD, displayName="Other Department")
    officer = issuer.token("officer", department=HARLOW)
    assert names(await search(directory, officer)) == ["Other Department"]
    both = await search(directory, officer, includeOwnDepartment=True)
    assert sorted(names(both)) == ["Other Department", "Same Department"]


async def test_filters_narrow_the_results(directory: ServiceUnderTest, issuer: TokenIssuer) -> None:
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Chicago Spanish Grief",
        languages=["en", "es"],
        areasOfSupport=["GRIEF_AND_LOSS", "FAITH"],
        gender="WOMAN",
        zipCode="60601",
    )
    await create_profile(
        directory,
        issuer,
        department=LARKMOOR,
        displayName="Peoria Polish Trauma",
        languages=["pl", "en"],
        areasOfSupport=["TRAUMA_AND_PTSD", "GRIEF_AND_LOSS"],
        zipCode="61602",
    )
    officer = issuer.token("officer", department=HARLOW)

    async def found(**filter_: Any) -> list[str]:
        return sorted(names(await search(directory, officer, **filter_)))

    assert await found(areasOfSupport=["GRIEF_AND_LOSS"]) == [
        "Chicago Spanish Grief",
        "Peoria Polish Trauma",
    ]
    # every area asked for must be covered
    assert await found(areasOfSupport=["GRIEF_AND_LOSS", "FAITH"]) == ["Chicago Spanish Grief"]
    assert await found(language=" PL ") == ["Peoria Polish Trauma"]
    assert await found(state="il", county="cook county") == ["Chicago Spanish Grief"]
    assert await found(state="IL", county="Peoria") == ["Peoria Polish Trauma"]
    assert await found(state="WI") == []
    assert await found(gender="WOMAN") == ["Chicago Spanish Grief"]
    assert await found(gender="MAN") == []  # not stated is never guessed
    # Naperville is ~30 miles from the Loop and ~125 from Peoria
    assert await found(near={"zipCode": "60540", "withinMiles": 50}) == ["Chicago Spanish Grief"]
    wide = await search(directory, officer, near={"zipCode": "60540", "withinMiles": 200})
    distances = {
        match["supporter"]["displayName"]: match["distanceMiles"] for match in wide["matches"]
    }
    assert 20 < distances["Chicago Spanish Grief"] < 40
    assert 100 < distances["Peoria Polish Trauma"] < 150
    assert (await search(directory, officer))["matches"][0]["distanceMiles"] is None


async def test_bad_filters_are_field_errors(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    await create_profile(directory, issuer, department=FENWOOD)
    officer = issuer.token("officer", department=HARLOW)
    payload = await search(
        directory,
        officer,
        near={"zipCode": "00000", "withinMiles": 0},
        language="klingon",
        state="ZZ",
        county="Cook",
    )
    assert payload["matches"] == []
    fields = {error["field"] for error in payload["errors"]}
    assert fields == {
        "filter.near.zipCode",
        "filter.near.withinMiles",
        "filter.language",
        "filter.state",
    }
    only_county = await search(directory, officer, county="Cook")
    assert [error["field"] for error in only_county["errors"]] == ["filter.county"]
    for zip_code in ("6060", "abcde", "606011"):
        bad = await search(directory, officer, near={"zipCode": zip_code})
        assert bad["errors"][0]["message"].startswith("Enter a five-digit US ZIP code")
    unknown = await search(directory, officer, near={"zipCode": "00000"})
    assert unknown["errors"][0]["message"].startswith("We don't know this ZIP code")


async def test_available_now_follows_schedule_zone_and_switch(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    # Wednesday 16:30 UTC: 10:30 in Chicago, 08:30 in Los Angeles
    await create_profile(directory, issuer, department=FENWOOD, displayName="Chicago 9-5")
    await create_profile(
        directory,
        issuer,
        department=FENWOOD,
        displayName="Los Angeles 9-5",
        zipCode="90012",
    )
    officer = issuer.token("officer", department=HARLOW)
    available = await search(directory, officer, availableNow=True)
    assert names(available) == ["Chicago 9-5"]
    assert available["matches"][0]["supporter"]["availableNow"] is True

    clock.at = dt.datetime(2025, 1, 15, 17, 30, tzinfo=dt.UTC)  # 09:30 in Los Angeles
    assert sorted(names(await search(directory, officer, availableNow=True))) == [
        "Chicago 9-5",
        "Los Angeles 9-5",
    ]
    clock.at = dt.datetime(2025, 1, 18, 17, 30, tzinfo=dt.UTC)  # Saturday
    assert names(await search(directory, officer, availableNow=True)) == []
    everyone = await search(directory, officer)
    assert [match["supporter"]["availableNow"] for match in everyone["matches"]] == [False] * 2


async def test_summer_time_keeps_local_hours(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    await create_profile(directory, issuer, department=FENWOOD, displayName="Chicago 9-5")
    officer = issuer.token("officer", department=HARLOW)
    clock.at = dt.datetime(2025, 7, 16, 14, 30, tzinfo=dt.UTC)  # 09:30 CDT, 08:30 CST
    assert names(await search(directory, officer, availableNow=True)) == ["Chicago 9-5"]
    clock.at = dt.datetime(2025, 1, 15, 14, 30, tzinfo=dt.UTC)  # 08:30 CST
    assert names(await search(directory, officer, availableNow=True)) == []


async def test_switch_overrides_the_schedule_until_it_ends(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    subject = uuid.uuid4().hex
    await create_profile(directory, issuer, department=FENWOOD, subject=subject, weeklySchedule=[])
    supporter = issuer.token("peer_supporter", department=FENWOOD, subject=subject)
    officer = issuer.token("officer", department=HARLOW)
    switch = """
    mutation($input: AvailabilityInput!) {
      setMyAvailability(input: $input) {
        supporter { availableNow availableUntil unavailableUntil } errors { field message }
      }
    }
    """
    assert names(await search(directory, officer, availableNow=True)) == []
    on = await directory.graphql(switch, {"input": {"switch": "AVAILABLE_NOW"}}, token=supporter)
    assert on["data"]["setMyAvailability"]["supporter"]["availableNow"] is True
    # four hours from the click (16:30 UTC on the test clock), kept as the full hour it
    # ends on, never to the minute of the click
    ends = dt.datetime.fromisoformat(on["data"]["setMyAvailability"]["supporter"]["availableUntil"])
    assert ends == dt.datetime(2025, 1, 15, 21, tzinfo=dt.UTC)
    assert len(names(await search(directory, officer, availableNow=True))) == 1
    clock.at += dt.timedelta(hours=4, minutes=1)  # four hours on: still until the full hour
    assert len(names(await search(directory, officer, availableNow=True))) == 1
    clock.at += dt.timedelta(minutes=30)  # past 21:00 UTC: the switch is over
    assert names(await search(directory, officer, availableNow=True)) == []

    await directory.graphql(switch, {"input": {"switch": "FOLLOW_SCHEDULE"}}, token=supporter)
    update = (
        "mutation($i: PeerSupporterProfileChanges!) "
        "{ updateMyPeerSupporterProfile(input: $i) { errors { field } } }"
    )
    await directory.graphql(update, {"i": {"weeklySchedule": ALL_DAY_EVERY_DAY}}, token=supporter)
    assert len(names(await search(directory, officer, availableNow=True))) == 1
    until = (clock.at + dt.timedelta(days=3)).isoformat()
    off = await directory.graphql(
        switch, {"input": {"switch": "UNAVAILABLE", "until": until}}, token=supporter
    )
    back = off["data"]["setMyAvailability"]["supporter"]["unavailableUntil"]
    assert dt.datetime.fromisoformat(back).minute == 0
    assert names(await search(directory, officer, availableNow=True)) == []
    clock.at += dt.timedelta(days=3, hours=1)  # past the hour it was rounded up to
    assert len(names(await search(directory, officer, availableNow=True))) == 1

    for wrong in (
        {"switch": "UNAVAILABLE"},
        {"switch": "UNAVAILABLE", "until": (clock.at - dt.timedelta(hours=1)).isoformat()},
        {"switch": "AVAILABLE_NOW", "until": (clock.at + dt.timedelta(days=2)).isoformat()},
        {"switch": "FOLLOW_SCHEDULE", "until": until},
    ):
        answer = await directory.graphql(switch, {"input": wrong}, token=supporter)
        assert answer["data"]["setMyAvailability"]["errors"][0]["field"] == "input.until"


async def test_available_first_then_a_rotation_that_changes_daily(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    for number in range(12):
        await create_profile(
            directory,
            issuer,
            department=FENWOOD,
            displayName=f"Supporter {number:02d}",
            # the even ones work around the clock, the odd ones never (by schedule)
            weeklySchedule=ALL_DAY_EVERY_DAY if number % 2 == 0 else [],
        )
    officer = issuer.token("officer", department=HARLOW)
    first_day = await search(directory, officer)
    flags = [match["supporter"]["availableNow"] for match in first_day["matches"]]
    assert flags == [True] * 6 + [False] * 6
    # the same for anyone searching the same day: nothing about the searcher is used
    other = await search(directory, issuer.token("civilian", department=LARKMOOR))
    assert names(other) == names(first_day)
    clock.at += dt.timedelta(hours=3)  # same day
    assert names(await search(directory, officer)) == names(first_day)

    orders = set()
    for day in range(1, 6):
        clock.at = dt.datetime(2025, 1, 15 + day, 16, 30, tzinfo=dt.UTC)
        page = await search(directory, officer)
        assert [m["supporter"]["availableNow"] for m in page["matches"]][:6] == [True] * 6
        orders.add(tuple(names(page)))
    assert len(orders) > 1


async def test_cursor_paging_walks_every_result_once(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    for number in range(7):
        await create_profile(
            directory,
            issuer,
            department=FENWOOD,
            displayName=f"Supporter {number}",
            weeklySchedule=ALL_DAY_EVERY_DAY if number < 3 else [],
        )
    officer = issuer.token("officer", department=HARLOW)
    whole = names(await search(directory, officer))
    walked: list[str] = []
    after = None
    while True:
        page = await search(directory, officer, first=2, after=after)
        walked += names(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == whole
    assert len(set(walked)) == 7

    for bad in ("not-a-cursor", "WzEsMl0="):
        answer = await directory.graphql(
            "query($a: String) { searchPeerSupporters(after: $a) { pageInfo { endCursor } } }",
            {"a": bad},
            token=officer,
        )
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = await directory.graphql(
        "{ searchPeerSupporters(first: 1000) { matches { supporter { id } } } }", token=officer
    )
    assert too_many["errors"][0]["message"] == "`first` must be between 1 and 100."


async def test_links_to_call_and_text(directory: ServiceUnderTest, issuer: TokenIssuer) -> None:
    await create_profile(directory, issuer, department=FENWOOD, acceptsTexts=False)
    payload = await search(directory, issuer.token("officer", department=HARLOW))
    supporter = payload["matches"][0]["supporter"]
    assert supporter["telLink"] == "tel:+13125550142"
    assert supporter["smsLink"] is None
