"""Conversations: messages per second and delivery latency with 1,000 open conversations,
through one process's relay (sealing and opening included, as the two browsers do).

Run: .venv/bin/python bench/conversations.py
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from servicekit.clock import SYSTEM_CLOCK
from services.conversations.relay import Relay, Sealed
from services.conversations.settings import Limits
from tests.support.sealing import Channel, KeyPair

CONVERSATIONS = 1000
ROUNDS = 20


async def main() -> None:
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
    cuts = statistics.quantiles(latencies, n=100)
    print(f"open conversations           {CONVERSATIONS}")
    print(f"messages (sealed and carried) {count}")
    print(f"messages per second           {count / elapsed:,.0f}")
    print(f"delivery latency p50          {cuts[49] * 1e6:,.1f} µs")
    print(f"delivery latency p99          {cuts[98] * 1e6:,.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
