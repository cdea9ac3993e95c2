"""The long-lived parts of a running identity service, built in its lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg

from servicekit.ratelimit import FormRateLimit

from .admission import MembershipClient
from .issuing import TokenIssuer
from .keys import KeyRing
from .oidc import RelyingParty
from .passkeys import RelyingPartyConfig
from .sealing import SecretBox
from .settings import IdentitySettings


@dataclass(slots=True)
class SpentStates:
    """States of callbacks already answered, until their sign-in cookie would have expired.

    Random values only, forgotten after ten minutes: enough to refuse a replayed callback
    in this process (the provider's single-use code covers the others).
    """

    lifetime: float
    _until: dict[str, float] = field(default_factory=dict)

    def spend(self, state: str) -> bool:
        """Mark ``state`` as used; False when it already was."""
        now = time.monotonic()
        if len(self._until) > 10_000:
            self._until = {key: until for key, until in self._until.items() if until > now}
        if self._until.get(state, 0.0) > now:
            return False
        self._until[state] = now + self.lifetime
        return True


@dataclass(slots=True)
class Identity:
    settings: IdentitySettings
    pool: asyncpg.Pool
    keys: KeyRing
    tokens: TokenIssuer
    relying_party: RelyingParty
    membership: MembershipClient
    secrets: SecretBox
    cookies: SecretBox
    pseudonym_key: bytes
    spent_states: SpentStates
    code_key: bytes  # keys the hashes enrolment codes are kept as
    handles: SecretBox  # seals pseudonyms into passkeys' user handles
    relying_party_config: RelyingPartyConfig
    code_guesses: FormRateLimit  # tries of enrolment codes, shared by everyone
