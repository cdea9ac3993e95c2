"""A test OpenID Provider that misbehaves on purpose, one way at a time.

Every path segment is a tenant with an issuer of its own (``{base}/{tenant}``), as realms
of one real provider: ``evil`` is the one the providers file names; tests that need an
issuer nobody uses yet take a fresh tenant.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import unquote_plus, urlencode

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID, CLIENT_SECRET = "evil-client", "evil-secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class MisbehavingProvider:
    """Answers the code flow correctly unless ``mode`` names the one thing to get wrong."""

    def __init__(self) -> None:
        self.base_url = ""
        self.mode = "honest"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "evil-1"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "evil-1"})
        self.grants: dict[str, dict[str, str]] = {}
        self.jwks_requests = 0
        # claims the next ID tokens carry besides the usual ones (e.g. a department claim)
        self.claims: dict[str, Any] = {}
        # tenant -> barrier its discovery requests wait at (to line up concurrent requests)
        self.gates: dict[str, asyncio.Barrier] = {}
        # how the last token request authenticated: (how, client id, secret)
        self.client_auth: tuple[str, str, str] | None = None

    @property
    def issuer(self) -> str:
        return self.tenant_issuer("evil")

    def tenant_issuer(self, tenant: str) -> str:
        return f"{self.base_url}/{tenant}"

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{tenant}/.well-known/openid-configuration", self.discovery),
                Route("/{tenant}/jwks", self.jwks),
                Route("/{tenant}/authorize", self.authorize),
                Route("/{tenant}/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        gate = self.gates.get(tenant)
        if gate is not None:
            await gate.wait()
        issuer = self.tenant_issuer(tenant)
        pkce = [] if self.mode == "no_pkce" else ["S256"]
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": pkce,
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.jwks_requests += 1
        return JSONResponse({"keys": [{**self.key.as_dict(private=False), "use": "sig"}]})

    async def authorize(self, request: Request) -> Response:
        """Signs in "victim" at once: no page, straight back with a code."""
        params = request.query_params
        code = secrets.token_urlsafe(16)
        self.grants[code] = {
            "issuer": self.tenant_issuer(request.path_params["tenant"]),
            "challenge": params["code_challenge"],
            "nonce": params.get("nonce", ""),
            "redirect_uri": params["redirect_uri"],
        }
        answer = {"code": code, "state": params["state"]}
        if self.mode != "no_iss":
            answer["iss"] = self.tenant_issuer(request.path_params["tenant"])
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(answer)}", status_code=303)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        self.client_auth = _client_auth(request.headers.get("authorization", ""), form)
        grant = self.grants.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        if grant is None:
            return JSONResponse({"error": "invalid_grant"}, 400)
        # a careful provider checks PKCE; this one does, so a stolen code is useless
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, 400)
        return JSONResponse(
            {"access_token": "x", "token_type": "Bearer", "id_token": self.id_token(grant)}
        )

    def id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": grant["issuer"],
            "aud": CLIENT_ID,
            "sub": "victim-upstream-subject",
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "email": "victim@evil.pd.example",
            "groups": ["sworn"],
            **self.claims,
        }
        header: dict[str, Any] = {"alg": "RS256", "kid": "evil-1"}
        key: Any = self.key
        mode = self.mode
        if mode == "wrong_iss":
            claims["iss"] = "https://other.example"
        elif mode == "iss_trailing_slash":
            claims["iss"] = grant["issuer"] + "/"
        elif mode == "iss_other_case":
            claims["iss"] = grant["issuer"].upper()
        elif mode == "wrong_azp":
            claims["azp"] = "someone-else"
        elif mode == "audiences_without_azp":
            claims["aud"] = [CLIENT_ID, "someone-else"]
        elif mode == "wrong_aud":
            claims["aud"] = "someone-else"
        elif mode == "expired":
            claims["iat"], claims["exp"] = now - 4000, now - 3600
        elif mode == "missing_nonce":
            del claims["nonce"]
        elif mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif mode == "wrong_at_hash":
            claims["at_hash"] = _b64(hashlib.sha256(b"another access token").digest()[:16])
        elif mode == "not_yet_valid":
            claims["nbf"] = now + 3600
        elif mode == "bad_signature":
            key = self.other_key
        elif mode == "unknown_kid":
            header["kid"] = "evil-2"
        elif mode == "alg_none":
            body = _b64(json.dumps(claims).encode())
            return f"{_b64(json.dumps({'alg': 'none'}).encode())}.{body}."
        elif mode == "hmac_with_public_key":
            secret = json.dumps(self.key.as_dict(private=False)).encode()
            header = {"alg": "HS256", "kid": "evil-1"}
            return jwt.encode(header, claims, OctKey.import_key(secret), algorithms=["HS256"])
        return jwt.encode(header, claims, key)


def _client_auth(header: str, form: Any) -> tuple[str, str, str]:
    """How the client authenticated: HTTP Basic (RFC 6749 §2.3.1: each part form-encoded)
    or the form."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        name, _, secret = base64.b64decode(value).decode().partition(":")
        return "client_secret_basic", unquote_plus(name), unquote_plus(secret)
    return "client_secret_post", str(form.get("client_id")), str(form.get("client_secret"))
