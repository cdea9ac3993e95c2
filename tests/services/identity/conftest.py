from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import httpx
import pytest

from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.demo import DEMO_DEPARTMENTS
from services.identity import devidp
from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.services.identity.evil import CLIENT_ID, CLIENT_SECRET, MisbehavingProvider
from tests.support.database import TemplateDatabases
from tests.support.servers import free_port, serving
from tests.support.tokens import ISSUER
from wnwa.registry import service_named

CALDER_HEIGHTS = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Calder Heights"))


@pytest.fixture
async def identity(start_service: ServiceFactory) -> AsyncIterator[ServiceUnderTest]:
    # reached at the token issuer's address, as a deployment's identity is
    async with start_service("identity", environment={"WNWA_PUBLIC_URL": ISSUER}) as service:
        yield service


@pytest.fixture
async def identity_db(identity: ServiceUnderTest) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(identity.database_url)
    yield connection
    await connection.close()


@dataclass
class Stack:
    identity_url: str
    membership_url: str
    devidp_url: str
    identity_database: str
    membership_database: str
    evil: MisbehavingProvider
    clock: Clock = SYSTEM_CLOCK  # identity's (a FixedClock where a test moves the date)

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.identity_url, timeout=10)


def evil_toml(evil: MisbehavingProvider) -> str:
    return f"""
[[provider]]
organisation = "{CALDER_HEIGHTS.id}"
display_name = "{CALDER_HEIGHTS.name}"
issuer = "{evil.issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
email_domains = ["evil.pd.example"]

[[provider.claim_rules]]
claim = "groups"
value = "sworn"
role = "officer"
"""


@pytest.fixture(scope="module")
async def stack(databases: TemplateDatabases, tmp_path_factory: Any) -> AsyncIterator[Stack]:
    """Dev IdP, misbehaving IdP, identity and membership, each on its own loopback port."""
    async with running_stack(databases, tmp_path_factory.mktemp("identity")) as running:
        yield running


@contextlib.asynccontextmanager
async def running_stack(
    databases: TemplateDatabases, folder: Path, clock: Clock = SYSTEM_CLOCK
) -> AsyncIterator[Stack]:
    """The stack of :func:`stack`, identity told the time by ``clock``."""
    ports = {name: free_port() for name in ("identity", "membership", "devidp", "evil")}
    identity_base = f"http://127.0.0.1:{ports['identity']}"
    devidp_base = f"http://127.0.0.1:{ports['devidp']}"
    evil = MisbehavingProvider()
    evil.base_url = f"http://127.0.0.1:{ports['evil']}"
    providers = folder / "providers.toml"
    providers.write_text(devidp.providers_toml(devidp_base) + evil_toml(evil), encoding="utf-8")

    membership = service_named("membership")
    membership_db = await databases.fresh("membership", membership.migrations)
    connection = await asyncpg.connect(membership_db)
    try:
        await membership.seed(connection)
    finally:
        await connection.close()
    identity_service = service_named("identity")
    identity_db = await databases.fresh("identity", identity_service.migrations)
    shared = {
        "WNWA_ENV": "test",
        "WNWA_JWKS_URL": f"{identity_base}/.well-known/jwks.json",
        "WNWA_TOKEN_ISSUER": identity_base,
        "WNWA_PUBLIC_URL": identity_base,
    }
    identity_settings = identity_service.module("settings").load(
        {
            **shared,
            "WNWA_IDENTITY_DATABASE_URL": identity_db,
            "WNWA_IDENTITY_PROVIDERS_FILE": str(providers),
            "WNWA_IDENTITY_MEMBERSHIP_URL": f"http://127.0.0.1:{ports['membership']}/graphql",
        }
    )
    membership_settings = membership.module("settings").load(
        {**shared, "WNWA_MEMBERSHIP_DATABASE_URL": membership_db}
    )
    devidp_settings = devidp.load(
        {
            "WNWA_ENV": "test",
            "WNWA_DEVIDP_PORT": str(ports["devidp"]),
            "WNWA_DEVIDP_REDIRECT_URIS": f"{identity_base}/auth/callback",
        }
    )
    async with contextlib.AsyncExitStack() as running:
        await running.enter_async_context(
            serving(devidp.create_app(devidp_settings), ports["devidp"])
        )
        await running.enter_async_context(serving(evil.app(), ports["evil"]))
        await running.enter_async_context(
            serving(
                identity_service.module("app").create_app(identity_settings, clock=clock),
                ports["identity"],
            )
        )
        membership_url = await running.enter_async_context(
            serving(membership.module("app").create_app(membership_settings), ports["membership"])
        )
        yield Stack(
            identity_base, membership_url, devidp_base, identity_db, membership_db, evil, clock
        )


async def follow(browser: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """Follow redirects like a browser (GET after 303), cookies kept in the client."""
    while response.status_code in (302, 303):
        response = await browser.get(response.headers["location"])
    return response


async def sign_in(
    stack: Stack, browser: httpx.AsyncClient, email: str, *, account: str | None = None
) -> httpx.Response:
    """Through identity and the dev IdP's page, choosing ``account`` (default: the email's)."""
    response = await browser.post("/auth/login", data={"email": email})
    assert response.status_code == 303, response.text
    page = await browser.get(response.headers["location"])
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type=hidden name="([a-z_]+)" value="([^"]*)">', page.text))
    fields = {name: value.replace("&amp;", "&") for name, value in fields.items()}
    fields["account"] = account or email.split("@")[0]
    authorize = str(page.url).split("?")[0]
    answer = await browser.post(authorize, data=fields)
    assert answer.status_code == 303
    return await follow(browser, answer)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
