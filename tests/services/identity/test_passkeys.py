"""Passkeys the network holds: enrolment codes, passkey sign-in, re-entry without the IdP,
revocation, and every refusal — with nothing written by a sign-in."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import sys
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from tests.services.identity.conftest import Stack, sign_in
from tests.services.identity.test_admission import _snapshot
from tests.services.identity.test_providers import graphql, token_of
from tests.services.identity.test_sign_in import me
from tests.support.authenticator import SoftAuthenticator, b64url
from tests.support.database import TemplateDatabases
from tests.support.proof_of_work import code_try_proof
from wnwa.registry import service_named

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

KESTREL = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Kestrel Point"))
HARLOW = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Harlow Park"))
WESTMERE = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Westmere Village"))

ISSUE = """
mutation Issue($input: EnrollmentCodesInput!) {
  issueEnrollmentCodes(input: $input) {
    codes { code label roles expiresOn }
    errors { field message }
  }
}
"""
REVOKE = """
mutation Revoke($input: PasskeyRevocationInput!) {
  revokePasskeys(input: $input) { revoked errors { field message } }
}
"""


def label_digest(label: str, department: uuid.UUID = KESTREL.id) -> bytes:
    """What identity keeps of a label, under the test stack's (development) secrets key."""
    from services.identity import settings
    from services.identity.passkeys import credentials as passkeys

    key = passkeys.label_key(settings.load({"WNWA_ENV": "test"}).secrets_key.value)
    return passkeys.label_digest(key, department, label)


def authenticator(stack: Stack, **kwargs: Any) -> SoftAuthenticator:
    # browsers refuse an IP address as RP id: the loopback origin is used as localhost
    port = stack.identity_url.rsplit(":", 1)[1]
    return SoftAuthenticator(origin=f"http://localhost:{port}", **kwargs)


async def issue_codes(
    stack: Stack, token: str, department: str, roles: list[str], labels: list[str]
) -> list[str]:
    answer = await graphql(
        stack,
        ISSUE,
        {"input": {"departmentId": department, "roles": roles, "labels": labels}},
        token,
    )
    payload = answer["data"]["issueEnrollmentCodes"]
    assert payload["errors"] == [], payload
    return [code["code"] for code in payload["codes"]]


async def admin_codes(stack: Stack, *labels: str, roles: list[str] | None = None) -> list[str]:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    return await issue_codes(stack, admin, str(KESTREL.id), roles or ["OFFICER"], list(labels))


async def enroll(
    browser: httpx.AsyncClient, device: SoftAuthenticator, code: str, **create: Any
) -> httpx.Response:
    proof = await code_try_proof(browser)
    options = await browser.post("/auth/enroll/options", json={"code": code, "proofOfWork": proof})
    if options.status_code != 200:
        return options
    credential = device.create(options.json(), **create)
    return await browser.post("/auth/enroll", json={"credential": credential})


async def passkey_sign_in(
    browser: httpx.AsyncClient, device: SoftAuthenticator, query: str = "", **get: Any
) -> httpx.Response:
    options = await browser.post(f"/auth/passkey/options{query}", json={})
    assert options.status_code == 200, options.text
    publickey = options.json()["publicKey"]
    assert publickey["userVerification"] == "required"
    assert publickey.get("allowCredentials", []) == []  # discoverable: no user name asked
    return await browser.post(
        "/auth/passkey", json={"credential": device.get(options.json(), **get)}
    )


async def who(stack: Stack, browser: httpx.AsyncClient) -> dict[str, Any]:
    answer = await me(stack, browser.cookies["wnwa_access"])
    assert "errors" not in answer, answer
    result: dict[str, Any] = answer["data"]["me"]
    return result


