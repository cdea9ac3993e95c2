"""The whole platform under a realistic mix at fixed arrival rates, through the gateway.

Usage: .venv/bin/python bench/mix.py [--rates 25,50,100,150,200,300] [--seconds 10]
                                     [--workers 1] [--sessions 21] [--sharing on|off]
                                     [--cold]

Starts the stack as `wnwa up` does (demo data, its own data folder, free loopback ports),
signs in ``--sessions`` demo officers and peer supporters through the development IdP,
then sends the portal's own operations at each rate for ``--seconds``:

    40% supporter search    (a different ZIP code, radius and area every time)
    20% professional search (a different state, and carrier or telehealth)
    15% `me`
    10% well-being resources
    10% one supporter's profile (a different supporter every time)
     5% availability changes by peer supporters (on, off, back to the schedule)

``--sharing off`` runs the gateway with in-flight sharing of identical reads switched off
(``WNWA_GATEWAY_DEDUPLICATE_READS``), everything else equal. ``--cold`` skips the warm-up:
the first rate starts as soon as the stack says it is ready, and its figures are printed
for each 5-second window too (how a restarted stack serves its first users).

With ``--timeline`` it also samples, every 50 ms, each process's time on a CPU and time
waiting for one (bench/timeline.py), and after each rate shows the windows whose slowest
request took over 100 ms next to what every process did just before.

Each request is scheduled at ``start + i / rate`` and its latency runs from that moment
(as wrk2 measures), so a stall is charged to every request it delays. Prints p50/p95/p99
and errors per rate, the requests served per CPU-second of the whole stack (gateway,
services, database: the figure that holds on a shared machine), and the highest rate with
p99 under 100 ms and no errors. Stops climbing once a rate fails badly. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from loadgen import (  # noqa: E402
    Call,
    Figures,
    cpu_seconds_by_process,
    fixed_rate,
    postgres_cpu_seconds,
    postmaster_pid,
    processes_by_service,
)
from timeline import Timeline, stalls  # noqa: E402

from servicekit.http_connections import HttpConnections, Origin  # noqa: E402
from services.directory.vocabulary import AreaOfSupport  # noqa: E402
from services.identity.devidp.accounts import TENANTS  # noqa: E402
from services.professionals.vocabulary import CARRIERS as CARRIERS_LISTED  # noqa: E402
from tests.support.stack import running_stack, sign_in  # noqa: E402

SUPPORTERS = """query FindSupporters($filter: PeerSupporterFilter, $after: String) {
  searchPeerSupporters(filter: $filter, first: 20, after: $after) {
    matches { distanceMiles supporter { id displayName telLink smsLink availableNow languages
      areasOfSupport yearsOfService bio certifications county state department { name } } }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  } }"""
PROFESSIONALS = """query FindProfessionals($search: ProfessionalSearch, $after: String) {
  professionals(search: $search, first: 20, after: $after) {
    nodes { id fullName credentials practiceName distanceMiles telehealth
      locations { city state } availability { answersCallsAnyHour schedulesWithin24Hours } }
    pageInfo { endCursor hasNextPage } } }"""
ME = "query Me { me { roles department { id name county state } } }"
RESOURCES = """query Resources { wellbeingResources {
    id title description url phone textNumber telLink smsLink category audience } }"""
PROFILE = """query Profile($id: ID!) { peerSupporter(id: $id) {
  id displayName phone telLink smsLink languages areasOfSupport yearsOfService certifications
  bio county state weeklySchedule { day start end } availableNow department { name county } } }"""
SWITCH = """mutation Switch($input: AvailabilityInput!) { setMyAvailability(input: $input) {
  supporter { id availableNow availableUntil unavailableUntil } errors { field message } } }"""

AREAS = [area.name for area in AreaOfSupport]
ZIPS = ["60601", "60540", "61602", "60115", "60435", "61820", "62701", "60085", "61101"]
STATES = ["IL", "CA", "NY", "TX", "FL", "WA", "GA", "OH", "AZ", "CO", "MA", "PA"]
CARRIERS = sorted(CARRIERS_LISTED)


class Session:
    """One signed-in person: their cookies, as their browser would send them."""

    def __init__(self, cookie: str, peer_supporter: bool) -> None:
        self.headers = {"Content-Type": "application/json", "Cookie": cookie}
        self.peer_supporter = peer_supporter


def signed_in_sessions(gateway: str, count: int) -> list[Session]:
    people = [
        (f"{account.login}@{tenant.email_domain}", account.role_note)
        for tenant in TENANTS
        for account in tenant.accounts
        if account.role_note in ("officer", "peer supporter")
    ]
    sessions = []
    for index in range(count):
        email, role = people[index % len(people)]
        with httpx.Client(base_url=gateway, timeout=30, headers={"Accept": "text/html"}) as b:
            sign_in(b, email)
            cookie = "; ".join(f"{c.name}={c.value}" for c in b.cookies.jar)
        sessions.append(Session(cookie, role == "peer supporter"))
    return sessions


def mix(
    client: HttpConnections,
    gateway: Origin,
    sessions: list[Session],
    supporter_ids: list[str],
    rng: random.Random,
    failures: dict[str, int],
) -> Callable[[], Call]:
    """Makes the next request of the mix; counts failures by operation and error code."""
    supporters = [s for s in sessions if s.peer_supporter]

    def availability() -> dict[str, Any]:
        choice = rng.random()
        if choice < 0.4:
            return {"input": {"switch": "AVAILABLE_NOW"}}
        if choice < 0.7:
            until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=rng.randint(2, 48))
            return {"input": {"switch": "UNAVAILABLE", "until": until.isoformat()}}
        return {"input": {"switch": "FOLLOW_SCHEDULE"}}

    def supporter_search() -> dict[str, Any]:
        filter_: dict[str, Any] = {
            "near": {"zipCode": rng.choice(ZIPS), "withinMiles": rng.choice((25, 50, 100, 150))}
        }
        if rng.random() < 0.6:
            filter_["areasOfSupport"] = [rng.choice(AREAS)]
        if rng.random() < 0.3:
            filter_["availableNow"] = True
        return {"filter": filter_}

    def professional_search() -> dict[str, Any]:
        search: dict[str, Any] = {"state": rng.choice(STATES)}
        if rng.random() < 0.5:
            search["insuranceCarrier"] = rng.choice(CARRIERS)
        else:
            search["telehealth"] = True
        return {"search": search}

    kinds: list[tuple[float, str, Callable[[], dict[str, Any]], bool]] = [
        (0.40, SUPPORTERS, supporter_search, False),
        (0.20, PROFESSIONALS, professional_search, False),
        (0.15, ME, dict, False),
        (0.10, RESOURCES, dict, False),
        (0.10, PROFILE, lambda: {"id": rng.choice(supporter_ids)}, False),
        (0.05, SWITCH, availability, True),
    ]

    def make() -> Call:
        pick, total = rng.random(), 0.0
        for share, query, variables, needs_supporter in kinds:  # noqa: B007
            total += share
            if pick < total:
                break
        session = rng.choice(supporters if needs_supporter and supporters else sessions)
        body = orjson.dumps({"query": query, "variables": variables()})
        name = query.split("(")[0].split("{")[0].strip()

        async def call() -> bool:
            status, raw = await client.post(gateway, session.headers, body)
            errors = orjson.loads(raw).get("errors") if raw.startswith(b"{") else [{}]
            if status == 200 and not errors:
                return True
            code = (errors or [{}])[0].get("extensions", {}).get("code", status)
            failures[f"{name}: {code}"] = failures.get(f"{name}: {code}", 0) + 1
            return False

        return call

    return make


def stack_processes(data_dir: Path, load_generator: int) -> dict[str, list[int]]:
    """The process ids of the stack on ``data_dir`` by service, its database server's and the
    load generator's."""
    found = processes_by_service(f"WNWA_DATA_DIR={data_dir}".encode())
    found["load generator"] = [load_generator]
    postmaster = postmaster_pid(data_dir / "pgdata")
    if postmaster is not None:
        with contextlib.suppress(FileNotFoundError):
            children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text()
            found["postgres"] = [postmaster, *map(int, children.split())]
    return found


