"""A form's proof of work: priced by how busy the form is everywhere, each solution once."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
from collections.abc import AsyncIterator

import asyncpg
import pytest

from servicekit.clock import FixedClock
from servicekit.ephemeral import EphemeralMarks
from servicekit.proof_of_work import FormProof, Pricing, ProofRefused
from tests.support.database import drop, recreate
from tests.support.proof_of_work import solve, unsolved

NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
KEY = b"k" * 32
CHEAP = Pricing(cheapest=50, dearest=5_000, busy_at=4)
_databases = itertools.count()


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    name = f"test_proof_{os.getpid()}_{next(_databases)}"
    yield await recreate(postgres_url, name)
    await drop(postgres_url, name)


def refusal(error: pytest.ExceptionInfo[ProofRefused]) -> str:
    assert "Nothing was saved" in str(error.value)
    code: str = error.value.extensions["code"]
    return code


async def test_a_solution_is_needed_and_must_solve_this_forms_challenge(
    database_url: str,
) -> None:
    clock = FixedClock(NOON)
    async with EphemeralMarks(database_url, clock) as marks:
        inquiries = FormProof("join-inquiry", key=KEY, marks=marks, clock=clock, pricing=CHEAP)
        demos = FormProof("demo-request", key=KEY, marks=marks, clock=clock, pricing=CHEAP)
        forger = FormProof("join-inquiry", key=b"f" * 32, marks=marks, clock=clock, pricing=CHEAP)
        challenge = (await inquiries.challenge()).challenge
        for payload, code in [
            (None, "PROOF_OF_WORK_MISSING"),
            ("", "PROOF_OF_WORK_MISSING"),
            ("not base64 at all ✗", "PROOF_OF_WORK_INVALID"),
            (base64.b64encode(b"[1, 2]").decode(), "PROOF_OF_WORK_INVALID"),
            ("A" * 5_000, "PROOF_OF_WORK_INVALID"),
            # a guess instead of the solution
            (unsolved(challenge), "PROOF_OF_WORK_INVALID"),
            # another form's challenge, solved
            (solve((await demos.challenge()).challenge), "PROOF_OF_WORK_INVALID"),
            # a challenge signed with another key (made up by the sender), solved
            (solve((await forger.challenge()).challenge), "PROOF_OF_WORK_INVALID"),
        ]:
            with pytest.raises(ProofRefused) as refused:
                await inquiries.admit(payload)
            assert refusal(refused) == code, payload
        # a price the sender lowered is no longer the challenge we signed
        lowered = json.loads(challenge)
        lowered["parameters"]["data"]["price"] = 1
        with pytest.raises(ProofRefused) as refused:
            await inquiries.admit(solve(json.dumps(lowered)))
        assert refusal(refused) == "PROOF_OF_WORK_INVALID"
        # and the right solution goes through
        await inquiries.admit(solve(challenge))


async def test_a_solution_expires_and_is_accepted_once_by_every_process(
    database_url: str,
) -> None:
    clock = FixedClock(NOON)
    async with (
        EphemeralMarks(database_url, clock) as first_marks,
        EphemeralMarks(database_url, clock) as second_marks,
    ):
        first = FormProof("join-inquiry", key=KEY, marks=first_marks, clock=clock, pricing=CHEAP)
        second = FormProof("join-inquiry", key=KEY, marks=second_marks, clock=clock, pricing=CHEAP)
        solved = solve((await first.challenge()).challenge)
        await second.admit(solved)
        for form in (first, second):  # the other process, then the same one
            with pytest.raises(ProofRefused) as refused:
                await form.admit(solved)
            assert refusal(refused) == "PROOF_OF_WORK_SPENT"

        late = solve((await first.challenge()).challenge)
        clock.at = NOON + CHEAP.lifetime
        with pytest.raises(ProofRefused) as refused:
            await second.admit(late)
        assert refusal(refused) == "PROOF_OF_WORK_EXPIRED"


async def test_the_price_follows_the_busyness_every_process_sees_and_never_closes(
    database_url: str,
) -> None:
    clock = FixedClock(NOON)
    pricing = Pricing(cheapest=50, dearest=5_000, busy_at=4, window=dt.timedelta(minutes=10))
    async with (
        EphemeralMarks(database_url, clock) as first_marks,
        EphemeralMarks(database_url, clock) as second_marks,
    ):
        first, second = (
            FormProof("join-inquiry", key=KEY, marks=marks, clock=clock, pricing=pricing)
            for marks in (first_marks, second_marks)
        )
        assert (await first.challenge()).max_number == 50
        prices = []
        for _ in range(6):  # beyond busy_at: dearest, and still accepted
            await first.admit(solve((await first.challenge()).challenge))
            clock.at += dt.timedelta(seconds=2)  # past the other process's last reading
            prices.append((await second.challenge()).max_number)
        assert prices == [159, 500, 1582, 5000, 5000, 5000]
        # the other process's submissions raise the first one's price alike
        demos = FormProof("demo-request", key=KEY, marks=second_marks, clock=clock, pricing=pricing)
        assert (await demos.challenge()).max_number == 50  # each form its own busyness
        # a calm moment's solution no longer buys a submission at the dearest price
        clock.at = NOON + dt.timedelta(minutes=11)  # the window has passed: calm again
        calm = solve((await first.challenge()).challenge)
        for _ in range(3):
            await second.admit(solve((await second.challenge()).challenge))
        clock.at += dt.timedelta(seconds=2)
        with pytest.raises(ProofRefused) as refused:
            await first.admit(calm)
        assert refusal(refused) == "PROOF_OF_WORK_EXPIRED"
        assert "harder one" in str(refused.value)


def test_the_price_rises_geometrically_from_cheapest_to_dearest() -> None:
    pricing = Pricing(cheapest=20_000, dearest=5_000_000, busy_at=60)
    assert pricing.price(0) == 20_000
    assert pricing.price(30) == 316_228
    assert pricing.price(60) == pricing.price(10_000) == 5_000_000
    with pytest.raises(ValueError, match="cheapest"):
        Pricing(cheapest=10, dearest=5)


async def test_a_proof_of_work_writes_nothing(database_url: str) -> None:
    """Challenges, spent solutions and busyness live in the server's lock memory only."""
    clock = FixedClock(NOON)
    admin = await asyncpg.connect(database_url)
    try:
        async with EphemeralMarks(database_url, clock) as marks:
            form = FormProof("join-inquiry", key=KEY, marks=marks, clock=clock, pricing=CHEAP)
            for _ in range(3):
                await form.admit(solve((await form.challenge()).challenge))
            held = await admin.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
            )
            assert held == 6  # three spent solutions, three busy marks
            tables = await admin.fetchval(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public'"
            )
            assert tables == 0
        clock.at = NOON + dt.timedelta(hours=1)
        gone = await admin.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert gone == 0
    finally:
        await admin.close()


