"""Access tokens are fully verified; a bad one never becomes a principal."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
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


async def test_a_token_says_when_a_passkey_with_a_last_day_opened_its_session(
    issuer: TokenIssuer,
) -> None:
    verifier = verifier_for(issuer)
    limited = await verifier.verify(issuer.token("coordinator", passkey_limited=True))
    assert limited.passkey_limited is True
    assert (await verifier.verify(issuer.token("coordinator"))).passkey_limited is False


@dataclass(frozen=True)
class FromNow:
    """A time claim this many seconds from when the test runs (not from its collection: a
    long suite runs a test many minutes after it was collected)."""

    seconds: int


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "not valid"),
        ({"iss": "http://evil.test"}, "not valid"),
        ({"exp": FromNow(-120)}, "expired"),
        ({"exp": None}, "not valid"),
        ({"exp": True}, "not valid"),
        ({"exp": "9999999999"}, "not valid"),
        ({"iat": None}, "not valid"),
        ({"iat": FromNow(600)}, "not valid"),  # issued in the future
        ({"nbf": FromNow(600)}, "not valid"),  # not valid yet
        ({"nbf": "now"}, "not valid"),
        ({"aud": ["other", "someone-else"]}, "not valid"),
        ({"dept": None}, "no department"),
        ({"roles": "officer"}, "roles are malformed"),
        ({"passkey_limited": "yes"}, "not valid"),
    ],
)
async def test_claims_are_checked(
    issuer: TokenIssuer, overrides: dict[str, Any], message: str
) -> None:
    claims: dict[str, Any] = {
        name: int(time.time()) + value.seconds if isinstance(value, FromNow) else value
        for name, value in overrides.items()
    }
    with pytest.raises(InvalidToken, match=message):
        await verifier_for(issuer).verify(issuer.token("officer", **claims))


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

    # the one form identity issues, and nothing looser
    signature = genuine.split(".")[2]
    for spelled in (
        f"{header}.{payload}.{signature[:10]}*{signature[10:]}",  # a character outside base64url
        f"{header}.{payload}.{signature}==",  # padding
        f"{header}.{payload}",
        f"{header}.{payload}.{signature}.{signature}",
    ):
        with pytest.raises(InvalidToken, match="malformed"):
            await verifier.verify(spelled)
    short = base64.urlsafe_b64encode(b"\x01" * 63).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="not valid"):
        await verifier.verify(f"{header}.{payload}.{short}")
    original = json.loads(base64.urlsafe_b64decode(header + "=="))
    assert await verifier.verify(_signed(issuer, original, payload))  # the way of signing holds
    for extension in ({"crit": ["exp"], "exp": 1}, {"b64": False, "crit": ["b64"]}):
        extended = _signed(issuer, {**original, **extension}, payload)
        with pytest.raises(InvalidToken, match="not valid"):
            await verifier.verify(extended)


def _signed(issuer: TokenIssuer, header: dict[str, Any], payload: str) -> str:
    """A token with ``header``, truly signed by the issuer's key (ES256, raw r and s)."""
    signing_input = f"{_segment(header)}.{payload}"
    private = issuer.key.private_key
    assert private is not None
    der = private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}"


async def test_an_audience_list_that_names_this_service_is_accepted(issuer: TokenIssuer) -> None:
    token = issuer.token("officer", aud=["wnwa", "another"], subject="p-2")
    assert (await verifier_for(issuer).verify(token)).subject == "p-2"


async def test_a_key_on_another_curve_is_never_used() -> None:
    wrong_curve = ECKey.generate_key("P-384", parameters={"kid": "k"})

    async def fetch() -> Mapping[str, Any]:
        return KeySet([wrong_curve]).as_dict(private=False)

    verifier = TokenVerifier(JwksCache(fetch), issuer=ISSUER, audience="wnwa")
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "wnwa", "sub": "s", "dept": "d", "roles": []}
    token = jwt.encode(
        {"alg": "ES384", "kid": "k"},
        {**claims, "iat": now, "exp": now + 60},
        KeySet([wrong_curve]),
        algorithms=["ES384"],
    )
    with pytest.raises(InvalidToken, match="algorithm"):
        await verifier.verify(token)
    relabelled = ".".join([_segment({"alg": "ES256", "kid": "k"}), *token.split(".")[1:]])
    with pytest.raises(InvalidToken, match="unknown key"):
        await verifier.verify(relabelled)


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
