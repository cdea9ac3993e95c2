"""The identity service's ASGI app: GraphQL (`me`, provider admin) plus /auth and keys."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from strawberry.tools import merge_types

from servicekit import telemetry
from servicekit.app import create_service_app
from servicekit.graphql import ServiceSchema
from servicekit.limits import BodySizeLimit
from servicekit.ratelimit import FormRateLimit

from . import passkey_web, passkeys, web
from . import settings as identity_settings
from .admission import MembershipClient
from .configuration import apply_providers_file
from .enrollment import PasskeyMutation, PasskeyQuery
from .federation import FederationMutation, FederationQuery
from .issuing import SERVICE_TOKEN_SECONDS, TokenIssuer
from .keys import KeyRing
from .mutations import Mutation
from .oidc import RelyingParty
from .passkeys import RelyingPartyConfig
from .runtime import Identity, SpentStates
from .schema import Department, Query
from .sealing import SecretBox, derive_key

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    return ServiceSchema(
        query=merge_types("Query", (Query, PasskeyQuery, FederationQuery)),
        mutation=merge_types("Mutation", (Mutation, PasskeyMutation, FederationMutation)),
        types=[Department],
    )


class _Running:
    """The runtime, once the lifespan built it (GraphQL resolvers reach it through this)."""

    identity: Identity | None = None

    def get(self) -> Identity:
        if self.identity is None:
            raise RuntimeError("identity is not running")
        return self.identity

    async def jwks(self) -> Mapping[str, Any]:
        # identity verifies its own tokens against its key ring, not over HTTP
        return self.get().keys.jwks()


def create_app(settings: identity_settings.IdentitySettings | None = None) -> Starlette:
    settings = settings or identity_settings.load()
    running = _Running()
    graphql_app = create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · identity",
        make_loaders=lambda pool: running.get(),
        jwks_fetcher=lambda session: running.jwks,
    )
    secrets = SecretBox(derive_key(settings.secrets_key.value, "wnwa identity secrets at rest"))
    cookie_box = SecretBox(derive_key(settings.cookie_key.value, "wnwa identity cookies"))
    pseudonym_key = derive_key(settings.pseudonym_key.value, "wnwa pairwise subject")
    lifetime = settings.access_token_minutes * 60

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with graphql_app.router.lifespan_context(graphql_app) as inner:
            state = dict(inner or {})
            pool = state["pool"]
            keys = KeyRing(
                secrets,
                token_lifetime=dt.timedelta(seconds=max(lifetime, SERVICE_TOKEN_SECONDS)),
                key_age=dt.timedelta(days=settings.signing_key_days),
            )
            await keys.load(pool)
            await apply_providers_file(settings, pool, secrets)
            tokens = TokenIssuer(
                keys,
                issuer=settings.service.token_issuer,
                audience=settings.service.token_audience,
                lifetime_seconds=lifetime,
            )
            # calls to department IdPs carry no trace context (they are other organisations);
            # calls to membership are traced like every call between the platform's services
            internal_trace = [telemetry.client_trace_config("membership")]
            async with (
                aiohttp.ClientSession() as session,
                aiohttp.ClientSession(trace_configs=internal_trace) as internal,
            ):
                running.identity = Identity(
                    settings=settings,
                    pool=pool,
                    keys=keys,
                    tokens=tokens,
                    relying_party=RelyingParty(
                        session, allow_http_loopback=settings.service.deployment != "production"
                    ),
                    membership=MembershipClient(
                        internal,
                        settings.membership_url,
                        lambda: tokens.service_token("identity").token,
                    ),
                    secrets=secrets,
                    cookies=cookie_box,
                    pseudonym_key=pseudonym_key,
                    spent_states=SpentStates(lifetime=900.0),
                    code_key=passkeys.code_key(settings.secrets_key.value),
                    handles=SecretBox(
                        derive_key(settings.pseudonym_key.value, "wnwa passkey user handles")
                    ),
                    relying_party_config=RelyingPartyConfig(
                        rp_id=settings.passkey_rp_id, origins=settings.passkey_origins
                    ),
                    code_guesses=FormRateLimit(form="enrolment codes", burst=30, per_hour=1800),
                )
                try:
                    yield {**state, "identity": running.identity}
                finally:
                    running.identity = None

    return Starlette(
        routes=[*web.ROUTES, *passkey_web.ROUTES, Mount("/", app=graphql_app)],
        lifespan=lifespan,
        middleware=[Middleware(BodySizeLimit, max_bytes=100_000)],
    )
