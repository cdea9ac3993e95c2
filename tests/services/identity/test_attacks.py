"""A provider that misbehaves, or an attacker in the middle: each is refused, nothing issued."""

from __future__ import annotations

import httpx
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from tests.services.identity.conftest import Stack, query_of

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

REFUSED = "We could not sign you in"


async def start(browser: httpx.AsyncClient) -> str:
    """Begin a sign-in at the misbehaving provider; returns identity's callback URL."""
    response = await browser.post("/auth/login", data={"email": "x@evil.pd.example"})
    assert response.status_code == 303
    answer = await browser.get(response.headers["location"])
    assert answer.status_code == 303
    return str(answer.headers["location"])


def assert_refused(response: httpx.Response, browser: httpx.AsyncClient, reason: str) -> None:
    assert response.status_code == 400
    assert REFUSED in response.text
    assert reason in response.text
    assert "wnwa_access" not in browser.cookies
    assert "wnwa_session" not in browser.cookies


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("bad_signature", "signature is not valid"),
        ("alg_none", "algorithm is not accepted"),
        ("hmac_with_public_key", "algorithm is not accepted"),
        ("unknown_kid", "key the provider does not publish"),
        ("wrong_iss", "different provider"),
        ("wrong_aud", "different client"),
        ("expired", "has expired"),
        ("missing_nonce", "nonce mismatch"),
        ("wrong_nonce", "nonce mismatch"),
    ],
)
async def test_a_bad_id_token_is_refused(stack: Stack, mode: str, reason: str) -> None:
    stack.evil.mode = mode
    try:
        async with stack.browser() as browser:
            callback = await start(browser)
            assert_refused(await browser.get(callback), browser, reason)
    finally:
        stack.evil.mode = "honest"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_at_hash", "does not belong to the access token"),
        ("not_yet_valid", "not valid yet"),
    ],
)
async def test_authlib_refuses_what_its_id_token_claims_forbid(
    stack: Stack, mode: str, reason: str
) -> None:
    """at_hash and nbf are checked by authlib's `CodeIDToken`, not by this project's code."""
    stack.evil.mode = mode
    try:
        async with stack.browser() as browser:
            callback = await start(browser)
            assert_refused(await browser.get(callback), browser, reason)
    finally:
        stack.evil.mode = "honest"


async def test_the_honest_provider_works(stack: Stack) -> None:
    async with stack.browser() as browser:
        answer = await browser.get(await start(browser))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
        assert "wnwa_access" in browser.cookies


async def test_an_unknown_kid_refetches_the_keys_at_most_once_a_minute(stack: Stack) -> None:
    stack.evil.mode = "unknown_kid"
    try:
        before = stack.evil.jwks_requests
        for _ in range(3):
            async with stack.browser() as browser:
                await browser.get(await start(browser))
        assert stack.evil.jwks_requests - before <= 1
    finally:
        stack.evil.mode = "honest"


async def test_a_replayed_callback_is_refused(stack: Stack) -> None:
    async with stack.browser() as browser:
        callback = await start(browser)
        cookie = browser.cookies["wnwa_signin"]
        first = await browser.get(callback)
        assert first.status_code == 303
    async with stack.browser() as attacker:
        attacker.cookies.set("wnwa_signin", cookie, path="/auth")
        replay = await attacker.get(callback)
        assert_refused(replay, attacker, "already completed")


async def test_a_wrong_or_missing_state_is_refused(stack: Stack) -> None:
    async with stack.browser() as browser:
        callback = await start(browser)
        params = query_of(callback)
        wrong = await browser.get("/auth/callback", params={**params, "state": "forged"})
        assert_refused(wrong, browser, "does not belong to the sign-in you started")
    async with stack.browser() as stranger:
        # no sign-in cookie at all: a callback this browser never started
        assert_refused(await stranger.get(callback), stranger, "started in another browser")


async def test_a_code_without_the_matching_pkce_verifier_is_useless(stack: Stack) -> None:
    async with stack.browser() as attacker, stack.browser() as victim:
        stolen = query_of(await start(attacker))
        victims = query_of(await start(victim))
        injected = await victim.get("/auth/callback", params={**victims, "code": stolen["code"]})
        assert_refused(injected, victim, "refused to redeem")


async def test_the_dev_idp_requires_the_pkce_verifier(stack: Stack) -> None:
    async with stack.browser() as browser:
        response = await browser.post("/auth/login", data={"department": _harlow_park()})
        authorize = response.headers["location"]
        page = await browser.get(authorize)
        assert page.status_code == 200
        fields = {**query_of(authorize), "account": "dana.whitlock"}
        answer = await browser.post(authorize.split("?")[0], data=fields)
        code = query_of(answer.headers["location"])["code"]
        token = await browser.post(
            f"{stack.devidp_url}/harlow-park/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": fields["redirect_uri"],
            },
            auth=("wnwa-harlow-park", "dev-secret-harlow-park"),
        )
        assert token.status_code == 400
        assert token.json() == {"error": "invalid_grant"}


async def test_an_answer_from_another_provider_is_refused(stack: Stack) -> None:
    """Mix-up: the browser was sent to one provider; the answer claims another issuer."""
    async with stack.browser() as browser:
        params = query_of(await start(browser))
        mixed = await browser.get(
            "/auth/callback", params={**params, "iss": f"{stack.devidp_url}/harlow-park"}
        )
        assert_refused(mixed, browser, "different identity provider")


def _harlow_park() -> str:
    return str(next(d.id for d in DEMO_DEPARTMENTS if d.name.startswith("Harlow Park")))
