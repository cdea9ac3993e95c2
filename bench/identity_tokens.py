"""identity: the callback's own cost (no provider time) and token verification per request.

Run: .venv/bin/python bench/identity_tokens.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import aiohttp
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from servicekit.pseudonyms import derive_key, pairwise_subject
from servicekit.tokens import JwksCache, TokenVerifier
from services.identity import cookies
from services.identity.admission import Standing, admit, roles_from_claims
from services.identity.issuing import TokenIssuer
from services.identity.keys import KeyRing
from services.identity.oidc import ProviderMetadata, RelyingParty, _CachedKeys
from services.identity.sealing import SecretBox
from services.identity.store import ClaimRule

N = 2000


def per_call(label: str, seconds: float, n: int) -> None:
    print(f"{label:<58} {seconds / n * 1e6:8.1f} µs")


async def main() -> None:
    idp_key = RSAKey.generate_key(2048, parameters={"kid": "bench"})
    issuer = "https://idp.example/realm"
    metadata = ProviderMetadata(
        issuer, f"{issuer}/a", f"{issuer}/t", f"{issuer}/k", None, ("RS256",), (), True
    )
    box = SecretBox(derive_key("x" * 32, "cookies"))
    pseudonym_key = derive_key("y" * 32, "pseudonym")
    signer = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    ring = KeyRing(box, token_lifetime=dt.timedelta(minutes=10), key_age=dt.timedelta(days=30))
    ring._signer, ring._published = signer, [signer.as_dict(private=False)]
    tokens = TokenIssuer(ring, issuer="https://id.example", audience="wnwa", lifetime_seconds=600)
    rules = [ClaimRule("groups", "sworn", "officer"), ClaimRule("groups", "peer", "peer_supporter")]
    async with aiohttp.ClientSession() as session:
        rp = RelyingParty(session, allow_http_loopback=False)
        rp._keys[issuer] = _CachedKeys(KeySet([idp_key]), time.monotonic())
        now = int(time.time())
        id_token = jwt.encode(
            {"alg": "RS256", "kid": "bench"},
            {
                "iss": issuer,
                "aud": "c",
                "sub": "s",
                "iat": now,
                "exp": now + 300,
                "nonce": "n",
                "groups": ["sworn"],
            },
            idp_key,
        )
        flight = cookies.SignInState("s", "n", "v", "org", issuer, time.time() + 600)
        sealed_flight = cookies.seal_sign_in(box, flight)
        started = time.perf_counter()
        for _ in range(N):
            opened = cookies.open_sign_in(box, sealed_flight, now=time.time())
            assert opened is not None
            claims: dict[str, Any] = await rp.verify_id_token(
                id_token, metadata, client_id="c", nonce=opened.nonce
            )
            roles = admit(
                roles_from_claims(claims, rules),
                is_network=False,
                standing=Standing(active=True, civilians_enrolled=True),
            )
            subject = pairwise_subject(
                pseudonym_key, department_id="org", issuer=issuer, subject=claims["sub"]
            )
            tokens.access_token(subject=subject, department="org", roles=roles)
            cookies.seal_session(box, cookies.Session(subject, "org", roles, time.time() + 3600))
        per_call(
            "callback, own work (cookie, ID token RS256, admit, sign)",
            time.perf_counter() - started,
            N,
        )

    async def fetch() -> Any:
        return ring.jwks()

    verifier = TokenVerifier(JwksCache(fetch), issuer="https://id.example", audience="wnwa")
    fresh = [
        tokens.access_token(subject=f"{i:043d}", department="org", roles=["officer"]).token
        for i in range(N)
    ]
    await verifier.verify(fresh[0])  # the key set is fetched once
    started = time.perf_counter()
    for token in fresh[1:]:
        await verifier.verify(token)
    per_call(
        "token verification, a token not seen before (signature, claims)",
        time.perf_counter() - started,
        N - 1,
    )
    token = fresh[0]
    started = time.perf_counter()
    for _ in range(N):
        await verifier.verify(token)
    per_call(
        "token verification, the same session's next requests (remembered until exp)",
        time.perf_counter() - started,
        N,
    )
    started = time.perf_counter()
    for _ in range(N):
        tokens.access_token(subject="x" * 43, department="org", roles=["officer"])
    per_call("access token signing (ES256)", time.perf_counter() - started, N)


if __name__ == "__main__":
    asyncio.run(main())
