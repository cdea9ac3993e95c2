"""The public application form asks for a proof of work, priced by how busy the form is
across every process, without noting who applied; a flood never closes it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import asyncpg

from tests.conftest import ServiceFactory
from tests.services.professionals.conftest import (
    EMPTY,
    TODAY,
    application_input,
    apply,
    clock_on,
    submit,
    table_counts,
)
from tests.support.proof_of_work import APPLICATION_CHALLENGE, application_proof, solve, unsolved

BUSY = {"APPLICATIONS_CHEAPEST": "200", "APPLICATIONS_DEAREST": "800", "APPLICATIONS_BUSY_AT": "2"}
PRICE = "query { applicationChallenge { maxNumber } }"


def refused(answer: dict[str, Any]) -> str:
    assert answer["data"] is None, answer
    [error] = answer["errors"]
    assert "Nothing was saved" in error["message"], error
    code: str = error["extensions"]["code"]
    return code


async def counts(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(database_url)
    try:
        return await table_counts(connection)
    finally:
        await connection.close()


async def test_an_application_without_a_fresh_solution_is_refused_and_keeps_nothing(
    start_service: ServiceFactory,
) -> None:
    clock = clock_on(TODAY)
    async with start_service("professionals", clock=clock) as professionals:
        challenge = (await professionals.graphql(APPLICATION_CHALLENGE))["data"][
            "applicationChallenge"
        ]["challenge"]
        for proof, code in [
            (None, "PROOF_OF_WORK_MISSING"),
            ("e30=", "PROOF_OF_WORK_INVALID"),
            (unsolved(challenge), "PROOF_OF_WORK_INVALID"),
        ]:
            answer = await submit(professionals, application_input(), proof=proof, solved=False)
            assert refused(answer) == code
        assert await counts(professionals.database_url) == EMPTY

        solved = solve(challenge)
        first = application_input()
        accepted = await submit(professionals, first, proof=solved)
        assert accepted["data"]["submitProfessionalApplication"]["reference"]
        spent = await submit(professionals, application_input(), proof=solved)
        assert refused(spent) == "PROOF_OF_WORK_SPENT"
        # sending the same application again (its answer was lost) pays again, and is
        # answered with the same reference
        again = await submit(professionals, first)
        assert (
            again["data"]["submitProfessionalApplication"]
            == accepted["data"]["submitProfessionalApplication"]
        )

        late = await application_proof(professionals.graphql)
        clock.at += dt.timedelta(minutes=10)
        expired = await submit(professionals, application_input(), proof=late)
        assert refused(expired) == "PROOF_OF_WORK_EXPIRED"
    assert (await counts(professionals.database_url))["professionals"] == 1


async def test_an_application_with_mistakes_spends_nothing(
    start_service: ServiceFactory,
) -> None:
    async with start_service("professionals", clock=clock_on(TODAY), **BUSY) as professionals:
        proof = await application_proof(professionals.graphql)
        for _ in range(3):
            wrong = await submit(professionals, application_input(email="nobody"), proof=proof)
            assert wrong["data"]["submitProfessionalApplication"]["errors"]
        assert (await professionals.graphql(PRICE))["data"]["applicationChallenge"] == {
            "maxNumber": 200
        }
        right = await submit(professionals, application_input(), proof=proof)
        assert right["data"]["submitProfessionalApplication"]["reference"]


async def test_a_flood_of_applications_raises_the_price_and_closes_nothing(
    start_service: ServiceFactory,
) -> None:
    clock = clock_on(TODAY)
    async with start_service("professionals", clock=clock, **BUSY) as professionals:
        stop, dearest = asyncio.Event(), asyncio.Event()
        flooded = 0

        async def flood() -> None:
            nonlocal flooded
            while not stop.is_set():
                await apply(professionals)
                flooded += 1
                if flooded >= 4:  # twice busy_at: the form is at its dearest
                    dearest.set()
                clock.at += dt.timedelta(seconds=1)

        floods = [asyncio.create_task(flood()) for _ in range(3)]
        try:
            await dearest.wait()
            clock.at += dt.timedelta(seconds=2)
            assert (await professionals.graphql(PRICE))["data"]["applicationChallenge"] == {
                "maxNumber": 800
            }
            reference = await apply(professionals, fullName="Person Applying")
        finally:
            stop.set()
            await asyncio.gather(*floods)
        assert reference
