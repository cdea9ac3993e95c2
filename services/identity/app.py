"""The identity service's ASGI app: GraphQL (`me`, provider admin) plus /auth and keys."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from starlette.applications import Starlette
from strawberry.tools import merge_types

from servicekit.app import Running, create_service_app
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.ephemeral import EphemeralMarks, MarksUnavailable
from servicekit.graphql import ServiceSchema
from servicekit.peers import PeerClient
from servicekit.proof_of_work import FormProof
from servicekit.pseudonyms import PAIRWISE_PURPOSE, derive_key
from servicekit.tokens import JwksFetcher

from . import auth_posts, sessions, web
from . import settings as identity_settings
from .admission import MembershipClient
from .configuration import apply_providers_file
from .federation import FederationMutation, FederationQuery
from .issuing import SERVICE_TOKEN_SECONDS, TokenIssuer
from .keys import KeyRing
from .mutations import Mutation
from .oidc import RelyingParty
from .passkeys import code_tries, credentials, routes
from .passkeys import store as passkey_store
from .passkeys.credentials import RelyingPartyConfig
from .passkeys.schema import PasskeyMutation, PasskeyQuery
from .runtime import Identity
from .schema import Department, Query
from .sealing import SecretBox
from .shared_issuers import SharedIssuerMutation, SharedIssuerQuery

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    return ServiceSchema(
        query=merge_types("Query", (Query, PasskeyQuery, FederationQuery, SharedIssuerQuery)),
        mutation=merge_types(
            "Mutation", (Mutation, PasskeyMutation, FederationMutation, SharedIssuerMutation)
        ),
        types=[Department],
    )


def own_keys(service: Running[Identity]) -> JwksFetcher:
    """Identity verifies its own tokens against its key ring, not over HTTP."""

    async def fetch() -> Mapping[str, Any]:
        return service.resources.keys.jwks()

    return fetch


def create_app(
    settings: identity_settings.IdentitySettings | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> Starlette:
    settings = settings or identity_settings.load()
    chosen = settings
    secrets = SecretBox(derive_key(settings.secrets_key.value, "wnwa identity secrets at rest"))
    cookie_box = SecretBox(derive_key(settings.cookie_key.value, "wnwa identity cookies"))
    pseudonym_key = derive_key(settings.pseudonym_key.value, PAIRWISE_PURPOSE)
    label_key = credentials.label_key(settings.secrets_key.value)
    lifetime = settings.access_token_minutes * 60
    challenge_key = derive_key(settings.secrets_key.value, "wnwa enrolment code challenges")

    @contextlib.asynccontextmanager
    async def resources(service: Running[None]) -> AsyncIterator[Identity]:
        keys = KeyRing(
            secrets,
            token_lifetime=dt.timedelta(seconds=max(lifetime, SERVICE_TOKEN_SECONDS)),
            key_age=dt.timedelta(days=chosen.signing_key_days),
        )
        await keys.load(service.pool)
        await apply_providers_file(chosen, service.pool, secrets)
        tokens = TokenIssuer(
            keys,
            issuer=chosen.service.token_issuer,
            audience=chosen.service.token_audience,
            lifetime_seconds=lifetime,
        )
        # calls to department IdPs carry no trace context (they are other organisations),
        # so they have a session of their own; calls to membership go through the
        # service's session, traced like every call between the platform's services.
        # The marks (spent states and challenges, signed-out sessions, the enrolment-code
        # tries' solutions and busyness) live on one connection of this process, as locks
        # every process sees.
        async with (
            aiohttp.ClientSession() as outside,
            EphemeralMarks(service.settings.database_url.value, service.clock) as marks,
        ):
            yield Identity(
                settings=chosen,
                pool=service.pool,
                clock=service.clock,
                keys=keys,
                tokens=tokens,
                relying_party=RelyingParty(
                    outside,
                    allow_http_loopback=chosen.service.deployment != "production",
                ),
                membership=MembershipClient(
                    PeerClient(service.http, chosen.membership_url, peer="membership"),
                    lambda: tokens.service_token("identity").token,
                ),
                secrets=secrets,
                cookies=cookie_box,
                pseudonym_key=pseudonym_key,
                marks=marks,
                code_key=credentials.code_key(chosen.secrets_key.value),
                handles=SecretBox(
                    derive_key(chosen.pseudonym_key.value, "wnwa passkey user handles")
                ),
                relying_party_config=RelyingPartyConfig(
                    rp_id=chosen.passkey_rp_id, origins=chosen.passkey_origins
                ),
                code_tries=FormProof(
                    "enrolment-code",
                    key=challenge_key,
                    marks=marks,
                    clock=service.clock,
                    pricing=chosen.code_tries,
                    what="code",
                ),
            )

    async def housekeeping(pool: asyncpg.Pool) -> None:
        await passkey_store.keep_house(db=pool, today=clock.today(), label_key=label_key)

    app = create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · identity",
        clock=clock,
        resources=resources,
        jwks_fetcher=own_keys,
        # /auth and the keys: outside the telemetry middleware; every body up to 100 kB
        # every POST under /auth: JSON, or the sign-in form from this origin (auth_posts.py)
        pages=auth_posts.guarded(
            [*web.ROUTES, *sessions.ROUTES, *routes.ROUTES, *code_tries.ROUTES]
        ),
        max_page_bytes=100_000,
        # expired codes and long-lapsed passkeys deleted, IdPs' periods kept (passkeys/store.py)
        housekeeping=housekeeping,
    )
    # sign-in fails closed when it cannot tell whether a challenge was spent
    app.add_exception_handler(MarksUnavailable, web.briefly_unavailable)
    return app
