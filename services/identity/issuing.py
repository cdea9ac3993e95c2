"""The platform's access tokens: user tokens after sign-in, and service tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from servicekit.clock import SYSTEM_CLOCK, Clock

from .keys import KeyRing

SERVICE_TOKEN_SECONDS = 300


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int


class TokenIssuer:
    """Signs ``iss``/``aud``/``exp``/``iat``/``sub``/``dept``/``roles`` tokens (and
    ``passkey_limited`` for a session opened with a passkey that has a last day), nothing
    more."""

    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        audience: str,
        lifetime_seconds: int,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.keys = keys
        self.clock = clock
        self.issuer = issuer
        self.audience = audience
        self.lifetime_seconds = lifetime_seconds

    def _sign(
        self,
        subject: str,
        department: str,
        roles: Iterable[str],
        lifetime: int,
        *,
        passkey_limited: bool = False,
    ) -> str:
        now = int(self.clock.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "dept": department,
            "roles": sorted(roles),
            "iat": now,
            "exp": now + lifetime,
        }
        if passkey_limited:
            claims["passkey_limited"] = True
        return self.keys.sign(claims)

    def access_token(
        self,
        *,
        subject: str,
        department: str,
        roles: Iterable[str],
        passkey_limited: bool = False,
    ) -> IssuedToken:
        """A user's token: a pairwise pseudonym, their organisation and roles, and whether
        the session was opened with a passkey that has a last day (it vouches for nothing
        that would outlive it, such as enrolment codes)."""
        token = self._sign(
            subject, department, roles, self.lifetime_seconds, passkey_limited=passkey_limited
        )
        return IssuedToken(token, self.lifetime_seconds)

    def service_token(self, service: str) -> IssuedToken:
        """A token for service-to-service calls: role ``service``, no department."""
        token = self._sign(f"service:{service}", "", ["service"], SERVICE_TOKEN_SECONDS)
        return IssuedToken(token, SERVICE_TOKEN_SECONDS)
