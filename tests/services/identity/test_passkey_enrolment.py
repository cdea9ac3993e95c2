"""Spending a code: it must still work when the passkey is made, and two codes finishing
with the same credential at the same moment enrol it once, with a 400 for the other."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os

import asyncpg
import httpx
import pytest

from tests.services.identity.conftest import Stack
from tests.services.identity.test_passkeys import (
    KESTREL,
    admin_codes,
    authenticator,
    label_digest,
    passkey_sign_in,
)
from tests.support.proof_of_work import code_try_proof

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

ROUNDS = 8


async def test_a_code_that_expires_during_the_ceremony_enrols_nothing(stack: Stack) -> None:
    (code,) = await admin_codes(stack, "Badge 600")
    device = authenticator(stack)
    connection = await asyncpg.connect(stack.identity_database)
    try:
        async with stack.browser() as browser:
            options = await browser.post(
                "/auth/enroll/options",
                json={"code": code, "proofOfWork": await code_try_proof(browser)},
            )
            assert options.status_code == 200
            # the code's last day passes while the person is at their device's prompt
            await connection.execute(
                "UPDATE enrollment_codes SET expires_on = $1 WHERE label_digest = $2",
                stack.clock.today() - dt.timedelta(days=1),
                label_digest("Badge 600"),
            )
            late = await browser.post(
                "/auth/enroll", json={"credential": device.create(options.json())}
            )
            assert late.status_code == 400
            assert "expired" in late.json()["error"]
            assert "wnwa_access" not in late.cookies
        credential = device.credentials[0].credential_id
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM passkeys WHERE credential_id = $1", credential
            )
            == 0
        )
    finally:
        await connection.close()


async def test_two_codes_finishing_with_one_credential_at_once_enrol_it_once(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    labels = [f"Badge {610 + n}" for n in range(2 * ROUNDS)]
    codes = await admin_codes(stack, *labels)
    outcomes = []
    connection = await asyncpg.connect(stack.identity_database)
    try:
        for round_ in range(ROUNDS):
            pair = codes[2 * round_ : 2 * round_ + 2]
            credential_id = os.urandom(32)
            device = authenticator(stack)
            async with stack.browser() as first, stack.browser() as second:
                browsers = (first, second)
                answers = []
                for browser, code in zip(browsers, pair, strict=True):
                    options = await browser.post(
                        "/auth/enroll/options",
                        json={"code": code, "proofOfWork": await code_try_proof(browser)},
                    )
                    assert options.status_code == 200, options.text
                    answers.append(device.create(options.json(), credential_id=credential_id))
                finished = await asyncio.gather(
                    *(
                        browser.post("/auth/enroll", json={"credential": answer})
                        for browser, answer in zip(browsers, answers, strict=True)
                    )
                )
            stored = await connection.fetchval(
                "SELECT count(*) FROM passkeys WHERE credential_id = $1", credential_id
            )
            # the losing code is not spent: exactly one of the two is gone
            codes_left = await connection.fetchval(
                "SELECT count(*) FROM enrollment_codes WHERE label_digest = ANY($1)",
                [label_digest(label) for label in labels[2 * round_ : 2 * round_ + 2]],
            )
            signed_in = []
            for held in device.credentials:  # one key won; the other's signature is refused
                async with stack.browser() as browser:
                    answer = await passkey_sign_in(browser, device, credential=held)
                    signed_in.append(answer.status_code)
            outcomes.append(
                (
                    sorted((answer.status_code, _error(answer)) for answer in finished),
                    stored,
                    codes_left,
                    sorted(signed_in),
                )
            )
    finally:
        await connection.close()
    expected = ([(200, None), (400, "This passkey is already enrolled.")], 1, 1, [200, 401])
    assert outcomes == [expected] * ROUNDS
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _error(answer: httpx.Response) -> str | None:
    if answer.headers.get("content-type") != "application/json":
        return answer.text  # e.g. "Internal Server Error"
    error: str | None = answer.json().get("error")
    return error


async def test_a_department_suspended_during_the_ceremony_enrols_nothing(stack: Stack) -> None:
    (code,) = await admin_codes(stack, "Badge 601")
    device = authenticator(stack)
    membership = await asyncpg.connect(stack.membership_database)
    try:
        async with stack.browser() as browser:
            options = await browser.post(
                "/auth/enroll/options",
                json={"code": code, "proofOfWork": await code_try_proof(browser)},
            )
            assert options.status_code == 200
            await membership.execute(
                "UPDATE departments SET status = 'suspended' WHERE id = $1", KESTREL.id
            )
            late = await browser.post(
                "/auth/enroll", json={"credential": device.create(options.json())}
            )
            assert late.status_code == 400
            assert "not an active member" in late.json()["error"]
    finally:
        await membership.execute(
            "UPDATE departments SET status = 'active' WHERE id = $1", KESTREL.id
        )
        await membership.close()
    identity = await asyncpg.connect(stack.identity_database)
    try:
        assert (
            await identity.fetchval(
                "SELECT count(*) FROM passkeys WHERE credential_id = $1",
                device.credentials[0].credential_id,
            )
            == 0
        )
        # the code was not spent: it enrols once the department is active again
        assert (
            await identity.fetchval(
                "SELECT count(*) FROM enrollment_codes WHERE label_digest = $1",
                label_digest("Badge 601"),
            )
            == 1
        )
    finally:
        await identity.close()
