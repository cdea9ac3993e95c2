"""The whole sign-in over real HTTP: identity, the development IdP and membership."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from servicekit.tokens import JwksCache, TokenVerifier, http_jwks_fetcher
from tests.services.identity.conftest import Stack, sign_in

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

ME = "{ me { pseudonymousId roles department { id } } }"


async def me(stack: Stack, token: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.identity_url}/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return answer


async def test_an_officer_signs_in_and_every_service_can_verify_the_token(stack: Stack) -> None:
    async with stack.browser() as browser:
        landing = await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        assert landing.url.path == "/"
        token = browser.cookies["wnwa_access"]
        assert "wnwa_session" in browser.cookies
        assert "wnwa_signin" not in browser.cookies
    async with aiohttp.ClientSession() as session:
        verifier = TokenVerifier(
            JwksCache(http_jwks_fetcher(session, f"{stack.identity_url}/.well-known/jwks.json")),
            issuer=stack.identity_url,
            audience="wnwa",
        )
        principal = await verifier.verify(token)
    assert principal.roles == frozenset({"officer"})
    answer = await me(stack, token)
    assert answer["data"] == {
        "me": {
            "pseudonymousId": principal.subject,
            "roles": ["OFFICER"],
            "department": {"id": principal.department_id},
        }
    }


async def test_a_sign_in_leaves_no_log_line(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """Not identity's, nor its HTTP clients' (httpx2 would log each token request at INFO,
    naming the department's provider: a sign-in log)."""
    caplog.set_level(logging.DEBUG)
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        assert "wnwa_access" in browser.cookies
    # the test's own browser, and the test servers' (production runs without access logs)
    client_side = ("httpx", "httpcore", "asyncio", "uvicorn")
    logged = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.name.split(".")[0] not in client_side
    ]
    assert logged == []
