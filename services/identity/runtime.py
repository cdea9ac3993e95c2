"""The long-lived parts of a running identity service, built in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from servicekit.clock import Clock
from servicekit.ephemeral import EphemeralMarks
from servicekit.proof_of_work import FormProof

from .admission import MembershipClient
from .issuing import TokenIssuer
from .keys import KeyRing
from .oidc import RelyingParty
from .passkeys import RelyingPartyConfig
from .sealing import SecretBox
from .settings import IdentitySettings


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
