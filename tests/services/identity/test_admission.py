"""Who is admitted, with which roles; and identity remembers nothing about any of it."""

from __future__ import annotations

import logging
import re

import asyncpg
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from tests.services.identity.conftest import Stack, sign_in
from tests.services.identity.test_sign_in import me

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers


@pytest.mark.parametrize(
    ("email", "roles"),
    [
        ("dana.whitlock@harlow-park.pd.example", ["OFFICER"]),
        ("marcus.oyelaran@harlow-park.pd.example", ["OFFICER", "PEER_SUPPORTER"]),
        ("priya.castellanos@harlow-park.pd.example", ["COORDINATOR", "OFFICER"]),
        ("jamie.fairbanks@harlow-park.pd.example", ["CIVILIAN"]),
        ("omar.lindqvist@westmere-village.pd.example", ["OFFICER"]),
    ],
)
async def test_members_are_admitted_with_their_roles(
    stack: Stack, email: str, roles: list[str]
) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, email)
        answer = await me(stack, browser.cookies["wnwa_access"])
    assert answer["data"]["me"]["roles"] == roles


async def test_network_staff_have_staff_roles_and_no_department(stack: Stack) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "morgan.ellery@staff.wnwa.example")
        answer = await me(stack, browser.cookies["wnwa_access"])
    assert answer["data"]["me"]["roles"] == ["VETTER"]
    assert answer["data"]["me"]["department"] is None


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("casey.morrow@westmere-village.pd.example", "not enabled access for civilian staff"),
        ("lee.ashdown@wrenfield.pd.example", "not an active member"),
    ],
)
async def test_those_not_admitted_get_a_clear_page(stack: Stack, email: str, reason: str) -> None:
    async with stack.browser() as browser:
        page = await sign_in(stack, browser, email)
        assert page.status_code == 400
        assert reason in page.text
        assert "wnwa_access" not in browser.cookies


async def test_an_unknown_email_domain_is_asked_again_without_echoing_it(stack: Stack) -> None:
    async with stack.browser() as browser:
        page = await browser.post("/auth/login", data={"email": "someone@nowhere.example"})
    assert page.status_code == 400
    assert "We do not know that email domain" in page.text
    assert "nowhere" not in page.text


async def test_renewal_and_sign_out(stack: Stack) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "ruth.kowalczyk@fenwood.pd.example")
        first = browser.cookies["wnwa_access"]
        renewed = await browser.post("/auth/refresh", json={})
        assert renewed.status_code == 200
        assert renewed.json() == {"expires_in": 600}
        second = await me(stack, browser.cookies["wnwa_access"])
        assert (
            second["data"]["me"]["pseudonymousId"]
            == (await me(stack, first))["data"]["me"]["pseudonymousId"]
        )
        out = await browser.get("/auth/logout")
        assert out.status_code == 303
        assert out.headers["location"].startswith(f"{stack.devidp_url}/fenwood/logout?")
        assert "wnwa_session" not in browser.cookies
        again = await browser.post("/auth/refresh", json={})
        assert again.status_code == 401


async def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        snapshot: dict[str, list[tuple[object, ...]]] = {}
        for table in tables:
            name = table["tablename"]
            rows = await connection.fetch(f'SELECT * FROM "{name}"')
            snapshot[name] = sorted(tuple(str(value) for value in row.values()) for row in rows)
        return snapshot
    finally:
        await connection.close()


async def test_identity_remembers_nothing(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    before = await _snapshot(stack.identity_database)
    officers = [
        ("dana.whitlock", "harlow-park", "Officer Dana Whitlock"),
        ("marcus.oyelaran", "harlow-park", "Sgt. Marcus Oyelaran"),
        ("ruth.kowalczyk", "fenwood", "Officer Ruth Kowalczyk"),
    ]
    pseudonyms = set()
    for _ in range(3):
        for login, tenant, _name in officers:
            async with stack.browser() as browser:
                await sign_in(stack, browser, f"{login}@{tenant}.pd.example")
                await browser.post("/auth/refresh", json={})
                answer = await me(stack, browser.cookies["wnwa_access"])
                pseudonyms.add(answer["data"]["me"]["pseudonymousId"])
                await browser.get("/auth/logout")
    assert len(pseudonyms) == 3  # stable per person, different between people
    assert await _snapshot(stack.identity_database) == before
    assert set(before) == {
        "enrollment_codes",
        "identity_providers",
        "passkeys",
        "provider_email_domains",
        "provider_proposals",
        "shared_issuer_departments",
        "schema_migrations",
        "signing_keys",
        "undigested_labels",  # empty: labels an older release kept, until digested
    }
    logged = caplog.text
    for login, tenant, name in officers:
        for identifier in (login, f"{tenant}|{login}", f"{login}@{tenant}.pd.example", name):
            assert identifier not in logged
    for pseudonym in pseudonyms:
        assert pseudonym not in logged


async def test_a_switched_off_sign_in_renews_no_one(stack: Stack) -> None:
    fenwood = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Fenwood"))
    async with stack.browser() as browser:
        await sign_in(stack, browser, "ruth.kowalczyk@fenwood.pd.example")
        connection = await asyncpg.connect(stack.identity_database)
        try:
            await connection.execute(
                "UPDATE identity_providers SET enabled = false WHERE organisation_id = $1",
                fenwood.id,
            )
            refused = await browser.post("/auth/refresh", json={})
        finally:
            await connection.execute(
                "UPDATE identity_providers SET enabled = true WHERE organisation_id = $1",
                fenwood.id,
            )
            await connection.close()
    assert refused.status_code == 401
    assert refused.json() == {"error": "provider_disabled"}
    assert "wnwa_session" not in browser.cookies


@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("/supporters", "/supporters"),
        ("/my-profile", "/my-profile"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/auth/logout", "/"),
        ("/supporters?zip=60601", "/"),
        ("", "/"),
    ],
)
async def test_sign_in_returns_to_the_page_asked_for_and_nowhere_else(
    stack: Stack, asked: str, lands: str
) -> None:
    async with stack.browser() as browser:
        response = await browser.post(
            "/auth/login", data={"email": "dana.whitlock@harlow-park.pd.example", "next": asked}
        )
        page = await browser.get(response.headers["location"])
        fields = dict(
            re.findall(r'<input type=hidden name="([a-z_]+)" value="([^"]*)">', page.text)
        )
        fields = {name: value.replace("&amp;", "&") for name, value in fields.items()}
        fields["account"] = "dana.whitlock"
        answer = await browser.post(str(page.url).split("?")[0], data=fields)
        callback = await browser.get(answer.headers["location"])
    assert callback.status_code == 303
    assert callback.headers["location"] == lands
    assert "wnwa_access" in browser.cookies
