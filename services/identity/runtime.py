"""The long-lived parts of a running identity service, built in its lifespan."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg

from servicekit.clock import Clock
from servicekit.proof_of_work import FormProof

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

    Random values only, each forgotten by a timer when ``lifetime`` seconds have passed
    (never kept longer, however few or many there are): enough to refuse a replayed
    callback in this process (the provider's single-use code covers the others).
    """

    lifetime: float
    _until: dict[str, float] = field(default_factory=dict)

    def spend(self, state: str) -> bool:
        """Mark ``state`` as used; False when it already was."""
        now = time.monotonic()
        if self._until.get(state, 0.0) > now:
            return False
        until = self._until[state] = now + self.lifetime
        asyncio.get_running_loop().call_later(self.lifetime, self._forget, state, until)
        return True

    def _forget(self, state: str, until: float) -> None:
        if self._until.get(state) == until:
            del self._until[state]

    def __len__(self) -> int:
        return len(self._until)


@dataclass(slots=True)
class Identity:
    """What identity holds for as long as it runs (its resources, built in the lifespan)."""

    settings: IdentitySettings
    pool: asyncpg.Pool
    clock: Clock
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
    code_tries: FormProof  # the proof of work each try of an enrolment code pays
