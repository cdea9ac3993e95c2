"""A search, a profile view, an entity lookup, who is on call next and a coordinator's
coverage leave no trace in the database or logs."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FENWOOD, HARLOW, create_profile, search
from tests.support.tokens import TokenIssuer


async def snapshot(db: asyncpg.Connection) -> dict[str, list[str]]:
    """Every row of every table of the service's database, as text."""
    tables = await db.fetch(
        "SELECT schemaname, tablename FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    )
    contents = {}
    for table in tables:
        name = f'"{table["schemaname"]}"."{table["tablename"]}"'
        rows = await db.fetch(f"SELECT t::text AS row FROM {name} t ORDER BY 1")
        contents[name] = [row["row"] for row in rows]
    return contents


async def test_searching_and_viewing_leave_no_trace(
    directory: ServiceUnderTest,
    issuer: TokenIssuer,
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    supporter = await create_profile(directory, issuer, department=FENWOOD, languages=["pl"])
    before = await snapshot(db)
    officer = issuer.token("officer", department=HARLOW, subject="officer-pseudonym-4711")
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    payload = await search(
        directory,
        officer,
        near={"zipCode": "60540", "withinMiles": 80},
        language="pl",
        areasOfSupport=["GRIEF_AND_LOSS"],
        availableNow=True,
        state="IL",
        county="Cook",
    )
    assert len(payload["matches"]) == 1
    await search(directory, officer, first=1, after=payload["pageInfo"]["endCursor"])
    await search(directory, officer, near={"zipCode": "00000"})  # a refused search too
    await directory.graphql(
        "query($id: ID!) { peerSupporter(id: $id) { phone smsLink } }",
        {"id": supporter["id"]},
        token=officer,
    )
    await directory.graphql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on PeerSupporter { id } } }",
        {"r": [{"__typename": "PeerSupporter", "id": supporter["id"]}]},
        token=officer,
    )
    # who is on call next, and a coordinator's coverage, read the schedules and write nothing
    nobody_now = await directory.graphql(
        'query { nextOnCallPeerSupporters(filter: {language: "pl"}) { matches'
        " { supporter { nextOnCall } } errors { field } } }",
        token=officer,
    )
    assert nobody_now["data"]["nextOnCallPeerSupporters"]["errors"] == []
    # the officer's time zone travels with the question and is kept nowhere
    soonest = await directory.graphql(
        'query { onCallNowOrSoonest(filter: {language: "pl"}, timeZone: "Pacific/Chatham")'
        " { matches { onCallFrom } errors { field } } }",
        token=officer,
    )
    assert soonest["data"]["onCallNowOrSoonest"]["errors"] == []
    coordinator = issuer.token("coordinator", department=HARLOW, subject="coordinator-4712")
    covered = await directory.graphql(
        'query { onCallCoverage(near: {zipCode: "60540", withinMiles: 80})'
        " { hours { network } errors { field } } }",
        token=coordinator,
    )
    assert covered["data"]["onCallCoverage"]["errors"] == []
    assert await snapshot(db) == before
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (
        "60540",
        "officer-pseudonym-4711",
        "coordinator-4712",
        officer,
        coordinator,
        supporter["id"],
        "5550142",
        "GRIEF",
        "Chatham",
    ):
        assert secret not in logged