async def test_an_officer_of_a_department_without_an_idp_enrolls_and_signs_in(
    stack: Stack,
) -> None:
    (code,) = await admin_codes(stack, "Badge 1")
    assert len(code.replace("-", "")) == 20  # 100 bits
    device = authenticator(stack)
    async with stack.browser() as browser:
        enrolled = await enroll(browser, device, code.lower())  # typed in any case
        assert enrolled.status_code == 200, enrolled.text
        first = await who(stack, browser)
        assert first["roles"] == ["OFFICER"]
        assert first["department"] == {"id": str(KESTREL.id)}
    async with stack.browser() as browser:
        signed_in = await passkey_sign_in(browser, device)
        assert signed_in.status_code == 200, signed_in.text
        assert (await who(stack, browser))["pseudonymousId"] == first["pseudonymousId"]
        assert (await browser.post("/auth/refresh", json={})).status_code == 200
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert mine["signedInWith"] == "passkey"
        assert "label" not in mine["current"]
        assert mine["current"]["validUntil"] is None
    async with stack.browser() as browser:
        again = await enroll(browser, authenticator(stack), code)
        assert again.status_code == 400
        assert "already used" in again.json()["error"]
        assert "wnwa_access" not in browser.cookies


async def test_passkey_sign_ins_write_nothing_and_log_nothing(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    devices = [authenticator(stack), authenticator(stack)]
    for device, code in zip(devices, await admin_codes(stack, "Badge 2", "Badge 3"), strict=True):
        async with stack.browser() as browser:
            assert (await enroll(browser, device, code)).status_code == 200
    caplog.set_level(logging.DEBUG)
    before = await _snapshot(stack.identity_database)
    pseudonyms = set()
    for _ in range(3):
        for device in devices:
            async with stack.browser() as browser:
                assert (await passkey_sign_in(browser, device)).status_code == 200
                assert (await browser.post("/auth/refresh", json={})).status_code == 200
                pseudonyms.add((await who(stack, browser))["pseudonymousId"])
                await browser.get("/auth/logout")
    assert len(pseudonyms) == 2
    assert await _snapshot(stack.identity_database) == before
    for pseudonym in pseudonyms:
        assert pseudonym not in caplog.text
    for device in devices:
        assert b64url(device.credentials[0].credential_id) not in caplog.text


async def test_refusals_leave_nothing_half_written(stack: Stack) -> None:
    first, second = await admin_codes(stack, "Badge 4", "Badge 5")
    connection = await asyncpg.connect(stack.identity_database)
    try:
        # registration without user verification: refused, and the code still works
        async with stack.browser() as browser:
            refused = await enroll(browser, authenticator(stack, user_verified=False), first)
            assert refused.status_code == 400
            assert "confirm it is you" in refused.json()["error"]
        # made for another website
        async with stack.browser() as browser:
            refused = await enroll(
                browser, authenticator(stack), first, origin="https://evil.example"
            )
            assert refused.status_code == 400
            assert "another website" in refused.json()["error"]
        async with stack.browser() as browser:
            refused = await enroll(browser, authenticator(stack), first, rp_id="evil.example")
            assert refused.status_code == 400
        passkeys_before = await connection.fetchval("SELECT count(*) FROM passkeys")
        device = authenticator(stack)
        async with stack.browser() as browser:
            assert (await enroll(browser, device, first)).status_code == 200
        assert await connection.fetchval("SELECT count(*) FROM passkeys") == passkeys_before + 1

        # an expired code
        await connection.execute(
            "UPDATE enrollment_codes SET expires_on = $1 WHERE label_digest = $2",
            dt.date.today() - dt.timedelta(days=1),
            label_digest("Badge 5"),
        )
        async with stack.browser() as browser:
            expired = await enroll(browser, authenticator(stack), second)
            assert expired.status_code == 400
            assert "expired" in expired.json()["error"]
    finally:
        await connection.close()

    async with stack.browser() as browser:
        options = await browser.post("/auth/passkey/options", json={})
        answer = device.get(options.json())
        assert (await browser.post("/auth/passkey", json={"credential": answer})).status_code == 200
        # the same assertion again (replayed), with the ceremony's cookie put back
        browser.cookies.set("wnwa_passkey", options.cookies["wnwa_passkey"], path="/auth")
        replayed = await browser.post("/auth/passkey", json={"credential": answer})
        assert replayed.status_code == 401
        assert "already answered" in replayed.json()["error"]
    async with stack.browser() as browser:
        # no ceremony at all
        options = await browser.post("/auth/passkey/options", json={})
        browser.cookies.delete("wnwa_passkey")
        stale = await browser.post("/auth/passkey", json={"credential": device.get(options.json())})
        assert stale.status_code == 401
        assert "expired" in stale.json()["error"]
    for wrong in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"}):
        async with stack.browser() as browser:
            refused = await passkey_sign_in(browser, device, **wrong)
            assert refused.status_code == 401
            assert "another website" in refused.json()["error"]
            assert "wnwa_access" not in browser.cookies
    async with stack.browser() as browser:
        other = await passkey_sign_in(browser, device, f"?department={HARLOW.id}")
        assert other.status_code == 401
        assert "another department" in other.json()["error"]
    async with stack.browser() as browser:
        # a user handle that is not this passkey's
        forged = await passkey_sign_in(browser, device, user_handle=bytes(61))
        assert forged.status_code == 401
    async with stack.browser() as browser:
        no_uv = SoftAuthenticator(
            device.origin, user_verified=False, credentials=device.credentials
        )
        refused = await passkey_sign_in(browser, no_uv)
        assert refused.status_code == 401
        assert "confirm it is you" in refused.json()["error"]


async def test_an_sso_officer_adds_a_passkey_and_later_signs_in_while_the_idp_is_down(
    stack: Stack,
) -> None:
    device = authenticator(stack)
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        sso = await who(stack, browser)
        mine = (await browser.get("/auth/passkeys/mine")).json()
        assert mine == {
            "signedInWith": "department",
            "current": None,
            "canAdd": True,
            "periodDays": 30,
        }
        options = await browser.post("/auth/passkeys/add/options", json={})
        added = await browser.post(
            "/auth/passkeys/add", json={"credential": device.create(options.json())}
        )
        assert added.status_code == 200, added.text
        assert added.json()["validUntil"] == (dt.date.today() + dt.timedelta(days=30)).isoformat()

    connection = await asyncpg.connect(stack.identity_database)
    issuer = await connection.fetchval(
        "SELECT issuer FROM identity_providers WHERE organisation_id = $1", HARLOW.id
    )
    try:
        # the department's IdP cannot be reached at all: a passkey sign-in never asks it
        await connection.execute(
            "UPDATE identity_providers SET issuer = 'http://127.0.0.1:9/gone'"
            " WHERE organisation_id = $1",
            HARLOW.id,
        )
        async with stack.browser() as browser:
            signed_in = await passkey_sign_in(browser, device)
            assert signed_in.status_code == 200, signed_in.text
            again = await who(stack, browser)
            assert again["pseudonymousId"] == sso["pseudonymousId"]
            assert again["roles"] == sso["roles"]
            assert (await browser.post("/auth/refresh", json={})).status_code == 200
    finally:
        await connection.execute(
            "UPDATE identity_providers SET issuer = $2 WHERE organisation_id = $1",
            HARLOW.id,
            issuer,
        )
        await connection.close()


async def test_a_lapsed_passkey_is_renewed_by_one_department_sign_in(stack: Stack) -> None:
    device = authenticator(stack)
    async with stack.browser() as browser:
        await sign_in(stack, browser, "marcus.oyelaran@harlow-park.pd.example")
        options = await browser.post("/auth/passkeys/add/options", json={})
        await browser.post("/auth/passkeys/add", json={"credential": device.create(options.json())})
    credential = device.credentials[0].credential_id
    connection = await asyncpg.connect(stack.identity_database)
    try:
        await connection.execute(
            "UPDATE passkeys SET valid_until = $2 WHERE credential_id = $1",
            credential,
            dt.date.today() - dt.timedelta(days=1),
        )
        async with stack.browser() as browser:
            lapsed = await passkey_sign_in(browser, device)
            assert lapsed.status_code == 401
            assert lapsed.json()["renew"] == f"/auth/login?department={HARLOW.id}"
            assert "wnwa_access" not in browser.cookies
            await sign_in(stack, browser, "marcus.oyelaran@harlow-park.pd.example")
        assert await connection.fetchval(
            "SELECT valid_until FROM passkeys WHERE credential_id = $1", credential
        ) == dt.date.today() + dt.timedelta(days=30)
        async with stack.browser() as browser:
            assert (await passkey_sign_in(browser, device)).status_code == 200
    finally:
        await connection.close()


async def test_coordinators_manage_their_own_department_only(stack: Stack) -> None:
    coordinator = await token_of(stack, "priya.castellanos@harlow-park.pd.example")
    codes = await issue_codes(stack, coordinator, str(HARLOW.id), ["OFFICER"], ["Badge 44"])
    assert len(codes) == 1
    own = await graphql(stack, "{ enrollmentCodes { handle roles } }", {}, coordinator)
    assert ["OFFICER"] in [code["roles"] for code in own["data"]["enrollmentCodes"]]
    assert "code" not in str(own["data"]).lower().replace("enrollmentcodes", "")
    elsewhere = await graphql(
        stack,
        ISSUE,
        {"input": {"departmentId": str(KESTREL.id), "roles": ["OFFICER"], "count": 1}},
        coordinator,
    )
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = await graphql(
        stack, ISSUE, {"input": {"roles": ["NETWORK_ADMIN"], "count": 1}}, coordinator
    )
    assert staff["data"]["issueEnrollmentCodes"]["errors"][0]["field"] == "input.roles"
    officer = await token_of(stack, "dana.whitlock@harlow-park.pd.example")
    denied = await graphql(stack, "{ passkeys { id } }", {}, officer)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    civilians_off = await graphql(
        stack,
        ISSUE,
        {"input": {"departmentId": str(WESTMERE.id), "roles": ["CIVILIAN"], "count": 1}},
        admin,
    )
    errors = civilians_off["data"]["issueEnrollmentCodes"]["errors"]
    assert errors == [
        {"field": "input.roles", "message": "Civilian access is not enabled for this department."}
    ]
    bad = await graphql(
        stack,
        ISSUE,
        {"input": {"departmentId": str(KESTREL.id), "roles": ["OFFICER"], "count": 500}},
        admin,
    )
    assert bad["data"]["issueEnrollmentCodes"]["errors"][0]["field"] == "input.count"


async def test_revoked_passkeys_and_inactive_departments_end_passkey_sessions(
    stack: Stack,
) -> None:
    coordinator_code, officer_code = await admin_codes(stack, "Badge 60", "Badge 61")
    device, officer = authenticator(stack), authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, officer, officer_code)).status_code == 200
    async with stack.browser() as browser:
        assert (await enroll(browser, device, coordinator_code)).status_code == 200
    kestrel_admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    async with stack.browser() as officer_browser:
        assert (await passkey_sign_in(officer_browser, officer)).status_code == 200
        revoked = await graphql(
            stack,
            REVOKE,
            {"input": {"departmentId": str(KESTREL.id), "label": "Badge 61"}},
            kestrel_admin,
        )
        assert revoked["data"]["revokePasskeys"] == {"revoked": 1, "errors": []}
        ended = await officer_browser.post("/auth/refresh", json={})
        assert ended.status_code == 401
        assert ended.json() == {"error": "passkey_revoked"}
    async with stack.browser() as browser:
        refused = await passkey_sign_in(browser, officer)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["error"]

    membership = await asyncpg.connect(stack.membership_database)
    try:
        async with stack.browser() as browser:
            assert (await passkey_sign_in(browser, device)).status_code == 200
            await membership.execute(
                "UPDATE departments SET status = 'suspended' WHERE id = $1", KESTREL.id
            )
            ended = await browser.post("/auth/refresh", json={})
            assert ended.status_code == 401
            assert ended.json() == {"error": "department_inactive"}
        async with stack.browser() as browser:
            refused = await passkey_sign_in(browser, device)
            assert "not an active member" in refused.json()["error"]
        # a department that left the network loses every credential it had
        await membership.execute(
            "UPDATE departments SET status = 'lapsed' WHERE id = $1", KESTREL.id
        )
        async with stack.browser() as browser:
            refused = await passkey_sign_in(browser, device)
            assert "no longer a member" in refused.json()["error"]
        identity = await asyncpg.connect(stack.identity_database)
        try:
            left = await identity.fetchval(
                "SELECT count(*) FROM passkeys WHERE organisation_id = $1", KESTREL.id
            )
            codes = await identity.fetchval(
                "SELECT count(*) FROM enrollment_codes WHERE organisation_id = $1", KESTREL.id
            )
        finally:
            await identity.close()
        assert (left, codes) == (0, 0)
    finally:
        await membership.execute(
            "UPDATE departments SET status = 'active' WHERE id = $1", KESTREL.id
        )
        await membership.close()


