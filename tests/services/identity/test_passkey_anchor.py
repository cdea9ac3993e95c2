"""A passkey stands in for the department's IdP for one period from the IdP's last word on
that person, never longer: nothing done with a passkey starts the clock again.

Each test plays someone who left their organization (its IdP never sees them again) and
tries to stay in with what they still hold, while identity's clock moves on: sign in with
the passkey every day, renew the session, add passkeys, issue themselves codes. On the
first day after the period, none of it may open anything. identity is told the time by a
FixedClock; tokens are checked on the system's clock, as other processes check them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from servicekit.clock import FixedClock
from services.identity.passkeys import store as passkey_store
from tests.services.identity.conftest import Stack, running_stack, sign_in
from tests.services.identity.test_issuers import (
    ELDERBROOK,
    MARROW_BLUFF,
    PROPOSE,
    SAVE_SHARED,
    SET_DEPARTMENT,
    fresh_issuer,
    shared_input,
)
from tests.services.identity.test_passkey_periods import add_passkey, passkeys_of
from tests.services.identity.test_passkeys import (
    HARLOW,
    KESTREL,
    authenticator,
    enroll,
    issue_codes,
    passkey_sign_in,
)
from tests.services.identity.test_providers import SAVE, graphql, provider_input, token_of
from tests.support.authenticator import SoftAuthenticator
from tests.support.database import TemplateDatabases

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

START = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
CLOCK = FixedClock(START)
PERIOD = 30  # the demo providers' passkey period, the network's included

PRIYA = "priya.castellanos@harlow-park.pd.example"  # Harlow Park's coordinator
ALEX = "alex.tarrant@staff.wnwa.example"  # a network admin
DELETE_PROVIDER = "mutation D($id: ID!) { deleteIdentityProvider(organisationId: $id) { deleted } }"
ISSUE = """
mutation Issue($input: EnrollmentCodesInput!) {
  issueEnrollmentCodes(input: $input) { codes { code expiresOn } errors { field message } }
}
"""


@pytest.fixture(scope="module")
async def stack(databases: TemplateDatabases, tmp_path_factory: Any) -> AsyncIterator[Stack]:
    async with running_stack(databases, tmp_path_factory.mktemp("anchor"), CLOCK) as running:
        yield running


@pytest.fixture(autouse=True)
def back_to_the_start() -> Iterator[None]:
    CLOCK.at = START
    yield
    CLOCK.at = START


def at(days: int, hour: int = 12, minute: int = 0) -> dt.date:
    """Move identity's time to ``hour:minute`` (UTC) ``days`` after the start's date."""
    day = START.date() + dt.timedelta(days=days)
    CLOCK.at = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
    return day


async def sso_passkey(stack: Stack, email: str) -> tuple[SoftAuthenticator, dt.date]:
    """A passkey added after a department sign-in today; its last day."""
    device = authenticator(stack)
    async with stack.browser() as browser:
        await sign_in(stack, browser, email)
        added = await add_passkey(browser, device)
        assert added.status_code == 200, added.text
    return device, dt.date.fromisoformat(added.json()["validUntil"])


def max_age(response: httpx.Response, name: str) -> int:
    """The Max-Age ``response`` sets on cookie ``name``."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            for part in header.split(";"):
                key, _, value = part.strip().partition("=")
                if key.lower() == "max-age":
                    return int(value)
    raise AssertionError(f"{name} is not set")


