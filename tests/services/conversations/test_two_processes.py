"""Two conversations processes (real OS processes) behind one gateway, as two replicas run:
each supporter's conversations are routed to one of them, and messages cross from the
officer to the supporter and back without anything written anywhere."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app as create_gateway
from gateway.conversations import shard_of
from gateway.settings import load as load_gateway
from services.conversations.app import MIGRATIONS
from tests.services.conversations.conftest import (
    Stack,
    Supporter,
    make_officer,
    make_supporter,
    next_event,
)
from tests.support.database import TemplateDatabases
from tests.support.servers import free_port, serving
from tests.support.tokens import ISSUER, TokenIssuer

PROJECT = Path(__file__).resolve().parents[3]


@contextlib.contextmanager
def conversations_processes(
    database_url: str, directory: str, issuer: TokenIssuer, log: Path, count: int = 2
) -> Iterator[list[str]]:
    """``count`` ``wnwa serve conversations`` processes on one database."""
    started: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for index in range(count):
            port = free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(PROJECT),
                "WNWA_ENV": "test",
                "WNWA_CONVERSATIONS_PORT": str(port),
                "WNWA_CONVERSATIONS_DATABASE_URL": database_url,
                "WNWA_CONVERSATIONS_DIRECTORY_URL": f"{directory}/graphql",
                "WNWA_JWKS_URL": issuer.jwks_url,
                "WNWA_TOKEN_ISSUER": ISSUER,
            }
            with (log / f"conversations-{index}.log").open("w") as output:
                started.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "wnwa", "serve", "conversations"],
                        env=env,
                        cwd=PROJECT,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, started, strict=True):
            for _ in range(300):
                assert process.poll() is None, "a conversations process stopped"
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
        yield urls
    finally:
        for process in started:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.asynccontextmanager
async def gateway(shards: list[str], issuer: TokenIssuer) -> AsyncIterator[str]:
    settings = load_gateway(
        {
            "WNWA_ENV": "test",
            "WNWA_GATEWAY_CONVERSATIONS_SHARDS": ",".join(shards),
            "WNWA_GATEWAY_JWKS_URL": issuer.jwks_url,
            "WNWA_GATEWAY_TOKEN_ISSUER": ISSUER,
        }
    )
    async with serving(create_gateway(settings)) as url:
        yield url


@pytest.fixture
async def two(
    databases: TemplateDatabases, issuer: TokenIssuer, directory_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    database_url = await databases.fresh("conversations", MIGRATIONS)
    with conversations_processes(database_url, directory_url, issuer, tmp_path) as urls:
        async with gateway(urls, issuer) as front:
            # everyone talks to the gateway; ``conversations`` lists the processes behind it
            stack = Stack(directory_url, [front, *urls], issuer, database_url)
            try:
                yield stack
            finally:
                await stack.close()


async def test_messages_cross_two_processes_through_the_gateway(two: Stack) -> None:
    front, *processes = two.conversations
    supporters: list[Supporter] = []
    while {shard_of(uuid.UUID(s.supporter_id), 2) for s in supporters} != {0, 1}:
        supporters.append(await make_supporter(two, base=front))
    for supporter in supporters:
        officer = make_officer(two, base=front)
        async with supporter.events(f"/conversations/{supporter.supporter_id}/inbox") as inbox:
            opened = await officer.open(supporter.supporter_id, supporter.device.public, "one")
            assert opened.status_code == 201, opened.text
            first = await next_event(inbox)
            channel = supporter.channel(first)
            assert channel.open(first) == "one"
            path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
            async with officer.events(f"{path}/stream") as stream:
                await supporter.call("POST", f"{path}/messages", channel.seal("two"))
                assert officer.channel is not None
                assert officer.channel.open(await next_event(stream)) == "two"
                assert (await officer.say("three")).status_code == 202
                assert channel.open(await next_event(inbox)) == "three"
        # the conversation lives in the one process the gateway routes its supporter to
        owner = processes[shard_of(uuid.UUID(supporter.supporter_id), 2)]
        other = processes[1 - processes.index(owner)]
        direct = make_officer(two, base=other)
        direct.token = officer.token
        direct.conversation, direct.supporter_id = officer.conversation, supporter.supporter_id
        direct.channel = officer.channel
        assert (await direct.say("lost?")).status_code == 404
        await asyncio.sleep(0)


async def test_a_change_without_the_request_header_is_refused_at_the_gateway(two: Stack) -> None:
    front = two.conversations[0]
    supporter = await make_supporter(two, base=front)
    officer = make_officer(two, base=front)
    officer.csrf = False
    answer = await officer.open(supporter.supporter_id, supporter.device.public)
    assert answer.status_code == 400
    assert "x-wnwa-request" in answer.json()["error"].lower()
    for path in (
        f"/conversations/{supporter.supporter_id}/../graphql",
        f"/conversations/{supporter.supporter_id}/%2e%2e/graphql",
        "/conversations/not-a-uuid/inbox",
    ):
        assert (await officer.call("GET", path)).status_code == 404, path


async def test_open_streams_do_not_starve_the_gateways_other_requests(two: Stack) -> None:
    """Each open stream holds a connection from the gateway to a conversations process: a
    hundred of them (one supporter's tabs, or a hundred officers) must not leave the
    gateway without a connection for the next request."""
    front = two.conversations[0]
    supporter = await make_supporter(two, base=front)
    # a browser's own pool is no limit here: many tabs, or many people
    supporter.http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=None))
    two.clients.append(supporter.http)
    inbox = f"/conversations/{supporter.supporter_id}/inbox"
    async with contextlib.AsyncExitStack() as streams:
        for _ in range(110):
            await streams.enter_async_context(supporter.events(inbox))
        officer = make_officer(two, base=front)
        opened = await officer.open(supporter.supporter_id, supporter.device.public, "still here")
        assert opened.status_code == 201, opened.text
