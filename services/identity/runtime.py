"""The long-lived parts of a running identity service, built in its lifespan, and how an
/auth endpoint reaches them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from starlette.requests import Request

from servicekit.app import Running
from servicekit.clock import Clock
from servicekit.ephemeral import EphemeralMarks
from servicekit.proof_of_work import FormProof

from .admission import MembershipClient
from .issuing import TokenIssuer
from .keys import KeyRing
from .oidc import RelyingParty
from .passkeys.credentials import RelyingPartyConfig
from .sealing import SecretBox
from .settings import IdentitySettings

# every answer under /auth that holds or changes a session, a challenge or a code
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


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
    # spent sign-in states and ceremonies, signed-out sessions: seen by every process
    marks: EphemeralMarks
    code_key: bytes  # keys the hashes enrolment codes are kept as
    handles: SecretBox  # seals pseudonyms into passkeys' user handles
    relying_party_config: RelyingPartyConfig
    code_tries: FormProof  # the proof of work each try of an enrolment code pays


def identity_of(request: Request) -> Identity:
    """The running service's resources, for an endpoint under /auth."""
    service: Running[Identity] = request.state.service
    return service.resources