def stack_cpu_seconds(data_dir: Path) -> dict[str, float]:
    """CPU seconds so far of the stack run on ``data_dir``, by service, and its database's."""
    spent = cpu_seconds_by_process(f"WNWA_DATA_DIR={data_dir}".encode())
    spent["postgres"] = postgres_cpu_seconds(data_dir / "pgdata")
    return spent


async def drive(
    gateway: str,
    sessions: list[Session],
    rates: list[float],
    seconds: float,
    data_dir: Path,
    timeline: bool,
    cold: bool = False,
) -> None:
    rng = random.Random(23)
    # the load generator shares the machine it measures: requests go out as prepared bytes
    # on keep-alive connections (servicekit.http_connections), at a fraction of aiohttp's CPU
    origin = Origin.of(f"{gateway}/graphql")
    assert origin is not None
    client = HttpConnections(seconds=30, limit=256)
    try:
        ids: set[str] = set()
        for zip_code in ZIPS:
            variables = {"filter": {"near": {"zipCode": zip_code}}}
            body = orjson.dumps({"query": SUPPORTERS, "variables": variables})
            _, raw = await client.post(origin, sessions[0].headers, body)
            for match in orjson.loads(raw)["data"]["searchPeerSupporters"]["matches"]:
                ids.add(match["supporter"]["id"])
        failures: dict[str, int] = {}
        make = mix(client, origin, sessions, sorted(ids), rng, failures)
        if not cold:
            await fixed_rate(make, rate=300, seconds=5)  # warm up
        print(f"{len(sessions)} sessions, {len(ids)} supporters to view, {os.cpu_count()} CPUs")
        best = None
        for rate in rates:
            before, own = stack_cpu_seconds(data_dir), time.process_time()
            watched = partial(stack_processes, data_dir, os.getpid())
            sampler = Timeline(watched) if timeline else None
            figures: Figures = await fixed_rate(make, rate=rate, seconds=seconds)
            after, own = stack_cpu_seconds(data_dir), time.process_time() - own
            spent = {name: after[name] - before.get(name, 0.0) for name in after}
            total = sum(spent.values())
            print(
                f"  {rate:6.0f}/s  {figures.line()}  "
                f"{figures.count / total if total else float('nan'):5.0f} req per stack CPU-second"
            )
            print(
                "           CPU ms per request: "
                + ", ".join(
                    f"{name} {seconds_ * 1000 / max(1, figures.count):.2f}"
                    for name, seconds_ in sorted(spent.items())
                )
                + f"; the load generator (not counted) {own * 1000 / max(1, figures.count):.2f}"
            )
            if sampler is not None:
                sampler.close()
                requests = list(zip(figures.scheduled, figures.latencies_ms, strict=True))
                for line in stalls(sampler.samples, requests):
                    print(f"           {line}")
            if cold and rate == rates[0]:
                for line in windows(figures, seconds=5):
                    print(f"           {line}")
            if failures:
                print(f"           failures: {dict(sorted(failures.items()))}")
                failures.clear()
            if figures.percentile(99) < 100 and figures.errors == 0:
                best = rate
            if figures.percentile(99) > 2000 or figures.errors > figures.count / 10:
                break
        print(f"highest rate with p99 < 100 ms and no errors: {best or 'none'}/s")
    finally:
        client.close()


