"""The demo is a first look: someone on call at every hour of the week, and the development
IdP's peer supporters find their profiles made, every field filled in."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import asyncpg

from servicekit.clock import FixedClock
from servicekit.demo import DEMO_DEPARTMENTS
from services.directory import demo
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import PROFILE_FIELDS, search
from tests.services.directory.test_coverage import COVERAGE
from tests.support.tokens import TokenIssuer

MINE = f"{{ myPeerSupporterProfile {{ {PROFILE_FIELDS} }} }}"


async def test_the_demo_has_someone_on_call_at_every_hour_of_the_week(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    assert await demo.seed(db)
    admin = issuer.token("network_admin")
    for zone in ("America/Chicago", "America/New_York", "America/Los_Angeles"):
        answer = await directory.graphql(COVERAGE, {"timeZone": zone}, token=admin)
        coverage: dict[str, Any] = answer["data"]["onCallCoverage"]
        assert coverage["networkGaps"] == [], zone
        # each of the week's hours (167 to 169 across a change of clocks) has someone
        assert len(coverage["hours"]) >= 167
        assert min(hour["network"] for hour in coverage["hours"]) >= 1, zone


async def test_at_three_in_the_morning_in_any_us_zone_every_officer_finds_someone_on_call(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection, clock: FixedClock
) -> None:
    assert await demo.seed(db)
    officers = [
        issuer.token("officer", department=department.id)
        for department in DEMO_DEPARTMENTS
        if department.status == "active"
    ]
    # every day of a winter week and of a summer week, and both nights the clocks change
    days = [dt.date(2025, 1, 13) + dt.timedelta(days=n) for n in range(7)]
    days += [dt.date(2025, 7, 14) + dt.timedelta(days=n) for n in range(7)]
    days += [dt.date(2025, 3, 9), dt.date(2025, 11, 2)]
    missed = []
    for zone in ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"):
        for day in days:
            local = dt.datetime.combine(day, dt.time(3, 0), tzinfo=zoneinfo.ZoneInfo(zone))
            clock.at = local.astimezone(dt.UTC)
            for officer in officers:
                # the first screen's search: everyone but the officer's own, on call first
                payload = await search(directory, officer, first=1)
                if not payload["matches"][0]["supporter"]["availableNow"]:
                    missed.append((zone, day))
    assert missed == []


async def test_the_demos_peer_supporters_find_their_full_profiles(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    assert await demo.seed(db)
    for supporter in demo.DEMO_SIGN_IN_SUPPORTERS:
        department = next(d for d in DEMO_DEPARTMENTS if d.name == supporter.department)
        subject = demo.demo_account_subject(supporter.tenant, supporter.login, str(department.id))
        assert subject is not None
        token = issuer.token("officer", "peer_supporter", department=department.id, subject=subject)
        answer = await directory.graphql(MINE, {}, token=token)
        profile = answer["data"]["myPeerSupporterProfile"]
        assert profile is not None, supporter.login
        assert profile["displayName"] == supporter.profile["display_name"]
        for field in ("bio", "certifications", "gender", "languages", "areasOfSupport"):
            assert profile[field], (supporter.login, field)
        assert len(profile["weeklySchedule"]) >= 5
        assert profile["yearsOfService"] >= 10
