"""Memory that forgets: caches of tokens drop each entry when it expires, by a timer, whether
or not anything else happens in the process. (Spent sign-in states and ceremonies and
signed-out sessions are ephemeral marks: tests/servicekit/test_ephemeral.py.)"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from servicekit.tokens import JwksCache, TokenVerifier, http_jwks_fetcher
from tests.support.tokens import ISSUER, TokenIssuer

pytestmark = pytest.mark.slow  # waits for entries to expire on real timers


async def test_a_verified_token_is_forgotten_when_it_expires(issuer: TokenIssuer) -> None:
    async with aiohttp.ClientSession() as session:
        verifier = TokenVerifier(
            JwksCache(http_jwks_fetcher(session, issuer.jwks_url)),
            issuer=ISSUER,
            audience="wnwa",
        )
        token = issuer.token("officer", lifetime=2)
        principal = await verifier.verify(token)
        assert verifier.cached() == 1
        assert token not in repr(vars(verifier))  # kept by digest, never the token itself
        # nothing else happens in the process: the entry still goes at the token's expiry
        await asyncio.sleep(max(0.0, int(time.time()) + 2 - time.time()) + 1.2)
        assert verifier.cached() == 0
        assert principal.subject not in repr(vars(verifier))
