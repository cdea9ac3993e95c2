"""Fixtures of the conversations tests: a real directory and conversations process on
loopback, supporters who published a device key, and officers who write to them."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from services.conversations import settings as conversations_settings
from services.conversations.app import MIGRATIONS, create_app
from services.directory import settings as directory_settings
from services.directory.app import MIGRATIONS as DIRECTORY_MIGRATIONS
from services.directory.app import create_app as create_directory
from tests.services.directory.conftest import ALL_DAY_EVERY_DAY, CREATE_PROFILE, profile_input
from tests.support.database import TemplateDatabases
from tests.support.sealing import Channel, KeyPair
from tests.support.servers import serving
from tests.support.tokens import ISSUER, TokenIssuer

HARLOW = uuid.UUID("11111111-1111-4111-8111-111111111111")
FENWOOD = uuid.UUID("22222222-2222-4222-8222-222222222222")


@dataclass
class Stack:
    directory: str
    conversations: list[str]
    issuer: TokenIssuer
    database_url: str
    # every person's HTTP client, closed when the test ends
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        self.clients.append(httpx.AsyncClient(timeout=10))
        return self.clients[-1]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


@contextlib.asynccontextmanager
async def conversations_process(
    database_url: str, directory: str, issuer: TokenIssuer, **extra: str
) -> AsyncIterator[str]:
    environ = {
        "WNWA_ENV": "test",
        "WNWA_CONVERSATIONS_DATABASE_URL": database_url,
        "WNWA_CONVERSATIONS_DIRECTORY_URL": f"{directory}/graphql",
        "WNWA_JWKS_URL": issuer.jwks_url,
        "WNWA_TOKEN_ISSUER": ISSUER,
        **{f"WNWA_CONVERSATIONS_{key}": value for key, value in extra.items()},
    }
    async with serving(create_app(conversations_settings.load(environ))) as url:
        yield url


@contextlib.asynccontextmanager
async def directory_process(database_url: str, issuer: TokenIssuer) -> AsyncIterator[str]:
    settings = directory_settings.load(
        {
            "WNWA_ENV": "test",
            "WNWA_DIRECTORY_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
        }
    )
    async with serving(create_directory(settings)) as url:
        yield url


@pytest.fixture
async def directory_url(databases: TemplateDatabases, issuer: TokenIssuer) -> AsyncIterator[str]:
    database_url = await databases.fresh("directory", DIRECTORY_MIGRATIONS)
    async with directory_process(database_url, issuer) as url:
        yield url


@pytest.fixture
def conversations_env() -> dict[str, str]:
    """Extra ``WNWA_CONVERSATIONS_*`` settings a test module may override."""
    return {}


@pytest.fixture
async def stack(
    databases: TemplateDatabases,
    issuer: TokenIssuer,
    directory_url: str,
    conversations_env: dict[str, str],
) -> AsyncIterator[Stack]:
    database_url = await databases.fresh("conversations", MIGRATIONS)
    async with conversations_process(
        database_url, directory_url, issuer, **conversations_env
    ) as url:
        running = Stack(directory_url, [url], issuer, database_url)
        try:
            yield running
        finally:
            await running.close()


@dataclass
class Person:
    """Someone signed in, talking to one conversations process over real HTTP."""

    base: str
    token: str
    subject: str
    http: httpx.AsyncClient
    csrf: bool = True  # sends the header the gateway asks of every change

    async def call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        return await self.http.request(
            method,
            f"{self.base}{path}",
            content=orjson.dumps(body) if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.token}",
                **({"Content-Type": "application/json"} if body is not None else {}),
                **({"X-WNWA-Request": "1"} if self.csrf else {}),
            },
        )

    @contextlib.asynccontextmanager
    async def events(self, path: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """The stream at ``path``: its events arrive on the queue."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        opened = asyncio.Event()
        failure: list[httpx.Response] = []

        async def read() -> None:
            async with self.http.stream(
                "GET",
                f"{self.base}{path}",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=httpx.Timeout(10, read=None),
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    failure.append(response)
                    opened.set()
                    return
                async for line in response.aiter_lines():
                    opened.set()
                    if line.startswith("data: "):
                        await queue.put(orjson.loads(line[6:]))
                await queue.put({"type": "closed"})

        reader = asyncio.create_task(read())
        await asyncio.wait_for(opened.wait(), 10)
        if failure:
            raise AssertionError(f"stream refused: {failure[0].status_code} {failure[0].text}")
        try:
            yield queue
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await reader


async def next_event(queue: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(queue.get(), 10)


@dataclass
class Supporter(Person):
    supporter_id: str = ""
    device: KeyPair = field(default_factory=KeyPair)
    channels: dict[str, Channel] = field(default_factory=dict)

    def channel(self, event: Mapping[str, Any]) -> Channel:
        conversation = str(event["conversation"])
        if conversation not in self.channels:
            self.channels[conversation] = Channel(
                self.device, str(event["officerKey"]), "supporter", str(event["officerKey"])
            )
        return self.channels[conversation]


@dataclass
class Officer(Person):
    key: KeyPair = field(default_factory=KeyPair)
    channel: Channel | None = None
    conversation: str = ""
    supporter_id: str = ""

    async def open(
        self, supporter_id: str, supporter_key: str, text: str = "Hello"
    ) -> httpx.Response:
        self.key = KeyPair()
        self.channel = Channel(self.key, supporter_key, "officer", self.key.public)
        response = await self.call(
            "POST",
            f"/conversations/{supporter_id}/open",
            {
                "officerKey": self.key.public,
                "supporterKey": supporter_key,
                "message": self.channel.seal(text),
            },
        )
        if response.status_code == 201:
            self.conversation = response.json()["conversation"]
            self.supporter_id = supporter_id
        return response

    async def say(self, text: str) -> httpx.Response:
        assert self.channel is not None
        return await self.call(
            "POST",
            f"/conversations/{self.supporter_id}/{self.conversation}/messages",
            self.channel.seal(text),
        )


async def make_supporter(
    stack: Stack,
    department: uuid.UUID = HARLOW,
    base: str | None = None,
    schedule: list[dict[str, str]] | None = None,
) -> Supporter:
    """A supporter with a directory profile (on call all week) who published a device key."""
    subject = uuid.uuid4().hex
    token = stack.issuer.token("officer", "peer_supporter", department=department, subject=subject)
    async with httpx.AsyncClient(timeout=10) as http:
        answer = (
            await http.post(
                f"{stack.directory}/graphql",
                json={
                    "query": CREATE_PROFILE,
                    "variables": {
                        "input": profile_input(
                            weeklySchedule=ALL_DAY_EVERY_DAY if schedule is None else schedule
                        )
                    },
                },
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
    supporter_id = answer["data"]["createMyPeerSupporterProfile"]["supporter"]["id"]
    supporter = Supporter(
        base or stack.conversations[0], token, subject, stack.client(), supporter_id=supporter_id
    )
    published = await supporter.call(
        "PUT", f"/conversations/{supporter_id}/device", {"publicKey": supporter.device.public}
    )
    assert published.status_code == 200, published.text
    return supporter


def make_officer(stack: Stack, department: uuid.UUID = FENWOOD, base: str | None = None) -> Officer:
    subject = uuid.uuid4().hex
    token = stack.issuer.token("officer", department=department, subject=subject)
    return Officer(base or stack.conversations[0], token, subject, stack.client())
