"""The anonymous forms ask for a proof of work, priced by how busy the form is everywhere,
without noting anything about who sent them; a flood costs the flooder and closes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS, create_app
from tests.services.membership.conftest import LEAP_DAY, membership_environment
from tests.services.membership.test_contacts import DEMO, INQUIRE, inquiry
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.proof_of_work import CONTACT_CHALLENGE, contact_form_proof, solve, unsolved
from tests.support.tokens import TokenIssuer

# cheap enough to solve by the dozen here; the price doubles with every accepted submission
BUSY = {
    "WNWA_MEMBERSHIP_FORMS_CHEAPEST": "200",
    "WNWA_MEMBERSHIP_FORMS_DEAREST": "3200",
    "WNWA_MEMBERSHIP_FORMS_BUSY_AT": "4",
}


class Replicas:
    """Two processes of membership on one database, sharing nothing but it."""

    def __init__(self, database_url: str, first: GraphQLClient, second: GraphQLClient) -> None:
        self.database_url = database_url
        self.first = first
        self.second = second

    async def count(self, table: str) -> int:
        connection = await asyncpg.connect(self.database_url)
        try:
            counted: int = await connection.fetchval(f"SELECT count(*) FROM {table}")
            return counted
        finally:
            await connection.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(LEAP_DAY)


@pytest.fixture
async def replicas(
    databases: TemplateDatabases, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[Replicas]:
    database_url = await databases.fresh("membership", MIGRATIONS)
    settings = membership_settings.load({**membership_environment(database_url, issuer), **BUSY})
    async with (
        running(create_app(settings, clock=clock)) as first,
        running(create_app(settings, clock=clock)) as second,
    ):
        yield Replicas(database_url, GraphQLClient(first), GraphQLClient(second))


async def price(client: GraphQLClient, form: str = "JOIN_INQUIRY") -> int:
    query = "query($form: ContactKind!) { contactFormChallenge(form: $form) { maxNumber } }"
    answer = await client(query, {"form": form})
    found: int = answer["data"]["contactFormChallenge"]["maxNumber"]
    return found


def refused(answer: dict[str, Any]) -> str:
    """The code of a refused submission, which saved nothing and said so."""
    assert answer["data"] is None, answer
    [error] = answer["errors"]
    assert "Nothing was saved" in error["message"], error
    code: str = error["extensions"]["code"]
    return code


async def test_an_inquiry_without_a_fresh_solution_is_refused_and_saves_nothing(
    replicas: Replicas, clock: FixedClock
) -> None:
    first = replicas.first
    challenge = (await first(CONTACT_CHALLENGE, {"form": "JOIN_INQUIRY"}))["data"][
        "contactFormChallenge"
    ]["challenge"]
    demo_proof = await contact_form_proof(first, "DEMO_REQUEST")
    for proof, code in [
        (None, "PROOF_OF_WORK_MISSING"),
        ("bm90IGEgc29sdXRpb24=", "PROOF_OF_WORK_INVALID"),
        (unsolved(challenge), "PROOF_OF_WORK_INVALID"),
        (demo_proof, "PROOF_OF_WORK_INVALID"),  # solved, but for the other form
    ]:
        answer = await first(INQUIRE, {"input": inquiry(), "proof": proof})
        assert refused(answer) == code

    solved = solve(challenge)
    accepted = await first(INQUIRE, {"input": inquiry(), "proof": solved})
    assert accepted["data"]["submitJoinInquiry"]["reference"], accepted
    # the same solution again, at this process or the other one
    for client in (first, replicas.second):
        again = await client(INQUIRE, {"input": inquiry(agency="Again PD"), "proof": solved})
        assert refused(again) == "PROOF_OF_WORK_SPENT"

    late = await contact_form_proof(first)
    clock.at = LEAP_DAY + dt.timedelta(minutes=10)
    expired = await replicas.second(INQUIRE, {"input": inquiry(), "proof": late})
    assert refused(expired) == "PROOF_OF_WORK_EXPIRED"
    assert await replicas.count("join_inquiries") == 1


async def test_a_form_with_mistakes_spends_nothing(replicas: Replicas) -> None:
    proof = await contact_form_proof(replicas.first)
    for _ in range(5):
        answer = await replicas.first(
            INQUIRE, {"input": inquiry(email="not an address"), "proof": proof}
        )
        assert answer["data"]["submitJoinInquiry"]["errors"]
    assert await price(replicas.second) == 200  # nothing counted
    # and the corrected form goes through with the very same solution
    accepted = await replicas.first(INQUIRE, {"input": inquiry(), "proof": proof})
    assert accepted["data"]["submitJoinInquiry"]["reference"]


async def test_both_processes_price_by_one_busyness_and_a_flood_closes_nothing(
    replicas: Replicas, clock: FixedClock
) -> None:
    prices = []
    for number in range(6):
        client = replicas.first if number % 2 else replicas.second
        proof = await contact_form_proof(client)
        answer = await client(
            INQUIRE, {"input": inquiry(agency=f"Agency {number}"), "proof": proof}
        )
        assert answer["data"]["submitJoinInquiry"]["reference"], answer
        clock.at += dt.timedelta(seconds=2)  # past each process's last reading
        prices.append((await price(replicas.first), await price(replicas.second)))
    # each submission, at either process, raises the price both ask, up to the dearest
    assert prices == [(400, 400), (800, 800), (1600, 1600), *[(3200, 3200)] * 3]
    # the other form has its own busyness
    assert await price(replicas.first, "DEMO_REQUEST") == 200
    assert await replicas.count("join_inquiries") == 6


async def test_with_a_flood_going_on_a_solved_inquiry_still_goes_through(
    replicas: Replicas, clock: FixedClock
) -> None:
    """An attacker solving as fast as it can, from both processes' challenges, never stops
    a person who solves one too."""
    stop, dearest = asyncio.Event(), asyncio.Event()
    flooded = 0

    async def flood(client: GraphQLClient) -> None:
        nonlocal flooded
        while not stop.is_set():
            proof = await contact_form_proof(client)
            answer = await client(INQUIRE, {"input": inquiry(agency="Flood PD"), "proof": proof})
            if answer["data"] and answer["data"]["submitJoinInquiry"]["reference"]:
                flooded += 1
            if flooded >= 8:  # twice busy_at: the form is at its dearest
                dearest.set()
            clock.at += dt.timedelta(seconds=1)

    floods = [asyncio.create_task(flood(c)) for c in (replicas.first, replicas.second) * 2]
    try:
        await dearest.wait()
        person = await contact_form_proof(replicas.second)
        answer = await replicas.first(
            INQUIRE, {"input": inquiry(agency="Person PD"), "proof": person}
        )
    finally:
        stop.set()
        await asyncio.gather(*floods)
    assert answer["data"]["submitJoinInquiry"]["reference"], answer
    connection = await asyncpg.connect(replicas.database_url)
    try:
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM join_inquiries WHERE agency = 'Person PD'"
            )
            == 1
        )
    finally:
        await connection.close()


async def test_a_demo_request_pays_too(replicas: Replicas) -> None:
    contact = {key: value for key, value in inquiry().items() if key != "message"}
    demo = {**contact, "format": "VIRTUAL", "preferredTimes": "mornings"}
    assert refused(await replicas.first(DEMO, {"input": demo})) == "PROOF_OF_WORK_MISSING"
    proof = await contact_form_proof(replicas.first, "DEMO_REQUEST")
    answer = await replicas.second(DEMO, {"input": demo, "proof": proof})
    assert answer["data"]["requestDemo"]["reference"], answer
