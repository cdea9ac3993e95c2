"""Sessions end when they should: sign-out ends every copy of a session cookie, a removed
claim rule takes its role at the next renewal, and a session whose marks cannot be consulted
is refused rather than renewed."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from servicekit.clock import SYSTEM_CLOCK
from servicekit.demo import DEMO_DEPARTMENTS
from servicekit.ephemeral import mark_key
from servicekit.pseudonyms import derive_key
from services.identity import cookies
from services.identity import settings as identity_settings
from services.identity.sealing import SecretBox
from services.identity.sessions import SIGNED_OUT_MARK
from tests.services.identity.conftest import Stack, sign_in
from tests.services.identity.test_admission import _snapshot
from tests.services.identity.test_passkeys import authenticator
from tests.services.identity.test_sign_in import me

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

HARLOW = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Harlow Park"))
FENWOOD = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Fenwood"))
COOKIE_BOX = SecretBox(
    derive_key(
        identity_settings.load({"WNWA_ENV": "test"}).cookie_key.value, "wnwa identity cookies"
    )
)


@pytest.fixture
async def identity_db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(stack.identity_database)
    yield connection
    await connection.close()


def copy_of_session(browser: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another client holding the same session cookie (a copy someone took)."""
    copy = httpx.AsyncClient(base_url=str(browser.base_url), timeout=10)
    copy.cookies.set(cookies.SESSION_COOKIE, browser.cookies[cookies.SESSION_COOKIE], path="/auth")
    return copy


async def roles_of(stack: Stack, browser: httpx.AsyncClient) -> list[str]:
    answer = await me(stack, browser.cookies[cookies.ACCESS_COOKIE])
    roles: list[str] = answer["data"]["me"]["roles"]
    return roles


async def test_a_copied_session_cookie_renews_nothing_after_sign_out(stack: Stack) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "ruth.kowalczyk@fenwood.pd.example")
        copy = copy_of_session(browser)
        out = await browser.get("/auth/logout")
        assert out.status_code == 303
        async with copy:
            refused = await copy.post("/auth/refresh", json={})
            assert refused.status_code == 401
            assert refused.json() == {"error": "signed_out"}
            assert cookies.ACCESS_COOKIE not in copy.cookies


async def test_a_copied_cookie_cannot_add_a_passkey_after_sign_out(
    stack: Stack, identity_db: asyncpg.Connection
) -> None:
    before = await identity_db.fetchval("SELECT count(*) FROM passkeys")
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        copy = copy_of_session(browser)
        await browser.get("/auth/logout")
    async with copy:
        options = await copy.post("/auth/passkeys/add/options", json={})
        if options.status_code == 200:
            credential = authenticator(stack).create(options.json())
            added = await copy.post("/auth/passkeys/add", json={"credential": credential})
            assert added.status_code == 400, added.text
            assert added.json() == {"error": "Sign in first."}
        else:
            assert options.status_code == 401
        # nor sees or removes the owner's passkeys
        assert (await copy.get("/auth/passkeys/mine")).status_code == 401
        removed = await copy.post("/auth/passkeys/mine/remove", json={})
        assert removed.status_code == 400, removed.text
        assert removed.json() == {"error": "Sign in first."}
    assert await identity_db.fetchval("SELECT count(*) FROM passkeys") == before


async def test_signing_out_ends_that_session_only(stack: Stack) -> None:
    # the mark names the session, not the person: their session in another browser goes on
    async with stack.browser() as phone, stack.browser() as laptop:
        await sign_in(stack, phone, "theo.brandt@fenwood.pd.example")
        await sign_in(stack, laptop, "theo.brandt@fenwood.pd.example")
        await phone.get("/auth/logout")
        assert (await laptop.post("/auth/refresh", json={})).status_code == 200


async def test_the_session_cookie_holds_only_what_the_rules_matched(stack: Stack) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "priya.castellanos@harlow-park.pd.example")
        sealed = browser.cookies[cookies.SESSION_COOKIE]
    content = json.loads(COOKIE_BOX.open_text(sealed, bound_to=cookies.SESSION_COOKIE))
    assert content["claims"] == {"groups": ["sworn", "wellness-coordinator"]}
    text = json.dumps(content).lower()
    for upstream in ("priya", "castellanos", "harlow-park.pd.example", "@"):
        assert upstream not in text


async def _set_rules(connection: asyncpg.Connection, organisation: uuid.UUID, rules: str) -> None:
    await connection.execute(
        "UPDATE identity_providers SET claim_rules = $2::jsonb WHERE organisation_id = $1",
        organisation,
        rules,
    )


async def test_a_removed_rule_takes_its_role_at_the_next_renewal(
    stack: Stack, identity_db: asyncpg.Connection
) -> None:
    rules = await identity_db.fetchval(
        "SELECT claim_rules::text FROM identity_providers WHERE organisation_id = $1", HARLOW.id
    )
    without = json.dumps([rule for rule in json.loads(rules) if rule["role"] != "coordinator"])
    async with stack.browser() as browser:
        await sign_in(stack, browser, "priya.castellanos@harlow-park.pd.example")
        assert await roles_of(stack, browser) == ["COORDINATOR", "OFFICER"]
        try:
            await _set_rules(identity_db, HARLOW.id, without)
            renewed = await browser.post("/auth/refresh", json={})
            assert renewed.status_code == 200
            assert await roles_of(stack, browser) == ["OFFICER"]
            # the renewed cookie still holds the claims, so putting the rule back restores it
            await _set_rules(identity_db, HARLOW.id, rules)
            assert (await browser.post("/auth/refresh", json={})).status_code == 200
            assert await roles_of(stack, browser) == ["COORDINATOR", "OFFICER"]
            # with no rule left that says officer or civilian, renewal ends
            await _set_rules(identity_db, HARLOW.id, "[]")
            ended = await browser.post("/auth/refresh", json={})
            assert ended.status_code == 401
            assert ended.json() == {"error": "roles_withdrawn"}
        finally:
            await _set_rules(identity_db, HARLOW.id, rules)


