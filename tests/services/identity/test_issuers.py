"""One issuer signs in one organisation; a provider shared by several departments is a
shared issuer, whose claims (never the person) say which department someone is in."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from services.identity.configuration import ISSUER_TAKEN
from tests.services.identity.conftest import CALDER_HEIGHTS, Stack
from tests.services.identity.evil import CLIENT_ID
from tests.services.identity.test_attacks import REFUSED
from tests.services.identity.test_passkeys import KESTREL, admin_codes, authenticator, enroll
from tests.services.identity.test_providers import SAVE, graphql, provider_input, token_of
from tests.services.identity.test_sign_in import me

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers


def _department(name: str) -> uuid.UUID:
    return next(d.id for d in DEMO_DEPARTMENTS if d.name.startswith(name))


MARROW_BLUFF = _department("Marrow Bluff")
LINDELL, ELDERBROOK, STONEMILL = (
    _department("Lindell Crossing"),
    _department("Elderbrook"),
    _department("Stonemill"),
)

PROPOSE = """
mutation Propose($input: IdentityProviderInput!) {
  proposeIdentityProvider(input: $input) { proposal { issuer } errors { field message } }
}
"""
APPROVE = """
mutation Approve($id: ID!) {
  approveIdentityProviderProposal(organisationId: $id) {
    provider { issuer } errors { field message }
  }
}
"""
SAVE_SHARED = """
mutation Save($input: SharedIssuerInput!) {
  saveSharedIssuer(input: $input) {
    sharedIssuer { id issuer departments { department { id } displayName claim value } }
    errors { field message }
  }
}
"""
SET_DEPARTMENT = """
mutation Set($input: SharedIssuerDepartmentInput!) {
  setSharedIssuerDepartment(input: $input) {
    sharedIssuer { departments { department { id } value } }
    errors { field message }
  }
}
"""


def fresh_issuer(stack: Stack) -> str:
    """An issuer of the test provider that no organisation uses yet."""
    return stack.evil.tenant_issuer(f"t-{uuid.uuid4().hex[:12]}")


def errors_of(payload: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in payload["errors"]}


async def _delete_provider(stack: Stack, admin: str, organisation: uuid.UUID) -> None:
    await graphql(
        stack,
        "mutation D($id: ID!) { deleteIdentityProvider(organisationId: $id) { deleted } }",
        {"id": str(organisation)},
        admin,
    )


async def test_an_issuer_another_department_signs_in_with_is_refused(stack: Stack) -> None:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    # Calder Heights signs in with the test provider's `evil` issuer (the providers file)
    answer = await graphql(
        stack, SAVE, {"input": provider_input(stack, issuer=stack.evil.issuer)}, admin
    )
    payload = answer["data"]["saveIdentityProvider"]
    assert payload["provider"] is None
    assert errors_of(payload) == {"input.issuer": ISSUER_TAKEN}
    # the organisation that holds it may keep saving its own, and a fresh issuer is free
    fresh = await graphql(
        stack, SAVE, {"input": provider_input(stack, issuer=fresh_issuer(stack))}, admin
    )
    assert fresh["data"]["saveIdentityProvider"]["errors"] == []
    await _delete_provider(stack, admin, MARROW_BLUFF)


async def kestrel_coordinator(stack: Stack) -> str:
    """A coordinator of Kestrel Point, a member without a provider (signed in by passkey)."""
    (code,) = await admin_codes(
        stack, f"Coordinator {uuid.uuid4().hex[:6]}", roles=["COORDINATOR", "OFFICER"]
    )
    async with stack.browser() as browser:
        assert (await enroll(browser, authenticator(stack), code)).status_code == 200
        return str(browser.cookies["wnwa_access"])


async def test_a_coordinator_cannot_propose_another_departments_issuer(stack: Stack) -> None:
    """The hole: a coordinator proposed another department's issuer (here Calder Heights')
    for their own; once approved, that provider's officers signed in as members of it."""
    coordinator = await kestrel_coordinator(stack)
    proposal = provider_input(stack, organisationId=str(KESTREL.id), issuer=stack.evil.issuer)
    answer = await graphql(stack, PROPOSE, {"input": proposal}, coordinator)
    payload = answer["data"]["proposeIdentityProvider"]
    assert payload["proposal"] is None
    assert errors_of(payload) == {"input.issuer": ISSUER_TAKEN}