def test_codes_are_typed_forgivingly_and_hashed() -> None:
    from services.identity.passkeys import credentials as passkeys

    code = passkeys.new_code()
    key = uuid.uuid4().bytes * 2
    variants = [code, code.lower(), code.replace("-", " "), code.replace("1", "l")]
    assert {passkeys.code_digest(key, variant) for variant in variants} == {
        passkeys.code_digest(key, code)
    }
    assert passkeys.normalise_code("too-short") is None
    assert len({passkeys.new_code() for _ in range(1000)}) == 1000


PROPOSE = """
mutation Propose($input: IdentityProviderInput!) {
  proposeIdentityProvider(input: $input) {
    proposal { organisationId issuer emailDomains claimRules { claim value role } }
    errors { field message }
  }
}
"""


async def test_a_coordinator_proposes_the_departments_own_sign_in_and_an_admin_approves(
    stack: Stack,
) -> None:
    # a coordinator of a department without an IdP signs in with a passkey
    (code,) = await admin_codes(stack, "Badge 70", roles=["COORDINATOR", "OFFICER"])
    async with stack.browser() as browser:
        assert (await enroll(browser, authenticator(stack), code)).status_code == 200
        coordinator = browser.cookies["wnwa_access"]
    domain = f"{uuid.uuid4().hex[:10]}.pd.example"
    issuer = stack.evil.tenant_issuer("kestrel-point")  # an issuer no other department uses
    proposal = {
        "organisationId": str(KESTREL.id),
        "displayName": KESTREL.name,
        "issuer": issuer,
        "clientId": "client",
        "clientSecret": "a-client-secret",
        "claimRules": [{"claim": "groups", "value": "sworn", "role": "OFFICER"}],
        "emailDomains": [domain],
    }
    # the page offers the form only where the operators did not declare the sign-in
    set_here = "{ mySignInSetByOperators }"
    mine = await graphql(stack, set_here, {}, coordinator)
    assert mine["data"]["mySignInSetByOperators"] is False
    harlow = await token_of(stack, "priya.castellanos@harlow-park.pd.example")  # in the file
    declared = await graphql(stack, set_here, {}, harlow)
    assert declared["data"]["mySignInSetByOperators"] is True
    refused = await graphql(
        stack, PROPOSE, {"input": {**proposal, "organisationId": str(HARLOW.id)}}, harlow
    )
    assert refused["data"]["proposeIdentityProvider"]["errors"][0]["field"] == (
        "input.organisationId"
    )
    elsewhere = await graphql(
        stack, PROPOSE, {"input": {**proposal, "organisationId": str(HARLOW.id)}}, coordinator
    )
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    no_secret = await graphql(
        stack, PROPOSE, {"input": {**proposal, "clientSecret": None}}, coordinator
    )
    assert no_secret["data"]["proposeIdentityProvider"]["errors"][0]["field"] == (
        "input.clientSecret"
    )
    proposed = await graphql(stack, PROPOSE, {"input": proposal}, coordinator)
    assert proposed["data"]["proposeIdentityProvider"]["errors"] == [], proposed
    assert "a-client-secret" not in str(proposed)

    async with httpx.AsyncClient(base_url=stack.identity_url) as anyone:
        listed = (await anyone.get("/auth/departments")).json()["departments"]
    assert str(KESTREL.id) not in {d["id"] for d in listed}  # not in effect before approval

    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    waiting = await graphql(
        stack, "{ identityProviderProposals { organisationId issuer } }", {}, admin
    )
    assert {"organisationId": str(KESTREL.id), "issuer": issuer} in waiting["data"][
        "identityProviderProposals"
    ]
    denied = await graphql(stack, "{ identityProviderProposals { issuer } }", {}, coordinator)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    approved = await graphql(
        stack,
        "mutation A($id: ID!) { approveIdentityProviderProposal(organisationId: $id) {"
        " provider { organisationId issuer declaredInFile } errors { message } } }",
        {"id": str(KESTREL.id)},
        admin,
    )
    assert approved["data"]["approveIdentityProviderProposal"] == {
        "provider": {
            "organisationId": str(KESTREL.id),
            "issuer": issuer,
            "declaredInFile": False,
        },
        "errors": [],
    }
    async with httpx.AsyncClient(base_url=stack.identity_url) as anyone:
        listed = (await anyone.get("/auth/departments")).json()["departments"]
    assert str(KESTREL.id) in {d["id"] for d in listed}
    mine = await graphql(stack, "{ myIdentityProviderProposal { issuer } }", {}, coordinator)
    assert mine["data"]["myIdentityProviderProposal"] is None
    connection = await asyncpg.connect(stack.identity_database)
    try:  # leave the department without a provider for the other tests
        await connection.execute(
            "DELETE FROM identity_providers WHERE organisation_id = $1", KESTREL.id
        )
    finally:
        await connection.close()


