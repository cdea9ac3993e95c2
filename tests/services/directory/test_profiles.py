"""Peer supporters create and edit their own profile; bad input is explained, not saved."""

from __future__ import annotations

import uuid

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import (
    CREATE_PROFILE,
    HARLOW,
    UPDATE_PROFILE,
    create_profile,
    profile_input,
)
from tests.support.tokens import TokenIssuer


async def test_supporter_creates_a_profile_in_their_department(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    supporter = await create_profile(directory, issuer)
    assert supporter["displayName"] == "Sgt. Dana Okafor"
    assert supporter["department"] == {"id": str(HARLOW)}
    assert supporter["phone"] == "+13125550142"
    assert supporter["telLink"] == "tel:+13125550142"
    assert supporter["smsLink"] == "sms:+13125550142"
    assert (supporter["state"], supporter["county"]) == ("IL", "Cook")
    assert supporter["timeZone"] == "America/Chicago"  # taken from the ZIP code
    assert supporter["weeklySchedule"][0] == {"day": "MONDAY", "start": "09:00", "end": "17:00"}
    assert supporter["availableNow"] is True  # Wednesday 10:30 in Chicago
    assert supporter["active"] is True


async def test_demo_seed_fills_an_empty_directory_once(
    directory: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    from services.directory.demo import seed

    assert await seed(db) is True
    assert await seed(db) is False
    per_department = await db.fetch(
        "SELECT department_id, count(*) FROM peer_supporters GROUP BY department_id"
    )
    assert len(per_department) >= 20
    assert await db.fetchval("SELECT phone FROM wellbeing_resources ORDER BY position LIMIT 1")


async def test_bad_profile_names_every_field_and_writes_nothing(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    token = issuer.token("peer_supporter", department=HARLOW)
    answer = await directory.graphql(
        CREATE_PROFILE,
        {
            "input": profile_input(
                displayName=" ",
                phone="555-12",
                languages=["en", "elvish"],
                areasOfSupport=[],
                zipCode="99999",
                timeZone="Mars/Olympus",
                yearsOfService=99,
                bio="x" * 1001,
                certifications=["ok", "y" * 121],
                weeklySchedule=[
                    {"day": "MONDAY", "start": "25:00", "end": "26:00"},
                    {"day": "TUESDAY", "start": "17:00", "end": "17:00"},
                    {"day": "FRIDAY", "start": "08:00", "end": "12:00"},
                    {"day": "FRIDAY", "start": "11:00", "end": "13:00"},
                ],
            )
        },
        token=token,
    )
    payload = answer["data"]["createMyPeerSupporterProfile"]
    assert payload["supporter"] is None
    fields = {error["field"]: error["message"] for error in payload["errors"]}
    assert set(fields) == {
        "input.displayName",
        "input.phone",
        "input.languages.1",
        "input.areasOfSupport",
        "input.zipCode",
        "input.timeZone",
        "input.yearsOfService",
        "input.bio",
        "input.certifications.1",
        "input.weeklySchedule.0.start",
        "input.weeklySchedule.0.end",
        "input.weeklySchedule.1.end",
        "input.weeklySchedule.3",
    }
    assert "1000 characters" in fields["input.bio"]
    assert "overlaps" in fields["input.weeklySchedule.3"]
    assert await db.fetchval("SELECT count(*) FROM peer_supporters") == 0


async def test_unknown_vocabulary_is_refused_before_anything_runs(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    token = issuer.token("peer_supporter", department=HARLOW)
    answer = await directory.graphql(
        CREATE_PROFILE,
        {"input": profile_input(areasOfSupport=["ASTROLOGY"], gender="UNDISCLOSED")},
        token=token,
    )
    assert "data" not in answer  # a request error: nothing ran
    messages = " ".join(error["message"] for error in answer["errors"])
    assert "Traceback" not in messages
    assert await db.fetchval("SELECT count(*) FROM peer_supporters") == 0


async def test_unknown_vocabulary_term_is_named_in_the_error(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    token = issuer.token("peer_supporter", department=HARLOW)
    answer = await directory.graphql(
        CREATE_PROFILE, {"input": profile_input(areasOfSupport=["ASTROLOGY"])}, token=token
    )
    assert "ASTROLOGY" in answer["errors"][0]["message"]


async def test_update_changes_only_given_fields_and_clears_on_null(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    subject = uuid.uuid4().hex
    await create_profile(directory, issuer, subject=subject, gender="WOMAN")
    token = issuer.token("peer_supporter", department=HARLOW, subject=subject)
    answer = await directory.graphql(
        UPDATE_PROFILE,
        {
            "input": {
                "zipCode": "90012",
                "gender": None,
                "weeklySchedule": [
                    {"day": "SUNDAY", "start": "22:00", "end": "24:00"},
                    {"day": "MONDAY", "start": "00:00", "end": "06:00"},
                ],
            }
        },
        token=token,
    )
    payload = answer["data"]["updateMyPeerSupporterProfile"]
    assert payload["errors"] == []
    supporter = payload["supporter"]
    assert supporter["displayName"] == "Sgt. Dana Okafor"
    assert supporter["gender"] is None
    assert (supporter["state"], supporter["county"]) == ("CA", "Los Angeles")
    assert supporter["timeZone"] == "America/Los_Angeles"  # follows the new ZIP code
    assert supporter["weeklySchedule"] == [
        {"day": "MONDAY", "start": "00:00", "end": "06:00"},
        {"day": "SUNDAY", "start": "22:00", "end": "24:00"},
    ]
    bad = await directory.graphql(UPDATE_PROFILE, {"input": {"phone": "12"}}, token=token)
    assert bad["data"]["updateMyPeerSupporterProfile"]["errors"][0]["field"] == "input.phone"
    assert await db.fetchval("SELECT phone FROM peer_supporters") == "+13125550142"
    nobody = issuer.token("peer_supporter", department=HARLOW)
    none = await directory.graphql(UPDATE_PROFILE, {"input": {"bio": "x"}}, token=nobody)
    assert none["data"]["updateMyPeerSupporterProfile"]["errors"][0]["field"] == "input"
