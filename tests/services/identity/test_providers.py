"""Network admins manage identity providers; bad configurations are refused with reasons."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from services.identity.providers import ProvidersFileError, load_file
from tests.services.identity.conftest import Stack, sign_in

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

SAVE = """
mutation Save($input: IdentityProviderInput!) {
  saveIdentityProvider(input: $input) {
    provider { organisationId issuer clientId scopes emailDomains declaredInFile
               claimRules { claim value role } }
    errors { field message }
  }
}
"""
NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")
# a member department without a provider of its own
MARROW_BLUFF = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Marrow Bluff"))


async def graphql(stack: Stack, query: str, variables: Any, token: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.identity_url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return answer


async def token_of(stack: Stack, email: str) -> str:
    async with stack.browser() as browser:
        await sign_in(stack, browser, email)
        return str(browser.cookies["wnwa_access"])


def provider_input(stack: Stack, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "organisationId": str(MARROW_BLUFF.id),
        "displayName": "Test Police Department",
        # a tenant of the test provider that no organisation signs in with yet
        "issuer": stack.evil.tenant_issuer(f"t-{uuid.uuid4().hex[:12]}"),
        "clientId": "client",
        "clientSecret": "a-client-secret",
        "claimRules": [{"claim": "groups", "value": "sworn", "role": "OFFICER"}],
        "emailDomains": [f"{uuid.uuid4().hex[:12]}.pd.example"],
    }
    values.update(overrides)
    return values


async def test_only_network_admins_manage_providers(stack: Stack) -> None:
    vetter = await token_of(stack, "morgan.ellery@staff.wnwa.example")
    answer = await graphql(stack, SAVE, {"input": provider_input(stack)}, vetter)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listing = await graphql(stack, "{ identityProviders { issuer } }", {}, vetter)
    assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_admin_saves_a_checked_provider_and_never_sees_its_secret(stack: Stack) -> None:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    saved = await graphql(stack, SAVE, {"input": provider_input(stack)}, admin)
    payload = saved["data"]["saveIdentityProvider"]
    assert payload["errors"] == []
    assert payload["provider"]["declaredInFile"] is False
    listing = await graphql(
        stack, "{ identityProviders { issuer clientId declaredInFile } }", {}, admin
    )
    assert "a-client-secret" not in str(listing)
    assert len(listing["data"]["identityProviders"]) == 7
    rotated = await graphql(
        stack, "mutation { rotateSigningKey { activeKid publishedKids } }", {}, admin
    )
    rotation = rotated["data"]["rotateSigningKey"]
    assert len(rotation["publishedKids"]) == 3  # next, new signer, previous
    # the admin's token, signed by the previous key, still works after the rotation
    assert "errors" not in await graphql(stack, "{ me { roles } }", {}, admin)


@pytest.mark.parametrize(
    ("overrides", "mode", "field", "message"),
    [
        ({"issuer": "ftp://x"}, "honest", "input.issuer", "must use https"),
        ({"scopes": ["profile"]}, "honest", "input.scopes", "must include `openid`"),
        ({"claimRules": []}, "honest", "input.claimRules", "at least one rule"),
        (
            {"claimRules": [{"claim": "groups", "value": "x", "role": "NETWORK_ADMIN"}]},
            "honest",
            "input.claimRules.0.role",
            "may grant only",
        ),
        ({"emailDomains": ["not a domain"]}, "honest", "input.emailDomains", "not a domain"),
        ({"emailDomains": ["fenwood.pd.example"]}, "honest", "input.emailDomains", "another"),
        ({"organisationId": "network"}, "honest", "input.organisationId", "providers file"),
        (
            {"organisationId": "7d1c4e36-0d55-4d7e-9a0e-3c1f1f3f0001"},
            "honest",
            "input.organisationId",
            "knows no department",
        ),
        ({"issuer": "EVIL/"}, "honest", "input.issuer", "must match exactly"),
        ({}, "no_pkce", "input.issuer", "PKCE with S256"),
        ({"issuer": "http://127.0.0.1:9/x"}, "honest", "input.issuer", "could not be fetched"),
    ],
)
async def test_bad_configurations_are_refused(
    stack: Stack, overrides: dict[str, Any], mode: str, field: str, message: str
) -> None:
    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    if overrides.get("issuer") == "EVIL/":
        overrides = {"issuer": stack.evil.issuer + "/"}
    stack.evil.mode = mode
    try:
        answer = await graphql(stack, SAVE, {"input": provider_input(stack, **overrides)}, admin)
    finally:
        stack.evil.mode = "honest"
    assert answer.get("data"), answer
    payload = answer["data"]["saveIdentityProvider"]
    assert payload["provider"] is None
    errors = {error["field"]: error["message"] for error in payload["errors"]}
    assert field in errors, errors
    assert message in errors[field]


def test_a_bad_providers_file_stops_the_start_with_its_reasons(tmp_path: Path) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(
        '[[provider]]\norganisation = "nope"\ndisplay_name = "X"\nissuer = "http://x.example"\n'
        'client_id = "c"\nclient_secret_env = "UNSET_VARIABLE"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProvidersFileError) as refused:
        load_file(path, network_id=NETWORK, allow_http_loopback=True, environ={})
    text = str(refused.value)
    assert "UNSET_VARIABLE is unset" in text
    assert "provider[0].organisation" in text
    assert "provider[0].issuer: The issuer must use https" in text


async def test_the_sign_in_picker_lists_enabled_departments_only(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.identity_url) as browser:
        response = await browser.get("/auth/departments")
    assert response.status_code == 200
    departments = response.json()["departments"]
    names = [d["name"] for d in departments]
    assert "Harlow Park Police Department" in names
    assert "Wrenfield Police Department" not in names  # a prospect, not a member yet
    assert names == sorted(names)
    assert all(set(d) == {"id", "name"} for d in departments)  # names only, nothing else
    assert not any("network" in name.lower() for name in names)  # staff sign in by their link
