"""Access tokens are fully verified; a bad one never becomes a principal."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey

from servicekit.tokens import InvalidToken, JwksCache, Principal, TokenVerifier
from tests.support.tokens import ISSUER, TokenIssuer


def verifier_for(issuer: TokenIssuer, **kwargs: Any) -> TokenVerifier:
    async def fetch() -> Mapping[str, Any]:
        return issuer.keys.as_dict(private=False)

    return TokenVerifier(JwksCache(fetch, **kwargs), issuer=ISSUER, audience="wnwa")


async def test_a_valid_token_becomes_a_principal_with_known_roles_only(
    issuer: TokenIssuer,
) -> None:
    token = issuer.token("officer", "peer_supporter", "root", department="d-1", subject="p-1")
    principal = await verifier_for(issuer).verify(token)
    assert principal == Principal(
        subject="p-1", department_id="d-1", roles=frozenset({"officer", "peer_supporter"})
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "not valid"),
        ({"iss": "http://evil.test"}, "not valid"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": None}, "not valid"),
        ({"iat": None}, "not valid"),
        ({"dept": None}, "no department"),
        ({"roles": "officer"}, "roles are malformed"),
    ],
)
async def test_claims_are_checked(
    issuer: TokenIssuer, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidToken, match=message):
        await verifier_for(issuer).verify(issuer.token("officer", **overrides))


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_unsigned_and_forged_tokens_are_refused(issuer: TokenIssuer) -> None:
    verifier = verifier_for(issuer)
    genuine = issuer.token("officer")
    header, payload, _ = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    unsigned = f"{_segment({'alg': 'none', 'kid': issuer.key.kid})}.{payload}."
    with pytest.raises(InvalidToken):
        await verifier.verify(unsigned)

    claims["roles"] = ["network_admin"]
    tampered = f"{header}.{_segment(claims)}.{genuine.split('.')[2]}"
    with pytest.raises(InvalidToken):
        await verifier.verify(tampered)

    other_key = ECKey.generate_key("P-256", parameters={"kid": str(issuer.key.kid)})
    forged = jwt.encode({"alg": "ES256", "kid": issuer.key.kid}, claims, KeySet([other_key]))
    with pytest.raises(InvalidToken):
        await verifier.verify(forged)

    # HMAC signed with the public key's JSON as the secret (algorithm confusion)
    secret = OctKey.import_key(json.dumps(issuer.key.as_dict(private=False)).encode())
    confused = jwt.encode({"alg": "HS256", "kid": issuer.key.kid}, claims, secret)
    with pytest.raises(InvalidToken, match="algorithm"):
        await verifier.verify(confused)

    with pytest.raises(InvalidToken, match="malformed"):
        await verifier.verify("not.a.token")


async def test_unknown_key_ids_refetch_at_most_once_per_interval() -> None:
    fetches = 0
    rotated = ECKey.generate_key("P-256", parameters={"kid": "rotated"})
    published = KeySet([ECKey.generate_key("P-256", parameters={"kid": "first"})])

    async def fetch() -> Mapping[str, Any]:
        nonlocal fetches
        fetches += 1
        return published.as_dict(private=False)

    verifier = TokenVerifier(
        JwksCache(fetch, min_refetch_interval=3600), issuer=ISSUER, audience="wnwa"
    )
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "wnwa",
        "sub": "s",
        "dept": "d",
        "roles": [],
        "iat": now,
        "exp": now + 60,
    }
    unknown = jwt.encode({"alg": "ES256", "kid": "rotated"}, claims, KeySet([rotated]))
    for _ in range(5):
        with pytest.raises(InvalidToken, match="unknown key"):
            await verifier.verify(unknown)
    assert fetches == 1


async def test_a_rotated_key_is_picked_up_without_restart() -> None:
    old = ECKey.generate_key("P-256", parameters={"kid": "old"})
    new = ECKey.generate_key("P-256", parameters={"kid": "new"})
    published = [old]

    async def fetch() -> Mapping[str, Any]:
        return KeySet(list(published)).as_dict(private=False)

    verifier = TokenVerifier(
        JwksCache(fetch, min_refetch_interval=0), issuer=ISSUER, audience="wnwa"
    )
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "wnwa",
        "sub": "s",
        "dept": "d",
        "roles": [],
        "iat": now,
        "exp": now + 60,
    }
    await verifier.verify(jwt.encode({"alg": "ES256", "kid": "old"}, claims, KeySet([old])))
    published.append(new)
    principal = await verifier.verify(
        jwt.encode({"alg": "ES256", "kid": "new"}, claims, KeySet([new]))
    )
    assert principal.subject == "s"


@pytest.mark.slow  # waits for a token to expire
async def test_a_verified_token_is_remembered_only_until_it_expires(issuer: TokenIssuer) -> None:
    async def fetch() -> Mapping[str, Any]:
        return issuer.keys.as_dict(private=False)

    verifier = TokenVerifier(JwksCache(fetch), issuer=ISSUER, audience="wnwa", leeway_seconds=0)
    token = issuer.token("officer", lifetime=2)  # `exp` is whole seconds: 1 to 2 s from now
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # remembered: no second signature check
    await asyncio.sleep(2.2)
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(token)  # past `exp` it is checked again, and refused


async def test_at_most_so_many_verified_tokens_are_remembered(issuer: TokenIssuer) -> None:
    async def fetch() -> Mapping[str, Any]:
        return issuer.keys.as_dict(private=False)

    verifier = TokenVerifier(JwksCache(fetch), issuer=ISSUER, audience="wnwa", max_remembered=2)
    tokens = [issuer.token("officer", subject=f"s{n}") for n in range(3)]
    for token in tokens:
        await verifier.verify(token)
    assert verifier.cached() == 2
    # the third is still verified, every time, and still becomes its principal
    assert (await verifier.verify(tokens[2])).subject == "s2"
    assert verifier.cached() == 2
