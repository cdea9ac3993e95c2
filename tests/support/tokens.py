"""A token issuer for tests: an ES256 key served as a JWKS over real HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

ISSUER = "http://issuer.test"


class TokenIssuer:
    """Signs platform access tokens the way identity does; serves its public JWKS."""

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256", parameters={"kid": f"test-{uuid.uuid4().hex[:8]}"})
        self.keys = KeySet([self.key])
        self.jwks_url = ""
        self.jwks_requests = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/jwks.json", self._jwks)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.jwks_url = f"http://127.0.0.1:{port}/.well-known/jwks.json"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_requests += 1
        return web.json_response(self.keys.as_dict(private=False))

    def token(
        self,
        *roles: str,
        department: uuid.UUID | str | None = None,
        subject: str | None = None,
        lifetime: int = 300,
        **overrides: Any,
    ) -> str:
        """A signed token; ``overrides`` replace or add claims (None removes one)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": "wnwa",
            "sub": subject or uuid.uuid4().hex,
            "dept": str(department or uuid.uuid4()),
            "roles": list(roles),
            "iat": now,
            "exp": now + lifetime,
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.keys)

    def roles_token(self, roles: Iterable[str], department: uuid.UUID | str) -> str:
        return self.token(*roles, department=department)
