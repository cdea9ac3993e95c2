"""Conversations: messages per second and delivery latency with 1,000 open conversations.

Usage: .venv/bin/python bench/conversations.py [--seconds 30] [--rate 200]
       .venv/bin/python bench/conversations.py --in-process-only

End to end (the default): a PostgreSQL server (``WNWA_POSTGRES_URL``, else the embedded one
under ``.wnwa/bench-pgdata``), `wnwa serve directory`, two `wnwa serve conversations`
processes and `wnwa serve gateway` in front of them (``WNWA_GATEWAY_CONVERSATIONS_SHARDS``
lists both), each its own OS process on loopback. 40 supporters publish a device key and
keep their inbox open; 200 officers open 5 conversations each (the hourly limit is 6),
1,000 in all, each with the officer's stream open: 1,040 server-sent event streams through
the gateway (aiohttp). Then messages go over HTTP through the gateway at a fixed rate,
each conversation in turn, officer and supporter alternately, each one sealed afresh
(distinct ciphertext) and opened on arrival. Latency is from the message's scheduled send
time to its arrival on the reader's stream (no coordinated omission).

Then the same 1,000 conversations through one process's relay without HTTP (sealing and
opening included), labelled as such: the relay's own cost, not a delivery figure.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from loadgen import served_service  # noqa: E402

from gateway.conversations import shard_of  # noqa: E402
from servicekit.clock import SYSTEM_CLOCK  # noqa: E402
from servicekit.database import ensure_database  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.migrations import apply_migrations  # noqa: E402
from services.conversations.app import MIGRATIONS  # noqa: E402
from services.conversations.relay import Relay, Sealed  # noqa: E402
from services.conversations.settings import Limits  # noqa: E402
from services.directory.app import MIGRATIONS as DIRECTORY_MIGRATIONS  # noqa: E402
from tests.services.directory.conftest import (  # noqa: E402
    ALL_DAY_EVERY_DAY,
    CREATE_PROFILE,
    profile_input,
)
from tests.support.sealing import Channel, KeyPair  # noqa: E402
from tests.support.tokens import ISSUER, TokenIssuer  # noqa: E402
from wnwa import postgres  # noqa: E402

CONVERSATIONS = 1000
SUPPORTERS = 40
OFFICERS = 200  # five conversations each, under the hourly limit of six
PGDATA = PROJECT / ".wnwa" / "bench-pgdata"
HARLOW = uuid.UUID("11111111-1111-4111-8111-111111111111")
FENWOOD = uuid.UUID("22222222-2222-4222-8222-222222222222")
ROUNDS = 20  # of the in-process run


def percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49], cuts[98]


# end to end -------------------------------------------------------------------------------


async def fresh_database(server_url: str, name: str, folder: Path) -> str:
    url = with_database(server_url, name)
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    await ensure_database(url)
    connection = await asyncpg.connect(url)
    try:
        await apply_migrations(connection, folder)
    finally:
        await connection.close()
    return url


@contextlib.asynccontextmanager
async def served(service: str, settings: dict[str, str]) -> AsyncIterator[str]:
    """`wnwa serve SERVICE` with ``settings``, one worker; yields its URL once it is ready."""
    async with served_service(service, settings) as (url, _):
        yield url


class Run:
    """The people of the run, their conversations and what arrived when."""

    def __init__(self, session: aiohttp.ClientSession, front: str) -> None:
        self.session = session
        self.front = front
        # (conversation, from, seq) -> scheduled send time, until it arrives
        self.pending: dict[tuple[str, str, int], float] = {}
        self.latencies: list[float] = []
        self.unreadable = 0
        self.errors = 0
        self.supporter_channels: dict[str, Channel] = {}
        self.opened: dict[str, asyncio.Event] = {}

    def headers(self, token: str, body: bool = False) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "X-WNWA-Request": "1",
            **({"Content-Type": "application/json"} if body else {}),
        }

    async def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        async with self.session.request(
            method,
            f"{self.front}{path}",
            data=orjson.dumps(body) if body is not None else None,
            headers=self.headers(token, body is not None),
        ) as response:
            answer = orjson.loads(await response.read())
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {answer}")
            return answer

    def arrived(self, event: dict[str, Any], channel: Channel | None) -> None:
        now = time.perf_counter()
        sent = self.pending.pop((event["conversation"], event["from"], event["seq"]), None)
        if channel is None:
            self.unreadable += 1
            return
        try:
            channel.open(event)
        except Exception:  # a message that does not open is counted
            self.unreadable += 1
        if sent is not None:
            self.latencies.append(now - sent)

    async def stream(
        self, path: str, token: str, handle: Callable[[dict[str, Any]], None]
    ) -> Callable[[], Awaitable[None]]:
        """Opens the stream at ``path``; its events go to ``handle``. Returns its closing."""
        response = await self.session.get(
            f"{self.front}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )
        if response.status != 200:
            raise RuntimeError(f"stream {path}: {response.status}")

        async def read() -> None:
            with contextlib.suppress(aiohttp.ClientError, asyncio.CancelledError):
                async for line in response.content:
                    if line.startswith(b"data: "):
                        handle(orjson.loads(line[6:]))

        reader = asyncio.create_task(read())

        async def close() -> None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            response.close()

        return close


async def end_to_end(seconds: float, rate: float) -> None:
    issuer = TokenIssuer()
    await issuer.start()
    with postgres.database_server(pgdata=PGDATA) as server_url:
        directory_db = await fresh_database(
            server_url, "wnwa_bench_conversations_directory", DIRECTORY_MIGRATIONS
        )
        conversations_db = await fresh_database(server_url, "wnwa_bench_conversations", MIGRATIONS)
        trust = {"JWKS_URL": issuer.jwks_url, "TOKEN_ISSUER": ISSUER}
        async with contextlib.AsyncExitStack() as stack:
            directory = await stack.enter_async_context(
                served("directory", {"DATABASE_URL": directory_db, **trust})
            )
            shards = [
                await stack.enter_async_context(
                    served(
                        "conversations",
                        {
                            "DATABASE_URL": conversations_db,
                            "DIRECTORY_URL": f"{directory}/graphql",
                            **trust,
                        },
                    )
                )
                for _ in range(2)
            ]
            front = await stack.enter_async_context(
                served("gateway", {"CONVERSATIONS_SHARDS": ",".join(shards), **trust})
            )
            session = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            )
            await measure(Run(session, front), directory, issuer, seconds, rate)
    await issuer.stop()


async def measure(
    run: Run, directory: str, issuer: TokenIssuer, seconds: float, rate: float
) -> None:
    closers: list[Callable[[], Awaitable[None]]] = []
    # supporters: a directory profile on call all week, a device key, the inbox open
    supporters = []
    for _ in range(SUPPORTERS):
        token = issuer.token("officer", "peer_supporter", department=HARLOW, lifetime=3600)
        async with run.session.post(
            f"{directory}/graphql",
            json={
                "query": CREATE_PROFILE,
                "variables": {"input": profile_input(weeklySchedule=ALL_DAY_EVERY_DAY)},
            },
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            answer = await response.json()
        supporter_id = answer["data"]["createMyPeerSupporterProfile"]["supporter"]["id"]
        device = KeyPair()
        await run.call(
            "PUT", f"/conversations/{supporter_id}/device", token, {"publicKey": device.public}
        )

        def on_inbox(event: dict[str, Any], device: KeyPair = device) -> None:
            if event["type"] == "opened":
                key = str(event["officerKey"])
                channel = Channel(device, key, "supporter", key)
                run.supporter_channels[event["conversation"]] = channel
                channel.open(event)
                run.opened.setdefault(event["conversation"], asyncio.Event()).set()
            elif event["type"] == "message":
                run.arrived(event, run.supporter_channels.get(event["conversation"]))

        closers.append(await run.stream(f"/conversations/{supporter_id}/inbox", token, on_inbox))
        supporters.append((supporter_id, token, device))
    split = [0, 0]
    for supporter_id, _, _ in supporters:
        split[shard_of(uuid.UUID(supporter_id), 2)] += 1

    # officers: five conversations each, to five supporters, the officer's stream open
    conversations: list[tuple[str, str, Channel, str]] = []  # path, officer token, channel
    semaphore = asyncio.Semaphore(16)

    async def open_one(n: int, token: str) -> None:
        supporter_id, supporter_token, device = supporters[n % SUPPORTERS]
        key = KeyPair()
        channel = Channel(key, device.public, "officer", key.public)
        async with semaphore:
            answer = await run.call(
                "POST",
                f"/conversations/{supporter_id}/open",
                token,
                {
                    "officerKey": key.public,
                    "supporterKey": device.public,
                    "message": channel.seal(f"Hello, this is conversation {n}"),
                },
            )
            path = f"/conversations/{supporter_id}/{answer['conversation']}"

            def on_stream(event: dict[str, Any], channel: Channel = channel) -> None:
                if event["type"] == "message":
                    run.arrived(event, channel)

            closers.append(await run.stream(f"{path}/stream", token, on_stream))
        await run.opened.setdefault(answer["conversation"], asyncio.Event()).wait()
        conversations.append((path, token, channel, supporter_token))

    opening = time.perf_counter()
    officer_tokens = [
        issuer.token("officer", department=FENWOOD, lifetime=3600) for _ in range(OFFICERS)
    ]
    await asyncio.gather(*(open_one(n, officer_tokens[n % OFFICERS]) for n in range(CONVERSATIONS)))
    opened_in = time.perf_counter() - opening
    await asyncio.sleep(1)

    # messages at a fixed rate: conversation after conversation, the two sides alternately
    count = int(seconds * rate)
    sends: set[asyncio.Task[None]] = set()

    async def send(path: str, token: str, sealed: dict[str, Any]) -> None:
        try:
            await run.call("POST", f"{path}/messages", token, sealed)
        except (RuntimeError, aiohttp.ClientError):
            run.errors += 1

    start = time.perf_counter()
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        path, officer_token, officer_channel, supporter_token = conversations[i % CONVERSATIONS]
        conversation = path.rsplit("/", 1)[1]
        if (i // CONVERSATIONS) % 2 == 0:
            side, token, channel = "officer", officer_token, officer_channel
        else:
            side, token = "supporter", supporter_token
            channel = run.supporter_channels[conversation]
        sealed = channel.seal(f"Message {i}: how are you doing tonight? ({uuid.uuid4().hex})")
        run.pending[(conversation, side, int(sealed["seq"]))] = due
        task = asyncio.create_task(send(path, token, sealed))
        sends.add(task)
        task.add_done_callback(sends.discard)
    sent_in = time.perf_counter() - start
    deadline = time.perf_counter() + 30
    while run.pending and time.perf_counter() < deadline:  # noqa: ASYNC110 — polls a dict
        await asyncio.sleep(0.05)
    delivered_in = time.perf_counter() - start
    for close in closers:
        await close()

    delivered = len(run.latencies)
    p50, p99 = percentiles(run.latencies) if delivered > 1 else (float("nan"),) * 2
    print(
        f"end to end: gateway + 2 conversations processes + directory + PostgreSQL, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  supporters per shard          {split[0]} / {split[1]}")
    print(f"  open conversations            {len(conversations)} ({opened_in:.1f} s to open)")
    print(f"  open event streams            {len(closers)}")
    print(f"  messages offered              {count} at {rate:,.0f}/s over {sent_in:.1f} s")
    print(f"  messages delivered            {delivered} (lost {len(run.pending)})")
    print(f"  refused or failed sends       {run.errors}; not opening: {run.unreadable}")
    print(f"  delivered per second          {delivered / delivered_in:,.0f}")
    print(f"  delivery latency p50          {p50 * 1e3:,.1f} ms")
    print(f"  delivery latency p99          {p99 * 1e3:,.1f} ms")


# one process's relay ----------------------------------------------------------------------


async def in_process() -> None:
    relay = Relay(Limits(open_per_supporter=1000), SYSTEM_CLOCK)
    device = KeyPair()
    supporter_id = uuid.uuid4()
    inbox = relay.watch_supporter(supporter_id)
    officers = []
    for n in range(CONVERSATIONS):
        key = KeyPair()
        channel = Channel(key, device.public, "officer", key.public)
        first = channel.seal("hello")
        conversation = relay.open(
            supporter_id=supporter_id,
            supporter_key=device.public,
            supporter=b"s",
            officer=n.to_bytes(4, "big"),
            officer_key=key.public,
            first=Sealed(int(first["seq"]), str(first["iv"]), str(first["ciphertext"])),
        )
        officers.append((conversation, channel))
        await inbox.queue.get()
    latencies = []
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for conversation, channel in officers:
            sealed = channel.seal("How are you doing tonight?")
            sent = time.perf_counter()
            relay.send(
                conversation,
                "officer",
                Sealed(int(sealed["seq"]), str(sealed["iv"]), str(sealed["ciphertext"])),
            )
            await inbox.queue.get()
            latencies.append(time.perf_counter() - sent)
    elapsed = time.perf_counter() - started
    count = ROUNDS * CONVERSATIONS
    p50, p99 = percentiles(latencies)
    print("in process: one relay, no HTTP, no streams (the relay's own cost)")
    print(f"  open conversations            {CONVERSATIONS}")
    print(f"  messages (sealed and carried) {count}")
    print(f"  messages per second           {count / elapsed:,.0f}")
    print(f"  delivery latency p50          {p50 * 1e6:,.1f} µs")
    print(f"  delivery latency p99          {p99 * 1e6:,.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="of messages at the rate")
    parser.add_argument("--rate", type=float, default=200, help="messages per second offered")
    parser.add_argument("--in-process-only", action="store_true", help="the relay alone")
    args = parser.parse_args()
    if not args.in_process_only:
        asyncio.run(end_to_end(args.seconds, args.rate))
    asyncio.run(in_process())


if __name__ == "__main__":
    main()
