"""How long the gateway takes to answer or refuse each hostile document an anonymous sender
could post, and whether others still get in meanwhile.

Usage: .venv/bin/python bench/hostile_documents.py [--rounds N] [--only NAME]

Starts the fast in-memory subgraphs of ``bench/gateway_alone.py`` and a gateway process
(`wnwa serve gateway`, ``WNWA_ENV=test``: introspection on, as in development, where it
costs most) on free loopback ports. Then:

1. every hostile document of ``tests/adversarial/hostile.py`` (and the 730-byte variant of
   the introspection alias fan, and a multipart request whose ``operations`` part nests 5,000
   lists), and for reference the portal's own fee-tier query and the costliest documents
   accepted (GraphiQL's introspection query; 63 ``__typename``, 1,953 same-name pairs), each
   posted ``--rounds`` times: its size in bytes, the median and worst time to the gateway's
   answer in milliseconds, the size of the answer and its first error code (``data`` when
   answered);
2. the fragment fan-out family N = 10 … 60 (``N`` fragments each spreading the next twice:
   2**N fields from about 40·N bytes): the time to refuse each;
3. while four clients send the 730-byte introspection alias fan (the document that froze the
   gateway) back to back, a fifth asks for ``/healthz``: its times say whether the gateway
   still answers others.

Nothing is asserted; it prints. Times are wall-clock on a shared machine: compare rows, not
runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from graphql import get_introspection_query

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.gateway_alone import SUBGRAPHS, fast_subgraphs  # noqa: E402
from tests.adversarial.hostile import (  # noqa: E402
    Hostile,
    documents,
    fragment_fan_out,
    introspection_alias_fan,
)
from tests.support.servers import free_port  # noqa: E402

LEVELS = (10, 20, 24, 30, 40, 50, 60)
REFERENCE = "query Fees { feeTiers { minSwornOfficers maxSwornOfficers annualFeeCents } }"
GRAPHIQL = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)
# what a request may take before the bench gives up on it (a frozen gateway)
PATIENCE_SECONDS = 300


async def wait_until_up(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(300):
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the gateway did not start")


class Outcome:
    def __init__(self, milliseconds: float, answer_bytes: int, code: str) -> None:
        self.milliseconds = milliseconds
        self.answer_bytes = answer_bytes
        self.code = code


async def post(
    session: aiohttp.ClientSession, base: str, hostile: Hostile | None, query: str = ""
) -> Outcome:
    """One request: the hostile document (JSON), or its multipart form when it has none."""
    started = time.perf_counter()
    if hostile is not None and hostile.name == "multipart nesting 5000":
        form = aiohttp.FormData()
        # a content type makes it a multipart body (a plain form would be url-encoded)
        form.add_field("operations", "[" * 5000 + "]" * 5000, content_type="application/json")
        form.add_field("map", "{}", content_type="application/json")
        request = session.post(f"{base}/graphql", data=form, headers={"X-WNWA-Request": "1"})
    else:
        body = {"query": hostile.query if hostile else query}
        if hostile is not None and hostile.variables:
            body["variables"] = hostile.variables
        request = session.post(f"{base}/graphql", json=body)
    async with request as response:
        raw = await response.read()
    elapsed = (time.perf_counter() - started) * 1000
    return Outcome(elapsed, len(raw), first_code(response.status, raw))


def first_code(status: int, raw: bytes) -> str:
    try:
        answer: Any = orjson.loads(raw)
    except ValueError:
        return f"HTTP {status}"
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if errors:
        return str(errors[0].get("extensions", {}).get("code", f"HTTP {status}"))
    return "data"


def cases() -> list[tuple[str, Hostile | None, str]]:
    found: list[tuple[str, Hostile | None, str]] = [
        ("portal: Fees (reference)", None, REFERENCE),
        # the costliest accepted: GraphiQL's introspection, and 1,953 same-name pairs
        ("GraphiQL introspection (reference)", None, GRAPHIQL),
        ("63 x __typename (accepted)", None, "{" + " __typename" * 63 + "}"),
    ]
    found += [(hostile.name, hostile, "") for hostile in documents()]
    found.append(
        (
            "introspection alias fan 4",
            Hostile("introspection alias fan 4", introspection_alias_fan(4), {}, frozenset()),
            "",
        )
    )
    multipart = Hostile("multipart nesting 5000", "[" * 5000, {}, frozenset())
    found.append((multipart.name, multipart, ""))
    return found


async def measure(base: str, rounds: int, only: str | None) -> None:
    timeout = aiohttp.ClientTimeout(total=PATIENCE_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await wait_until_up(session, base)
        print(
            f"{'document':34} {'bytes':>8} {'median ms':>10} {'worst ms':>9} "
            f"{'answer B':>10}  outcome"
        )
        for name, hostile, query in cases():
            if only and only not in name:
                continue
            size = hostile.size if hostile else len(query)
            outcomes: list[Outcome] = []
            for _ in range(rounds):
                try:
                    outcomes.append(await post(session, base, hostile, query))
                except TimeoutError:
                    outcomes.append(Outcome(PATIENCE_SECONDS * 1000, 0, "no answer"))
                    break
            times = [outcome.milliseconds for outcome in outcomes]
            last = outcomes[-1]
            print(
                f"{name:34} {size:>8} {statistics.median(times):>10.1f} {max(times):>9.1f} "
                f"{last.answer_bytes:>10}  {last.code}",
                flush=True,
            )
        if only:
            return
        print()
        print(f"{'N':>3} {'bytes':>6} {'fields':>22} {'median ms':>10} {'worst ms':>9}")
        for levels in LEVELS:
            fan_out = Hostile(f"fan-out {levels}", fragment_fan_out(levels), {}, frozenset())
            outcomes = [await post(session, base, fan_out) for _ in range(rounds)]
            times = [outcome.milliseconds for outcome in outcomes]
            print(
                f"{levels:>3} {fan_out.size:>6} {2**levels:>22,} "
                f"{statistics.median(times):>10.2f} {max(times):>9.2f}",
                flush=True,
            )
        attack = Hostile("introspection alias fan 4", introspection_alias_fan(4), {}, frozenset())
        health: list[float] = []
        stop = asyncio.Event()

        async def attacker() -> None:
            while not stop.is_set():
                await post(session, base, attack)

        async def bystander() -> None:
            for _ in range(rounds):
                started = time.perf_counter()
                async with session.get(f"{base}/healthz") as response:
                    await response.read()
                health.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
            stop.set()

        await asyncio.gather(*(attacker() for _ in range(4)), bystander())
        print(
            f"\n/healthz while 4 clients send '{attack.name}' back to back: median "
            f"{statistics.median(health):.1f} ms, worst {max(health):.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="only the documents whose name holds this")
    args = parser.parse_args()
    with fast_subgraphs(tokens=1) as (urls, _tokens):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
        env.update(
            {
                "WNWA_ENV": "test",
                "WNWA_GATEWAY_PORT": str(port),
                "WNWA_JWKS_URL": urls["jwks"],
                "WNWA_LOG_LEVEL": "WARNING",
                "WNWA_GATEWAY_IDENTITY_ORIGIN": "http://127.0.0.1:9",
                "WNWA_GATEWAY_IDENTITY_URL": "http://127.0.0.1:9/graphql",
            }
        )
        env |= {f"WNWA_GATEWAY_{name.upper()}_URL": urls[name] for name in SUBGRAPHS}
        gateway = subprocess.Popen(
            [sys.executable, "-m", "wnwa", "serve", "gateway"], env=env, cwd=PROJECT
        )
        try:
            asyncio.run(measure(f"http://127.0.0.1:{port}", args.rounds, args.only))
        finally:
            gateway.terminate()
            gateway.wait(timeout=10)


if __name__ == "__main__":
    main()