@pytest.mark.parametrize(
    ("email", "department", "roles"),
    [
        # a coordinator of a department with an IdP, for their own department
        (PRIYA, HARLOW.id, ["COORDINATOR", "OFFICER"]),
        # a network admin, for a department without an IdP (whose passkeys have no end)
        (ALEX, KESTREL.id, ["COORDINATOR", "OFFICER"]),
    ],
)
async def test_a_passkey_session_issues_no_code_that_would_outlive_its_passkey(
    stack: Stack, email: str, department: Any, roles: list[str]
) -> None:
    """The hole: on the passkey's last days its holder issued themselves a code and enrolled
    a new passkey from it, with a fresh period (or none at all) from that day, and again
    before that one ended: a passkey made permanent without the IdP ever seeing them."""
    held, last_day = await sso_passkey(stack, email)
    assert last_day == START.date() + dt.timedelta(days=PERIOD)
    at(PERIOD - 1)  # they left the organization; its IdP will never see them again
    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, held)).status_code == 200
        answer = await graphql(
            stack,
            ISSUE,
            {"input": {"departmentId": str(department), "roles": roles, "labels": ["Myself"]}},
            browser.cookies["wnwa_access"],
        )
    payload = answer["data"]["issueEnrollmentCodes"]
    for issued in payload["codes"]:  # what the hole gave: a passkey past the period
        minted = authenticator(stack)
        async with stack.browser() as browser:
            assert (await enroll(browser, minted, issued["code"])).status_code == 200
        held = minted
    assert payload["codes"] == []
    (refusal,) = payload["errors"]
    assert refusal["field"] == "input"
    assert "sign-in" in refusal["message"]
    assert "passkey" in refusal["message"]
    at(PERIOD + 1)
    async with stack.browser() as browser:
        lapsed = await passkey_sign_in(browser, held)
        assert lapsed.status_code == 401, lapsed.text
        assert "period has ended" in lapsed.json()["error"]


async def test_codes_from_a_department_sign_in_still_work_and_a_coordinators_no_end_passkey_too(
    stack: Stack,
) -> None:
    """What the refusal leaves alone: codes issued after a department sign-in, and codes a
    coordinator of a department without an IdP issues with their passkey (it has no end)."""
    coordinator = await token_of(stack, PRIYA)
    (code,) = await issue_codes(stack, coordinator, str(HARLOW.id), ["OFFICER"], ["Badge 1"])
    async with stack.browser() as browser:
        assert (await enroll(browser, authenticator(stack), code)).status_code == 200
    admin = await token_of(stack, ALEX)
    (first,) = await issue_codes(stack, admin, str(KESTREL.id), ["COORDINATOR", "OFFICER"], ["K"])
    async with stack.browser() as browser:
        assert (await enroll(browser, authenticator(stack), first)).status_code == 200
        (more,) = await issue_codes(
            stack, browser.cookies["wnwa_access"], str(KESTREL.id), ["OFFICER"], ["Badge 2"]
        )
    officer = authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, officer, more)).status_code == 200
    assert (await passkeys_of(stack))[officer.credentials[0].credential_id] is None


async def test_a_passkey_that_stands_in_for_the_idp_proposes_no_other_idp(stack: Stack) -> None:
    """A coordinator who left could otherwise propose an IdP of their own for the
    department: the staff approving it see the department's coordinator asking."""
    admin = await token_of(stack, ALEX)
    own = await graphql(
        stack, SAVE, {"input": provider_input(stack, organisationId=str(MARROW_BLUFF))}, admin
    )
    assert own["data"]["saveIdentityProvider"]["errors"] == [], own
    try:
        (code,) = await issue_codes(
            stack, admin, str(MARROW_BLUFF), ["COORDINATOR", "OFFICER"], ["Lt. 3"]
        )
        async with stack.browser() as browser:
            assert (await enroll(browser, authenticator(stack), code)).status_code == 200
            mine = (await browser.get("/auth/passkeys/mine")).json()
            assert mine["current"]["validUntil"] is not None  # it stands in for the IdP
            proposed = await graphql(
                stack,
                PROPOSE,
                {"input": provider_input(stack, organisationId=str(MARROW_BLUFF))},
                browser.cookies["wnwa_access"],
            )
        payload = proposed["data"]["proposeIdentityProvider"]
        assert payload["proposal"] is None
        assert [error["field"] for error in payload["errors"]] == ["input"]
        assert "sign-in" in payload["errors"][0]["message"]
    finally:
        await graphql(stack, DELETE_PROVIDER, {"id": str(MARROW_BLUFF)}, admin)


