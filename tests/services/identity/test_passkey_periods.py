"""How long a passkey lasts: one added from a time-limited passkey never outlives it, no
passkey is added on or after its parent's last day, from a lapsed session or while the
department is suspended, and code-enrolled passkeys of departments with an IdP lapse too.

identity is told the time by a FixedClock each test moves; sessions and ceremonies end by
the same clock, so a session still open past midnight is played at 23:58 and 00:01. Tokens
are checked by other processes, so they keep the system's clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from servicekit.clock import FixedClock
from tests.services.identity.conftest import Stack, running_stack, sign_in
from tests.services.identity.test_passkeys import (
    HARLOW,
    admin_codes,
    authenticator,
    enroll,
    issue_codes,
    passkey_sign_in,
)
from tests.services.identity.test_providers import token_of
from tests.support.authenticator import SoftAuthenticator
from tests.support.database import TemplateDatabases

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

START = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
CLOCK = FixedClock(START)


@pytest.fixture(scope="module")
async def stack(databases: TemplateDatabases, tmp_path_factory: Any) -> AsyncIterator[Stack]:
    async with running_stack(databases, tmp_path_factory.mktemp("periods"), CLOCK) as running:
        yield running


@pytest.fixture(autouse=True)
def back_to_the_start() -> Iterator[None]:
    CLOCK.at = START
    yield
    CLOCK.at = START


def on_day(days: int) -> dt.date:
    """Move identity's date ``days`` after the start; that date."""
    CLOCK.at = START + dt.timedelta(days=days)
    return CLOCK.today()


def at(days: int, hour: int, minute: int) -> None:
    """Move identity's time to ``hour:minute`` (UTC) ``days`` after the start's date."""
    day = START.date() + dt.timedelta(days=days)
    CLOCK.at = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


async def add_passkey(browser: httpx.AsyncClient, device: SoftAuthenticator) -> httpx.Response:
    options = await browser.post("/auth/passkeys/add/options", json={})
    if options.status_code != 200:
        return options
    return await browser.post(
        "/auth/passkeys/add", json={"credential": device.create(options.json())}
    )


async def passkeys_of(stack: Stack) -> dict[bytes, dt.date | None]:
    connection = await asyncpg.connect(stack.identity_database)
    try:
        rows = await connection.fetch("SELECT credential_id, valid_until FROM passkeys")
    finally:
        await connection.close()
    return {bytes(row["credential_id"]): row["valid_until"] for row in rows}


async def sso_passkey(stack: Stack, email: str) -> tuple[SoftAuthenticator, dt.date]:
    """A passkey an SSO-signed-in officer adds; its last day (30 days on for Harlow Park)."""
    device = authenticator(stack)
    async with stack.browser() as browser:
        await sign_in(stack, browser, email)
        added = await add_passkey(browser, device)
        assert added.status_code == 200, added.text
    last_day = dt.date.fromisoformat(added.json()["validUntil"])
    assert last_day == CLOCK.today() + dt.timedelta(days=30)
    return device, last_day


async def test_a_passkey_added_from_a_time_limited_one_ends_no_later(stack: Stack) -> None:
    parent, last_day = await sso_passkey(stack, "dana.whitlock@harlow-park.pd.example")
    on_day(29)
    child = authenticator(stack)
    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, parent)).status_code == 200
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert mine["canAdd"] is True
        assert mine["current"]["validUntil"] == last_day.isoformat()
        added = await add_passkey(browser, child)
        assert added.status_code == 200, added.text
        assert added.json()["validUntil"] == last_day.isoformat()
    stored = await passkeys_of(stack)
    assert stored[child.credentials[0].credential_id] == last_day


async def test_no_passkey_is_added_on_its_parents_last_day(stack: Stack) -> None:
    parent, last_day = await sso_passkey(stack, "dana.whitlock@harlow-park.pd.example")
    assert on_day(30) == last_day
    child = authenticator(stack)
    async with stack.browser() as browser:
        # the parent still signs in on its last day, but no longer vouches for a new passkey
        assert (await passkey_sign_in(browser, parent)).status_code == 200
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert (mine["canAdd"], mine["periodDays"]) == (False, None)
        refused = await add_passkey(browser, child)
        assert refused.status_code == 403
        assert "last day" in refused.json()["error"]
    assert child.credentials == []  # refused before the device was asked