async def test_a_malformed_code_costs_nothing_and_every_try_pays(stack: Stack) -> None:
    async with stack.browser() as browser:
        price = (await browser.get("/auth/enroll/challenge")).json()["maxNumber"]
        for typed in ("x", "0000-0000-0000-0000-000", "", 12):
            refused = await browser.post("/auth/enroll/options", json={"code": typed})
            assert refused.status_code == 400
            assert "20 letters and digits" in refused.json()["error"]
        # nothing was counted: the price is what it was
        assert (await browser.get("/auth/enroll/challenge")).json()["maxNumber"] == price

        guess = {"code": "0000-0000-0000-0000-0000"}
        missing = await browser.post("/auth/enroll/options", json=guess)
        assert (missing.status_code, missing.json()["code"]) == (400, "PROOF_OF_WORK_MISSING")
        assert "Nothing was saved" in missing.json()["error"]
        proof = await code_try_proof(browser)
        wrong = await browser.post("/auth/enroll/options", json={**guess, "proofOfWork": proof})
        assert "does not work" in wrong.json()["error"]
        again = await browser.post("/auth/enroll/options", json={**guess, "proofOfWork": proof})
        assert (again.status_code, again.json()["code"]) == (400, "PROOF_OF_WORK_SPENT")


async def test_a_guesser_at_full_speed_locks_no_one_out(stack: Stack) -> None:
    """Many guesses, each paid for, never keep an officer with a real code from enrolling."""
    (code,) = await admin_codes(stack, "Badge 77")
    stop, many = asyncio.Event(), asyncio.Event()
    guesses = 0

    async def guess() -> None:
        nonlocal guesses
        async with stack.browser() as browser:
            while not stop.is_set():
                proof = await code_try_proof(browser)
                tried = await browser.post(
                    "/auth/enroll/options",
                    json={"code": "0000-0000-0000-0000-0000", "proofOfWork": proof},
                )
                assert "does not work" in tried.json()["error"], tried.text
                guesses += 1
                if guesses >= 40:  # the old allowance was 30 at once
                    many.set()

    guessers = [asyncio.create_task(guess()) for _ in range(3)]
    try:
        await many.wait()
        async with stack.browser() as browser:
            enrolled = await enroll(browser, authenticator(stack), code)
    finally:
        stop.set()
        await asyncio.gather(*guessers)
    assert enrolled.status_code == 200, enrolled.text


async def test_wnwa_issues_the_first_network_admin_code(databases: TemplateDatabases) -> None:
    from services.identity.passkeys import credentials as passkeys
    from services.identity.settings import load

    identity = service_named("identity")
    url = await databases.fresh("identity", identity.migrations)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update({"WNWA_ENV": "test", "WNWA_IDENTITY_DATABASE_URL": url})
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wnwa", "first-admin-code", env=env, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0
    printed = output.decode()
    code = re.search(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}", printed)
    assert code is not None, printed
    settings = load({"WNWA_ENV": "test"})
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT organisation_id, roles, expires_on FROM enrollment_codes"
            " WHERE code_digest = $1",
            passkeys.code_digest(passkeys.code_key(settings.secrets_key.value), code.group()),
        )
        stored = await connection.fetchval("SELECT count(*) FROM enrollment_codes")
    finally:
        await connection.close()
    assert row is not None
    assert row["organisation_id"] == settings.network_id
    assert row["roles"] == ["network_admin"]
    assert row["expires_on"] == dt.date.today() + dt.timedelta(days=14)
    assert stored == 1
    assert code.group() not in str(row)  # only its keyed hash is kept