async def test_approval_checks_the_issuer_again(stack: Stack) -> None:
    coordinator = await kestrel_coordinator(stack)
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    issuer = fresh_issuer(stack)
    proposal = provider_input(stack, organisationId=str(KESTREL.id), issuer=issuer)
    proposed = await graphql(stack, PROPOSE, {"input": proposal}, coordinator)
    assert proposed["data"]["proposeIdentityProvider"]["errors"] == []
    # meanwhile another department's provider takes the same issuer
    taken = await graphql(stack, SAVE, {"input": provider_input(stack, issuer=issuer)}, admin)
    assert taken["data"]["saveIdentityProvider"]["errors"] == []
    try:
        approved = await graphql(stack, APPROVE, {"id": str(KESTREL.id)}, admin)
        payload = approved["data"]["approveIdentityProviderProposal"]
        assert payload["provider"] is None
        assert errors_of(payload) == {"input.issuer": ISSUER_TAKEN}
    finally:
        await graphql(
            stack,
            "mutation R($id: ID!) { rejectIdentityProviderProposal(organisationId: $id) }",
            {"id": str(KESTREL.id)},
            admin,
        )
        await _delete_provider(stack, admin, MARROW_BLUFF)


async def test_two_saves_of_one_issuer_at_once_are_refused_by_the_database(
    stack: Stack,
) -> None:
    """Both pass every check before either is saved; the unique index decides, and the loser
    gets the same message as the check (no 500)."""
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    issuer = stack.evil.tenant_issuer(tenant)
    # each save waits at discovery, the last check, until the other has reached it too
    stack.evil.gates[tenant] = asyncio.Barrier(2)
    try:
        answers = await asyncio.gather(
            *(
                graphql(
                    stack,
                    SAVE,
                    {"input": provider_input(stack, organisationId=str(org), issuer=issuer)},
                    admin,
                )
                for org in (MARROW_BLUFF, LINDELL)
            )
        )
    finally:
        del stack.evil.gates[tenant]
    payloads = [answer["data"]["saveIdentityProvider"] for answer in answers]
    assert all("errors" not in answer for answer in answers), answers
    saved = [p for p in payloads if p["provider"] is not None]
    refused = [p for p in payloads if p["provider"] is None]
    assert len(saved) == 1
    assert len(refused) == 1
    assert errors_of(refused[0]) == {"input.issuer": ISSUER_TAKEN}
    for organisation in (MARROW_BLUFF, LINDELL):
        await _delete_provider(stack, admin, organisation)


def shared_input(stack: Stack, issuer: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "displayName": "Will County shared sign-in",
        "issuer": issuer,
        "clientId": CLIENT_ID,
        "clientSecret": "a-client-secret",
        "claimRules": [{"claim": "groups", "value": "sworn", "role": "OFFICER"}],
    }
    values.update(overrides)
    return values


async def _shared_issuer(stack: Stack, admin: str) -> tuple[str, str]:
    """A shared issuer for Elderbrook and Stonemill (rule: `extension_department`)."""
    issuer = fresh_issuer(stack)
    saved = await graphql(stack, SAVE_SHARED, {"input": shared_input(stack, issuer)}, admin)
    payload = saved["data"]["saveSharedIssuer"]
    assert payload["errors"] == [], payload
    shared_id = payload["sharedIssuer"]["id"]
    for department, name, value in (
        (ELDERBROOK, "Elderbrook Police Department", "elderbrook"),
        (STONEMILL, "Stonemill Police Department", "stonemill"),
    ):
        added = await graphql(
            stack,
            SET_DEPARTMENT,
            {
                "input": {
                    "sharedIssuerId": shared_id,
                    "departmentId": str(department),
                    "displayName": name,
                    "claim": "extension_department",
                    "value": value,
                }
            },
            admin,
        )
        assert added["data"]["setSharedIssuerDepartment"]["errors"] == [], added
    return shared_id, issuer


async def _sign_in_through(
    stack: Stack, browser: httpx.AsyncClient, department: uuid.UUID, claims: dict[str, Any]
) -> httpx.Response:
    """Pick ``department`` at identity; the test provider answers with ``claims``."""
    stack.evil.claims = claims
    try:
        response = await browser.post("/auth/login", data={"department": str(department)})
        assert response.status_code == 303, response.text
        answer = await browser.get(response.headers["location"])
        assert answer.status_code == 303
        return await browser.get(answer.headers["location"])
    finally:
        stack.evil.claims = {}