async def test_a_flood_holds_a_bounded_share_of_the_marks_and_replays_stay_refused(
    database_url: str,
) -> None:
    """Each process keeps a form's spent solutions as marks within a budget, and longer in
    its own memory: a solution whose mark a flood pushed out is refused by the process that
    took it, and taken at most once more by each other process."""
    clock = FixedClock(NOON)
    pricing = Pricing(cheapest=1, dearest=1, busy_at=4, spent_marks=5)
    admin = await asyncpg.connect(database_url)
    try:
        async with (
            EphemeralMarks(database_url, clock) as first_marks,
            EphemeralMarks(database_url, clock) as second_marks,
        ):
            first, second = (
                FormProof("join-inquiry", key=KEY, marks=marks, clock=clock, pricing=pricing)
                for marks in (first_marks, second_marks)
            )
            solutions = [solve((await first.challenge()).challenge) for _ in range(20)]
            for solution in solutions:
                await first.admit(solution)
            held = await admin.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
            )
            assert held == 5 + 4  # the budget of spent solutions, and the busy marks
            for solution in solutions:  # every one of them, here
                with pytest.raises(ProofRefused) as refused:
                    await first.admit(solution)
                assert refusal(refused) == "PROOF_OF_WORK_SPENT"
            # elsewhere, the latest are still marked; the earliest go through once more
            with pytest.raises(ProofRefused) as refused:
                await second.admit(solutions[-1])
            assert refusal(refused) == "PROOF_OF_WORK_SPENT"
            await second.admit(solutions[0])
            with pytest.raises(ProofRefused) as refused:
                await second.admit(solutions[0])
            assert refusal(refused) == "PROOF_OF_WORK_SPENT"
    finally:
        await admin.close()
