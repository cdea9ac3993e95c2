"""identity's tokens verify with servicekit's verifier; keys rotate without sign-outs."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.tokens import JwksCache, TokenVerifier
from tests.conftest import ServiceUnderTest
from tests.support.tokens import ISSUER

SECRET = "dev-service-secret-directory"


async def service_token(identity: ServiceUnderTest, name: str, secret: str) -> Any:
    return await identity.http.post(
        "/auth/service-token", data={"grant_type": "client_credentials"}, auth=(name, secret)
    )


def verifier_for(identity: ServiceUnderTest) -> TokenVerifier:
    async def fetch() -> Any:
        response = await identity.http.get("/.well-known/jwks.json")
        return response.json()

    return TokenVerifier(JwksCache(fetch, min_refetch_interval=0), issuer=ISSUER, audience="wnwa")


async def test_service_tokens_verify_with_servicekit(identity: ServiceUnderTest) -> None:
    response = await service_token(identity, "directory", SECRET)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    principal = await verifier_for(identity).verify(body["access_token"])
    assert principal.subject == "service:directory"
    assert principal.roles == frozenset({"service"})
    assert principal.department_id == ""


@pytest.mark.parametrize(("name", "secret"), [("directory", "wrong-secret-123456"), ("x", SECRET)])
async def test_service_tokens_need_the_right_credentials(
    identity: ServiceUnderTest, name: str, secret: str
) -> None:
    response = await service_token(identity, name, secret)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


async def test_issuer_metadata_points_at_the_keys(identity: ServiceUnderTest) -> None:
    document = (await identity.http.get("/.well-known/openid-configuration")).json()
    assert document["issuer"] == ISSUER
    assert document["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    keys = (await identity.http.get("/.well-known/jwks.json")).json()["keys"]
    assert [key["alg"] for key in keys] == ["ES256", "ES256"]  # the signer and the next
    assert all("d" not in key for key in keys)