async def test_a_ceremony_begun_the_day_before_is_refused_on_the_last_day(stack: Stack) -> None:
    parent, _ = await sso_passkey(stack, "marcus.oyelaran@harlow-park.pd.example")
    at(29, 23, 58)
    child = authenticator(stack)
    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, parent)).status_code == 200
        options = await browser.post("/auth/passkeys/add/options", json={})
        assert options.status_code == 200
        at(30, 0, 1)
        refused = await browser.post(
            "/auth/passkeys/add", json={"credential": child.create(options.json())}
        )
        assert refused.status_code == 403, refused.text
        assert "last day" in refused.json()["error"]
    assert child.credentials[0].credential_id not in await passkeys_of(stack)


async def test_the_session_of_a_lapsed_passkey_adds_nothing(stack: Stack) -> None:
    parent, _ = await sso_passkey(stack, "dana.whitlock@harlow-park.pd.example")
    at(30, 23, 58)
    child = authenticator(stack)
    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, parent)).status_code == 200
        session = browser.cookies["wnwa_session"]
        at(31, 0, 1)  # the passkey lapsed at midnight, and its session ended with it
        assert (await browser.post("/auth/refresh", json={})).status_code == 401
        browser.cookies.set("wnwa_session", session, path="/auth")
        options = await browser.post("/auth/passkeys/add/options", json={})
        assert options.status_code == 401
        assert options.json()["error"] == "Sign in first."
    # a ceremony begun before the lapse cannot be finished after it either: by then its
    # session (12 hours) and the ceremony (5 minutes) have ended too
    on_day(29)
    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, parent)).status_code == 200
        options = await browser.post("/auth/passkeys/add/options", json={})
        on_day(31)
        refused = await browser.post(
            "/auth/passkeys/add", json={"credential": child.create(options.json())}
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "Sign in first."
    assert child.credentials[-1].credential_id not in await passkeys_of(stack)


async def test_nothing_is_added_while_the_department_is_suspended(stack: Stack) -> None:
    parent, _ = await sso_passkey(stack, "dana.whitlock@harlow-park.pd.example")
    membership = await asyncpg.connect(stack.membership_database)
    try:
        async with stack.browser() as sso, stack.browser() as with_passkey:
            await sign_in(stack, sso, "dana.whitlock@harlow-park.pd.example")
            assert (await passkey_sign_in(with_passkey, parent)).status_code == 200
            ceremony = await sso.post("/auth/passkeys/add/options", json={})
            assert ceremony.status_code == 200
            await membership.execute(
                "UPDATE departments SET status = 'suspended' WHERE id = $1", HARLOW.id
            )
            for browser in (sso, with_passkey):
                refused = await browser.post("/auth/passkeys/add/options", json={})
                assert refused.status_code == 403
                assert "not an active member" in refused.json()["error"]
                assert (await browser.get("/auth/passkeys/mine")).json()["canAdd"] is False
            late = authenticator(stack)
            finished = await sso.post(
                "/auth/passkeys/add", json={"credential": late.create(ceremony.json())}
            )
            assert finished.status_code == 403
        assert late.credentials[0].credential_id not in await passkeys_of(stack)
    finally:
        await membership.execute(
            "UPDATE departments SET status = 'active' WHERE id = $1", HARLOW.id
        )
        await membership.close()


async def test_a_code_enrolled_passkey_without_an_idp_has_no_end_and_neither_do_its_children(
    stack: Stack,
) -> None:
    (code,) = await admin_codes(stack, "Badge 301")
    parent, child = authenticator(stack), authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, parent, code)).status_code == 200
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert mine["current"]["validUntil"] is None
        added = await add_passkey(browser, child)
        assert added.status_code == 200, added.text
        assert added.json()["validUntil"] is None
    on_day(400)
    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, child)).status_code == 200


async def test_codes_of_a_department_with_an_idp_give_passkeys_its_period(stack: Stack) -> None:
    coordinator = await token_of(stack, "priya.castellanos@harlow-park.pd.example")
    (code,) = await issue_codes(stack, coordinator, str(HARLOW.id), ["OFFICER"], ["Badge 302"])
    device, child = authenticator(stack), authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, device, code)).status_code == 200
        last_day = CLOCK.today() + dt.timedelta(days=30)
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert mine["current"]["validUntil"] == last_day.isoformat()
        added = await add_passkey(browser, child)
        assert added.json()["validUntil"] == last_day.isoformat()
    assert (await passkeys_of(stack))[device.credentials[0].credential_id] == last_day
    on_day(31)
    for holder in (device, child):
        async with stack.browser() as browser:
            lapsed = await passkey_sign_in(browser, holder)
            assert lapsed.status_code == 401
            assert "period has ended" in lapsed.json()["error"]
    # the same for a department without an IdP: no end
    (elsewhere,) = await admin_codes(stack, "Badge 303")
    other = authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, other, elsewhere)).status_code == 200
    assert (await passkeys_of(stack))[other.credentials[0].credential_id] is None
