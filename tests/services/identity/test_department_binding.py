"""The department someone is admitted to is decided by the provider configuration the
sign-in started with and nothing else: not a claim another department's administrators
can set, not a provider that took the department over after the sign-in, not an answer,
token or code from another provider. Real OIDC flows over HTTP, through the test provider's
tenants (each an issuer of its own, all signing with one key, as one vendor's tenants may).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.services.identity.conftest import CALDER_HEIGHTS, Stack
from tests.services.identity.test_attacks import REFUSED, assert_refused, start
from tests.services.identity.test_issuers import (
    ELDERBROOK,
    SAVE_SHARED,
    SET_DEPARTMENT,
    STONEMILL,
    _sign_in_through,
    errors_of,
    fresh_issuer,
    shared_input,
)
from tests.services.identity.test_passkey_periods import add_passkey
from tests.services.identity.test_passkeys import authenticator
from tests.services.identity.test_providers import SAVE, graphql, provider_input, token_of
from tests.services.identity.test_sign_in import me

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

REMOVE_DEPARTMENT = """
mutation R($id: ID!) { removeSharedIssuerDepartment(departmentId: $id) { deleted } }
"""
DELETE_SHARED = "mutation D($id: ID!) { deleteSharedIssuer(id: $id) { deleted } }"
DELETE_PROVIDER = "mutation D($id: ID!) { deleteIdentityProvider(organisationId: $id) { deleted } }"


async def rule(
    stack: Stack, admin: str, shared_id: str, department: uuid.UUID, claim: str, value: str
) -> dict[str, Any]:
    answer = await graphql(
        stack,
        SET_DEPARTMENT,
        {
            "input": {
                "sharedIssuerId": shared_id,
                "departmentId": str(department),
                "displayName": f"Department {value}",
                "claim": claim,
                "value": value,
            }
        },
        admin,
    )
    payload: dict[str, Any] = answer["data"]["setSharedIssuerDepartment"]
    return payload


@pytest.fixture
async def county(stack: Stack) -> AsyncIterator[tuple[str, str]]:
    """A county tenant shared by Elderbrook and Stonemill (by `extension_department`): the
    network admin's token and the shared issuer's id."""
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    saved = await graphql(
        stack, SAVE_SHARED, {"input": shared_input(stack, fresh_issuer(stack))}, admin
    )
    shared_id = saved["data"]["saveSharedIssuer"]["sharedIssuer"]["id"]
    for department, value in ((ELDERBROOK, "elderbrook"), (STONEMILL, "stonemill")):
        payload = await rule(stack, admin, shared_id, department, "extension_department", value)
        assert payload["errors"] == [], payload
    yield admin, shared_id
    await graphql(stack, DELETE_SHARED, {"id": shared_id}, admin)
    for department in (ELDERBROOK, STONEMILL):
        await graphql(stack, DELETE_PROVIDER, {"id": str(department)}, admin)


async def department_of(stack: Stack, browser: httpx.AsyncClient) -> str:
    answer = await me(stack, browser.cookies["wnwa_access"])
    department: str = answer["data"]["me"]["department"]["id"]
    return department


async def test_a_shared_issuer_tells_its_departments_apart_by_one_claim(
    stack: Stack, county: tuple[str, str]
) -> None:
    """The hole: each department of a shared issuer could be told apart by a claim of its
    own. With Stonemill's on `groups`, which every department's administrators in the
    county tenant fill, Elderbrook's administrators made anyone a Stonemill officer by
    adding a group and leaving `extension_department` out."""
    admin, shared_id = county
    moved = await rule(stack, admin, shared_id, STONEMILL, "groups", "stonemill")
    assert moved["sharedIssuer"] is None
    assert "extension_department" in errors_of(moved)["input.claim"]
    # the same rule changed on its own claim is fine: the claim stays the issuer's one
    renamed = await rule(stack, admin, shared_id, STONEMILL, "extension_department", "stonemill-pd")
    assert renamed["errors"] == []
    # a configuration with two claims saved before this rule: sign-in refuses it
    connection = await asyncpg.connect(stack.identity_database)
    try:
        await connection.execute(
            "UPDATE shared_issuer_departments SET claim = 'groups', value = 'stonemill'"
            " WHERE department_id = $1",
            STONEMILL,
        )
        async with stack.browser() as browser:
            refused = await _sign_in_through(
                stack, browser, ELDERBROOK, {"groups": ["sworn", "stonemill"]}
            )
            assert refused.status_code == 400, refused.text
            assert REFUSED in refused.text
            assert "more than one claim" in refused.text
            assert "wnwa_access" not in browser.cookies
        # nobody is admitted through it, whatever their claims say
        async with stack.browser() as browser:
            refused = await _sign_in_through(
                stack, browser, ELDERBROOK, {"extension_department": "elderbrook"}
            )
            assert refused.status_code == 400
    finally:
        await connection.close()


async def test_a_session_renews_only_through_the_provider_and_rule_that_admitted_it(
    stack: Stack, county: tuple[str, str]
) -> None:
    """The hole: a session renewed under whatever provider its department had at renewal
    time. Once Elderbrook left the county tenant for an IdP of its own, the county's
    sessions went on renewing (and adding passkeys) as Elderbrook's under the new IdP's
    rules; and once the county's value for Stonemill changed, a session admitted under
    the old value went on as Stonemill's."""
    admin, shared_id = county
    async with stack.browser() as elder, stack.browser() as stone:
        for browser, department, value in (
            (elder, ELDERBROOK, "elderbrook"),
            (stone, STONEMILL, "stonemill"),
        ):
            landing = await _sign_in_through(
                stack, browser, department, {"extension_department": value}
            )
            assert landing.status_code == 303, landing.text
            assert await department_of(stack, browser) == str(department)
            assert (await browser.post("/auth/refresh", json={})).status_code == 200

        # Elderbrook leaves the county tenant for a provider of its own
        await graphql(stack, REMOVE_DEPARTMENT, {"id": str(ELDERBROOK)}, admin)
        own = await graphql(
            stack,
            SAVE,
            {"input": provider_input(stack, organisationId=str(ELDERBROOK))},
            admin,
        )
        assert own["data"]["saveIdentityProvider"]["errors"] == [], own
        ended = await elder.post("/auth/refresh", json={})
        assert ended.status_code == 401
        assert ended.json() == {"error": "provider_changed"}
        refused = await add_passkey(elder, authenticator(stack))
        assert refused.status_code in (401, 403)

        # the county now names Stonemill by another value
        changed = await rule(
            stack, admin, shared_id, STONEMILL, "extension_department", "stonemill-pd"
        )
        assert changed["errors"] == []
        ended = await stone.post("/auth/refresh", json={})
        assert ended.status_code == 401
        assert ended.json() == {"error": "department_changed"}


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("iss_trailing_slash", "different provider"),
        ("iss_other_case", "different provider"),
        ("wrong_azp", "different client"),
        ("audiences_without_azp", "different client"),
    ],
)
async def test_an_id_token_is_that_providers_for_this_client_exactly(
    stack: Stack, mode: str, reason: str
) -> None:
    stack.evil.mode = mode
    try:
        async with stack.browser() as browser:
            callback = await start(browser)
            assert_refused(await browser.get(callback), browser, reason)
    finally:
        stack.evil.mode = "honest"