async def test_a_shared_issuer_puts_each_officer_in_the_department_its_claim_names(
    stack: Stack,
) -> None:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    shared_id, _ = await _shared_issuer(stack, admin)
    try:
        async with httpx.AsyncClient(base_url=stack.identity_url) as anyone:
            listed = (await anyone.get("/auth/departments")).json()["departments"]
        assert {"id": str(ELDERBROOK), "name": "Elderbrook Police Department"} in listed
        assert shared_id not in {d["id"] for d in listed}  # the issuer is no department

        for claim, department in (
            ("elderbrook", ELDERBROOK),
            ("stonemill", STONEMILL),
            (["stonemill", "sheriff-office"], STONEMILL),
        ):
            async with stack.browser() as browser:
                # whichever department was picked, the claim decides
                landing = await _sign_in_through(
                    stack, browser, ELDERBROOK, {"extension_department": claim}
                )
                assert landing.status_code == 303, landing.text
                answer = await me(stack, browser.cookies["wnwa_access"])
                assert answer["data"]["me"]["department"] == {"id": str(department)}
                assert answer["data"]["me"]["roles"] == ["OFFICER"]
                renewed = await browser.post("/auth/refresh", json={})
                assert renewed.status_code == 200

        for claims, reason in (
            ({}, "does not say which department"),
            ({"extension_department": "harlow-park"}, "does not say which department"),
            ({"extension_department": ["elderbrook", "stonemill"]}, "more than one department"),
        ):
            async with stack.browser() as browser:
                refused = await _sign_in_through(stack, browser, STONEMILL, claims)
                assert refused.status_code == 400
                assert REFUSED in refused.text
                assert reason in refused.text
                assert "wnwa_access" not in browser.cookies
    finally:
        await graphql(
            stack,
            "mutation D($id: ID!) { deleteSharedIssuer(id: $id) { deleted } }",
            {"id": shared_id},
            admin,
        )
    # its departments no longer sign in
    async with stack.browser() as browser:
        gone = await browser.post("/auth/login", data={"department": str(ELDERBROOK)})
        assert gone.status_code == 404


async def test_a_shared_issuer_is_nobody_elses_and_its_rules_name_one_department(
    stack: Stack,
) -> None:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    shared_id, issuer = await _shared_issuer(stack, admin)
    try:
        # a department's own provider cannot take the shared issuer
        own = await graphql(stack, SAVE, {"input": provider_input(stack, issuer=issuer)}, admin)
        message = errors_of(own["data"]["saveIdentityProvider"])["input.issuer"]
        assert "shared issuer 'Will County shared sign-in'" in message
        # nor another shared issuer take a department's
        other = await graphql(
            stack, SAVE_SHARED, {"input": shared_input(stack, stack.evil.issuer)}, admin
        )
        assert errors_of(other["data"]["saveSharedIssuer"]) == {"input.issuer": ISSUER_TAKEN}
        # a department behind the shared issuer has no provider of its own meanwhile
        elder = await graphql(
            stack,
            SAVE,
            {
                "input": provider_input(
                    stack, organisationId=str(ELDERBROOK), issuer=fresh_issuer(stack)
                )
            },
            admin,
        )
        assert (
            "signs in through the shared issuer"
            in (errors_of(elder["data"]["saveIdentityProvider"])["input.organisationId"])
        )
        # and a department with its own provider is not put behind it
        rule = {
            "sharedIssuerId": shared_id,
            "departmentId": str(CALDER_HEIGHTS.id),
            "displayName": "Calder Heights",
            "claim": "extension_department",
            "value": "calder-heights",
        }
        calder = await graphql(stack, SET_DEPARTMENT, {"input": rule}, admin)
        assert (
            "provider of its own"
            in (errors_of(calder["data"]["setSharedIssuerDepartment"])["input.departmentId"])
        )
        # one rule names one department
        same = await graphql(
            stack,
            SET_DEPARTMENT,
            {"input": {**rule, "departmentId": str(MARROW_BLUFF), "value": "elderbrook"}},
            admin,
        )
        assert "same rule" in errors_of(same["data"]["setSharedIssuerDepartment"])["input.value"]
        # network admins only
        vetter = await token_of(stack, "morgan.ellery@staff.wnwa.example")
        denied = await graphql(
            stack, SAVE_SHARED, {"input": shared_input(stack, fresh_issuer(stack))}, vetter
        )
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        listing = await graphql(stack, "{ sharedIssuers { id } }", {}, vetter)
        assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        await graphql(
            stack,
            "mutation D($id: ID!) { deleteSharedIssuer(id: $id) { deleted } }",
            {"id": shared_id},
            admin,
        )


@pytest.mark.parametrize("method", ["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST"])
async def test_the_code_exchange_authenticates_the_client_as_configured(
    stack: Stack, method: str
) -> None:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    secret = "s3cr:t %+/ é"  # characters Basic credentials must form-encode
    saved = await graphql(
        stack,
        SAVE_SHARED,
        {
            "input": shared_input(
                stack, fresh_issuer(stack), clientSecret=secret, clientAuthMethod=method
            )
        },
        admin,
    )
    payload = saved["data"]["saveSharedIssuer"]
    assert payload["errors"] == [], payload
    shared_id = payload["sharedIssuer"]["id"]
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
        async with stack.browser() as browser:
            landing = await _sign_in_through(
                stack, browser, ELDERBROOK, {"extension_department": "elderbrook"}
            )
            assert landing.status_code == 303, landing.text
        assert stack.evil.client_auth == (method.lower(), CLIENT_ID, secret)
    finally:
        await graphql(
            stack,
            "mutation D($id: ID!) { deleteSharedIssuer(id: $id) { deleted } }",
            {"id": shared_id},
            admin,
        )