def windows(figures: Figures, seconds: float) -> list[str]:
    """The figures of each ``seconds`` window of a run, by when each request was due."""
    if not figures.scheduled:
        return []
    start = min(figures.scheduled)
    buckets: dict[int, Figures] = {}
    for due, latency in zip(figures.scheduled, figures.latencies_ms, strict=True):
        window = buckets.setdefault(int((due - start) // seconds), Figures())
        window.scheduled.append(due)
        window.latencies_ms.append(latency)
    return [
        f"{index * seconds:4.0f}-{(index + 1) * seconds:.0f} s: "
        f"p50 {window.percentile(50):6.1f}  p99 {window.percentile(99):6.1f} ms "
        f"({window.count} requests)"
        for index, window in sorted(buckets.items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100,150,200,300,400,500")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=21)
    parser.add_argument("--timeline", action="store_true", help="show what each stall was")
    parser.add_argument("--sharing", choices=("on", "off"), default="on")
    parser.add_argument("--cold", action="store_true", help="no warm-up; figures by 5 s window")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="wnwa-mix-") as data_dir,
        running_stack(
            Path(data_dir),
            WNWA_WORKERS=str(args.workers),
            WNWA_IDENTITY_ACCESS_TOKEN_MINUTES="60",
            WNWA_LOG_LEVEL="WARNING",
            WNWA_GATEWAY_DEDUPLICATE_READS="true" if args.sharing == "on" else "false",
        ) as stack,
    ):
        sessions = signed_in_sessions(stack.gateway, args.sessions)
        uvloop.run(
            drive(
                stack.gateway,
                sessions,
                rates,
                args.seconds,
                Path(data_dir),
                args.timeline,
                cold=args.cold,
            )
        )


if __name__ == "__main__":
    main()