async def test_a_code_from_another_providers_flow_is_refused(stack: Stack) -> None:
    """The browser is sent to Calder Heights' issuer; the answer comes from another tenant
    of the same vendor (same keys, and a token endpoint that redeems any tenant's code)."""
    for keep_iss in (True, False):
        async with stack.browser() as browser:
            sent = await browser.post("/auth/login", data={"email": "x@evil.pd.example"})
            authorize = sent.headers["location"]
            assert authorize.startswith(f"{stack.evil.issuer}/authorize")
            other = authorize.replace(stack.evil.issuer, fresh_issuer(stack), 1)
            answered = await browser.get(other)
            callback = httpx.URL(answered.headers["location"])
            if not keep_iss:  # the provider promises no RFC 9207 `iss`: nothing to compare
                params = {k: v for k, v in callback.params.items() if k != "iss"}
                callback = callback.copy_with(params=params)
            refused = await browser.get(str(callback))
            reason = "different identity provider" if keep_iss else "different provider"
            assert_refused(refused, browser, reason)


async def test_one_upstream_subject_is_a_different_person_at_each_provider_and_department(
    stack: Stack, county: tuple[str, str]
) -> None:
    """Every test tenant signs in the same upstream `sub`: the pseudonyms still differ by
    issuer and by department, so no account is reached through another provider."""
    pseudonyms = set()
    async with stack.browser() as browser:
        assert (await browser.get(await start(browser))).status_code == 303
        assert await department_of(stack, browser) == str(CALDER_HEIGHTS.id)
        pseudonyms.add(
            (await me(stack, browser.cookies["wnwa_access"]))["data"]["me"]["pseudonymousId"]
        )
    for department, value in ((ELDERBROOK, "elderbrook"), (STONEMILL, "stonemill")):
        async with stack.browser() as browser:
            landing = await _sign_in_through(
                stack, browser, department, {"extension_department": value}
            )
            assert landing.status_code == 303
            answer = await me(stack, browser.cookies["wnwa_access"])
            pseudonyms.add(answer["data"]["me"]["pseudonymousId"])
    assert len(pseudonyms) == 3