async def test_a_passkey_added_after_a_department_sign_in_counts_from_that_sign_in(
    stack: Stack,
) -> None:
    """The 12-hour session of a sign-in at 23:00 is still open the next morning: a passkey
    added then counts its period from the day the IdP spoke, not from the day it was added."""
    signed_in_on = at(0, 23, 0)
    device = authenticator(stack)
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        at(1, 9, 0)
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert mine["periodDays"] == PERIOD - 1
        added = await add_passkey(browser, device)
        assert added.status_code == 200, added.text
    last_day = signed_in_on + dt.timedelta(days=PERIOD)
    assert added.json()["validUntil"] == last_day.isoformat()
    assert (await passkeys_of(stack))[device.credentials[0].credential_id] == last_day


async def test_a_passkey_session_ends_with_its_passkey_and_no_session_slides(
    stack: Stack,
) -> None:
    device, last_day = await sso_passkey(stack, "marcus.oyelaran@harlow-park.pd.example")
    # signing in with it every day and renewing each session renews nothing
    for day in range(1, PERIOD, 7):
        at(day)
        async with stack.browser() as browser:
            assert (await passkey_sign_in(browser, device)).status_code == 200
            assert (await browser.post("/auth/refresh", json={})).status_code == 200
    assert (await passkeys_of(stack))[device.credentials[0].credential_id] == last_day
    # a session opened on the last evening ends at the end of that day, not 12 hours on
    at(PERIOD, 20, 0)
    async with stack.browser() as browser:
        signed_in = await passkey_sign_in(browser, device)
        assert signed_in.status_code == 200
        assert max_age(signed_in, "wnwa_session") == 4 * 3600
        at(PERIOD, 23, 0)
        renewed = await browser.post("/auth/refresh", json={})
        assert renewed.status_code == 200
        assert max_age(renewed, "wnwa_session") == 3600
    # a department sign-in's session renews until its own end, never later
    at(0, 12, 0)
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        at(0, 23, 59)
        assert (await browser.post("/auth/refresh", json={})).status_code == 200
        at(1, 0, 1)
        ended = await browser.post("/auth/refresh", json={})
        assert ended.status_code == 401
        assert ended.json() == {"error": "session_expired"}


async def test_passkeys_without_an_end_get_one_when_a_shared_issuer_takes_their_department(
    stack: Stack,
) -> None:
    """The hole: a department without an IdP (passkeys without an end) put behind a shared
    issuer kept those passkeys open for ever: the housekeeping that bounds them looked for
    the department's own provider only."""
    admin = await token_of(stack, ALEX)
    (code,) = await issue_codes(stack, admin, str(ELDERBROOK), ["OFFICER"], ["Badge 9"])
    device = authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, device, code)).status_code == 200
    credential = device.credentials[0].credential_id
    assert (await passkeys_of(stack))[credential] is None
    saved = await graphql(
        stack, SAVE_SHARED, {"input": shared_input(stack, fresh_issuer(stack))}, admin
    )
    shared_id = saved["data"]["saveSharedIssuer"]["sharedIssuer"]["id"]
    try:
        rule = {
            "sharedIssuerId": shared_id,
            "departmentId": str(ELDERBROOK),
            "displayName": "Elderbrook Police Department",
            "claim": "extension_department",
            "value": "elderbrook",
        }
        added = await graphql(stack, SET_DEPARTMENT, {"input": rule}, admin)
        assert added["data"]["setSharedIssuerDepartment"]["errors"] == []
        # the department has an IdP from this moment: its passkeys last the period from today
        last_day = START.date() + dt.timedelta(days=PERIOD)
        assert (await passkeys_of(stack))[credential] == last_day
        # and the hourly housekeeping bounds one it finds without an end, too
        async with asyncpg.create_pool(stack.identity_database, min_size=1, max_size=2) as pool:
            await pool.execute(
                "UPDATE passkeys SET valid_until = NULL WHERE credential_id = $1", credential
            )
            await passkey_store.keep_house(db=pool, today=CLOCK.today(), label_key=os.urandom(32))
        assert (await passkeys_of(stack))[credential] == last_day
        at(PERIOD + 1)
        async with stack.browser() as browser:
            lapsed = await passkey_sign_in(browser, device)
            assert lapsed.status_code == 401
            assert "period has ended" in lapsed.json()["error"]
    finally:
        await graphql(
            stack,
            "mutation D($id: ID!) { deleteSharedIssuer(id: $id) { deleted } }",
            {"id": shared_id},
            admin,
        )