async def test_a_suspended_department_ends_renewal(stack: Stack) -> None:
    westmere = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Westmere"))
    membership = await asyncpg.connect(stack.membership_database)
    try:
        async with stack.browser() as browser:
            await sign_in(stack, browser, "omar.lindqvist@westmere-village.pd.example")
            await membership.execute(
                "UPDATE departments SET status = 'suspended' WHERE id = $1", westmere.id
            )
            try:
                ended = await browser.post("/auth/refresh", json={})
            finally:
                await membership.execute(
                    "UPDATE departments SET status = 'active' WHERE id = $1", westmere.id
                )
    finally:
        await membership.close()
    assert ended.status_code == 401
    assert ended.json() == {"error": "department_inactive"}


async def _put_back(connection: asyncpg.Connection, table: str, rows: list[asyncpg.Record]) -> None:
    for row in rows:
        columns = list(row.keys())
        places = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        await connection.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({places})", *row.values()
        )


async def test_a_removed_provider_ends_renewal(
    stack: Stack, identity_db: asyncpg.Connection
) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "ruth.kowalczyk@fenwood.pd.example")
        providers = await identity_db.fetch(
            "SELECT * FROM identity_providers WHERE organisation_id = $1", FENWOOD.id
        )
        domains = await identity_db.fetch(
            "SELECT * FROM provider_email_domains WHERE organisation_id = $1", FENWOOD.id
        )
        await identity_db.execute(
            "DELETE FROM identity_providers WHERE organisation_id = $1", FENWOOD.id
        )
        try:
            ended = await browser.post("/auth/refresh", json={})
        finally:
            await _put_back(identity_db, "identity_providers", providers)
            await _put_back(identity_db, "provider_email_domains", domains)
    assert ended.status_code == 401
    assert ended.json() == {"error": "provider_disabled"}


@contextlib.asynccontextmanager
async def marks_cut_off(stack: Stack) -> AsyncIterator[None]:
    """The connection identity's marks live on ends and no new one can be opened (as while a
    database fails over); the service's pool keeps the connections it has."""
    parts = urlsplit(stack.identity_database)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        # (none when no request has needed the marks since they were last cut off)
        await admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE application_name = 'wnwa-marks' AND datname = $1",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_when_the_marks_cannot_be_consulted_nothing_is_renewed_or_signed_in(
    stack: Stack,
) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "ruth.kowalczyk@fenwood.pd.example")
        async with marks_cut_off(stack):
            refused = await browser.post("/auth/refresh", json={})
            assert refused.status_code == 503
            assert refused.json() == {"error": "temporarily_unavailable"}
            assert cookies.SESSION_COOKIE in browser.cookies  # kept: nothing was decided
            # a sign-out that cannot be made known everywhere says so and keeps the session
            out = await browser.get("/auth/logout")
            assert out.status_code == 503
            assert "still signed in" in out.text
            assert cookies.SESSION_COOKIE in browser.cookies
        # once the database answers again, so do the marks
        assert (await browser.post("/auth/refresh", json={})).status_code == 200
        assert (await browser.get("/auth/logout")).status_code == 303
        assert (await browser.post("/auth/refresh", json={})).json() == {"error": "session_expired"}

    async with stack.browser() as browser:
        started = await browser.post(
            "/auth/login", data={"email": "ruth.kowalczyk@fenwood.pd.example"}
        )
        page = await browser.get(started.headers["location"])
        fields = dict(
            re.findall(r'<input type=hidden name="([a-z_]+)" value="([^"]*)">', page.text)
        )
        fields = {name: value.replace("&amp;", "&") for name, value in fields.items()}
        fields["account"] = "ruth.kowalczyk"
        answer = await browser.post(str(page.url).split("?")[0], data=fields)
        async with marks_cut_off(stack):
            callback = await browser.get(answer.headers["location"])
        assert callback.status_code == 503
        assert "Sign-in is briefly unavailable" in callback.text
        assert cookies.ACCESS_COOKIE not in browser.cookies

    async with stack.browser() as browser:
        assert (await browser.post("/auth/passkey/options", json={})).status_code == 200
        async with marks_cut_off(stack):
            answered = await browser.post("/auth/passkey", json={"credential": {"id": "x"}})
        assert answered.status_code == 503
        assert answered.json() == {
            "error": "Sign-in is briefly unavailable. Please try again in a moment."
        }


async def test_a_signed_out_session_is_a_lock_in_the_servers_memory_and_no_row(
    stack: Stack, identity_db: asyncpg.Connection
) -> None:
    before = await _snapshot(stack.identity_database)
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        sealed = browser.cookies[cookies.SESSION_COOKIE]
        await browser.get("/auth/logout")
    session = cookies.open_session(COOKIE_BOX, sealed, now=SYSTEM_CLOCK.timestamp())
    assert session is not None
    key = mark_key(SIGNED_OUT_MARK, session.session_id.encode())
    held = await identity_db.fetchval(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        " AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.granted",
        (key >> 32) & 0xFFFFFFFF,
        key & 0xFFFFFFFF,
    )
    assert held == 1  # a digest of the session's random id, in the server's memory
    assert await _snapshot(stack.identity_database) == before  # and nothing written
