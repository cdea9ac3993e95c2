"""The gateway alone: CPU per request of this project's gateway, Apollo Gateway and Hive
Gateway in front of the same fast subgraphs.

The subgraphs answer from memory (one separate process serving membership, directory and
professionals, and the JWKS of a test issuer), so what is measured is the gateway: each
answer is worked out once per distinct document (and ``_entities`` representations) from the
services' real schemas, with made-up values, and then served as stored bytes. Every request
carries its own signed token (ES256, from a pool larger than any run sends) and its own
variables (a different ZIP code each time), so no gateway can share or cache work between
requests: this project's gateway verifies every token, the reference gateways forward it
(or verify it too, with --references-verify).

wrk drives each gateway in turn with the same operations; the CPU time of each gateway
process (and its children) is read from /proc before and after, so the figures that hold on
a shared machine are requests per CPU-second; p50/p99 and requests per second are printed
too, with the load average.

    .venv/bin/python bench/gateway_alone.py [--seconds 10] [--connections 32] [--rounds 3]
        [--only wnwa] [--tokens N] [--references-verify] [--profile cross|single] [--spy]

--references-verify has Apollo Gateway (with jose) and Hive Gateway (with its JWT plugin)
verify each bearer token before forwarding it, as this project's gateway must: the same
work on every side (checked first: each must refuse a token whose signature was changed).

All the gateways run at once, idle but for the one under load. Each round measures every
case on every gateway in turn, so the figures compared are taken within the same minute;
with more than one gateway the summary gives each one's median and this project's gateway
against each reference round by round (on a shared machine, whose speed drifts from minute
to minute, those paired ratios are steadier than figures taken far apart).

--profile runs this project's gateway under cProfile instead (in-process, fast subgraphs
still separate) and prints where its time goes. Needs `wrk` and, for the reference
gateways, Node.js with npm (bench/reference-gateways). Nothing here is asserted; it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.gateway import reference_gateways  # noqa: E402
from bench.loadgen import WRK_TALLY, count_in, run_wrk  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

SUBGRAPHS = ("membership", "directory", "professionals")
ISSUER = "http://issuer.bench"
CROSS = """query Nearby($filter: PeerSupporterFilter) {
  searchPeerSupporters(first: 20, filter: $filter) {
    matches { distanceMiles supporter { id displayName telLink department { name county state } } }
  }
}"""
SINGLE = """query NearbyNames($filter: PeerSupporterFilter) {
  searchPeerSupporters(first: 20, filter: $filter) {
    matches { distanceMiles supporter { id displayName telLink } }
  }
}"""
CASES = {"cross-subgraph (directory + membership)": CROSS, "single-subgraph (directory)": SINGLE}


# -- the fast subgraphs (run in a process of their own) --------------------------------------


def serve_subgraphs(port: int, tokens_file: Path, count: int) -> None:
    """Serve the fast subgraphs and the issuer's JWKS on ``port``; write ``count`` distinct
    tokens to ``tokens_file`` (one a line), then print "ready"."""
    import orjson
    from aiohttp import web
    from graphql import (
        GraphQLEnumType,
        GraphQLList,
        GraphQLNonNull,
        GraphQLSchema,
        build_ast_schema,
        execute,
        is_abstract_type,
        is_leaf_type,
        parse,
    )
    from joserfc import jwt
    from joserfc.jwk import ECKey, KeySet

    key = ECKey.generate_key("P-256", parameters={"kid": "bench"})
    keys = KeySet([key])
    now = int(time.time())
    with tokens_file.open("w") as out:
        header = {"alg": "ES256", "kid": key.kid}
        for _ in range(count):
            claims = {
                "iss": ISSUER,
                "aud": "wnwa",
                "sub": uuid.uuid4().hex,
                "dept": str(uuid.uuid4()),
                "roles": ["officer"],
                "iat": now,
                "exp": now + 3600,
            }
            out.write(jwt.encode(header, claims, keys) + "\n")

    schemas: dict[str, GraphQLSchema] = {
        name: build_ast_schema(
            parse((PROJECT / "services" / name / "schema.graphql").read_text()),
            assume_valid_sdl=True,
        )
        for name in SUBGRAPHS
    }

    def made_up(field_type: Any, name: str, path: Any, schema: GraphQLSchema, nested: bool) -> Any:
        """A value of ``field_type``: the same for the same path; 20 items in the outermost
        list of an answer (a page), 2 in lists inside it."""
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if isinstance(field_type, GraphQLList):
            count = 2 if nested else 20
            item = field_type.of_type
            return [made_up(item, name, (path, i), schema, True) for i in range(count)]
        if isinstance(field_type, GraphQLEnumType):
            return next(iter(field_type.values))
        if is_leaf_type(field_type):
            scalar = field_type.name
            if scalar == "ID":
                return str(uuid.uuid5(uuid.NAMESPACE_OID, repr(path)))
            if scalar == "Int":
                return 7
            if scalar == "Float":
                return 3.5
            if scalar == "Boolean":
                return True
            if scalar == "DateTime":
                return "2026-01-01T00:00:00+00:00"
            if scalar == "Date":
                return "2026-01-01"
            return f"{name} {len(repr(path)) % 97}"
        if is_abstract_type(field_type):
            return {"__typename": schema.get_possible_types(field_type)[0].name}
        return {}

    def resolve(source: Any, info: Any, **arguments: Any) -> Any:
        if info.field_name == "_entities":
            return [dict(representation) for representation in arguments["representations"]]
        if isinstance(source, dict) and info.field_name in source:
            return source[info.field_name]
        nested = any(isinstance(step, int) for step in info.path.as_list())
        return made_up(info.return_type, info.field_name, info.path.as_list(), info.schema, nested)

    def type_of(value: Any, info: Any, abstract: Any) -> str | None:
        if isinstance(value, dict) and value.get("__typename"):
            return str(value["__typename"])
        return str(info.schema.get_possible_types(abstract)[0].name)

    answers: dict[tuple[str, str, bytes], bytes] = {}

    async def graphql(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        payload = orjson.loads(await request.read())
        query = payload["query"]
        variables = payload.get("variables") or {}
        # the answer depends on the document and the entities asked for, never on the
        # other variables: every search returns the same page
        representations = orjson.dumps(
            [v for k, v in sorted(variables.items()) if isinstance(v, list)]
        )
        cache_key = (name, query, representations)
        answer = answers.get(cache_key)
        if answer is None:
            result = execute(
                schemas[name],
                parse(query),
                variable_values=variables,
                operation_name=payload.get("operationName"),
                field_resolver=resolve,
                type_resolver=type_of,
            )
            assert not isinstance(result, asyncio.Future | type(None))
            answer = orjson.dumps(result.formatted)  # type: ignore[union-attr]
            if len(answers) < 10_000:
                answers[cache_key] = answer
        return web.Response(body=answer, content_type="application/json")

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response(keys.as_dict(private=False))

    app = web.Application()
    app.router.add_post("/{name}/graphql", graphql)
    app.router.add_get("/.well-known/jwks.json", jwks)
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


@contextlib.contextmanager
def fast_subgraphs(tokens: int) -> Iterator[tuple[dict[str, str], Path]]:
    port = free_port()
    tokens_file = Path(tempfile.mkdtemp(prefix="wnwa-alone-")) / "tokens.txt"
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-subgraphs", str(port), str(tokens_file), str(tokens)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the fast subgraphs did not start")
        urls = {name: f"http://127.0.0.1:{port}/{name}/graphql" for name in SUBGRAPHS}
        urls["jwks"] = f"http://127.0.0.1:{port}/.well-known/jwks.json"
        yield urls, tokens_file
    finally:
        process.terminate()
        process.wait(timeout=10)
        tokens_file.unlink(missing_ok=True)


# -- the gateways ----------------------------------------------------------------------------


def gateway_environment(urls: dict[str, str], port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env |= {
        "WNWA_ENV": "production",
        "WNWA_GATEWAY_PORT": str(port),
        # production requires the public address; nothing here reads it
        "WNWA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WNWA_JWKS_URL": urls["jwks"],
        "WNWA_TOKEN_ISSUER": ISSUER,
        "WNWA_GATEWAY_IDENTITY_ORIGIN": "http://127.0.0.1:9",
    }
    env |= {f"WNWA_GATEWAY_{name.upper()}_URL": urls[name] for name in SUBGRAPHS}
    return env


@contextlib.contextmanager
def project_gateway(urls: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wnwa", "serve", "gateway"],
        env=gateway_environment(urls, port),
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}/graphql", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def listening_pids(port: int) -> list[int]:
    """The processes that hold the socket listening on loopback ``port`` (a gateway started
    through a wrapper script, or one that forks workers sharing its socket)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")
    owners = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if any(
                os.readlink(f"/proc/{pid}/fd/{fd}") in inodes
                for fd in os.listdir(f"/proc/{pid}/fd")
            ):
                owners.append(int(pid))
    if not owners:
        raise RuntimeError(f"no process listens on port {port}")
    return owners


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids`` and every process below them, each counted once."""
    seen: set[int] = set()
    pending = list(pids)
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                pending.extend(int(child) for child in children)
    total = 0.0
    for pid in seen:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def body(query: str, zip_code: str) -> bytes:
    filter_ = {"near": {"zipCode": zip_code, "withinMiles": 50}, "includeOwnDepartment": True}
    return json.dumps({"query": query, "variables": {"filter": filter_}}).encode()


def post(url: str, query: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=body(query, "60601"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def wait_until_answers(url: str, token: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            return post(url, CROSS, token)
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def refuses_forged(url: str, token: str) -> bool:
    """Whether the gateway at ``url`` refuses ``token`` with its signature changed."""
    header_and_claims, _, signature = token.rpartition(".")
    forged = f"{header_and_claims}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    try:
        answer = post(url, CROSS, forged)
    except urllib.error.HTTPError as refused:
        return refused.code in (400, 401, 403)
    return bool(answer.get("errors")) and not (answer.get("data") or {}).get("searchPeerSupporters")


# -- load --------------------------------------------------------------------------------------

_LUA = """
local tokens = {}
for line in io.lines(%(tokens)s) do tokens[#tokens + 1] = line end
local query = %(query)s
local counter = %(start)d
function request()
  counter = counter + 1
  local token = tokens[(counter - 1) %% #tokens + 1]
  local zip = string.format("%%05d", counter %% 100000)
  local body = '{"query":' .. query .. ',"variables":{"filter":{"near":{"zipCode":"' .. zip
    .. '","withinMiles":50},"includeOwnDepartment":true}}}'
  return wrk.format("POST", nil,
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"""


def run_load(
    url: str, query: str, tokens_file: Path, *, start: int, connections: int, seconds: int
) -> dict[str, float]:
    lua = WRK_TALLY + _LUA % {
        "tokens": json.dumps(str(tokens_file)),
        "query": json.dumps(json.dumps(query)),
        "start": start,
    }
    figures, output = run_wrk(url, lua, connections=connections, seconds=seconds)
    return {
        **figures,
        "requests": float(re.search(r"requests=(\d+)", output).group(1)),  # type: ignore[union-attr]
        "non2xx": float(count_in(r"Non-2xx or 3xx responses: (\d+)", output)),
        "failed": float(count_in(r"failed=(\d+)", output)),
    }


class Gateway:
    """One gateway under load: where its processes are, and the next token it has not been
    sent yet (so no run repeats a token to the same gateway)."""

    def __init__(self, name: str, url: str, pids: list[int]) -> None:
        self.name, self.url, self.pids = name, url, pids
        self.next_token = 0
        self.figures: dict[str, list[float]] = {}  # requests per CPU-second, by case


def measure(
    gateway: Gateway,
    case: str,
    tokens_file: Path,
    *,
    connections: int,
    seconds: int,
    token_count: int,
    spy: bool = False,
) -> None:
    """Print the figures of one case on one gateway, and keep its requests per CPU-second.
    With ``spy``, py-spy samples the gateway during the measured run (see :func:`sampled`)."""
    query = CASES[case]
    answer = post(gateway.url, query, tokens_file.open().readline().strip())
    matches = (answer.get("data") or {}).get("searchPeerSupporters", {}).get("matches")
    if answer.get("errors") or not matches:
        print(f"{gateway.name:<15} {case}: wrong answer, skipped: {json.dumps(answer)[:300]}")
        return
    # a short warm-up (JIT, caches of documents), then the measured run
    start = gateway.next_token
    warm = run_load(
        gateway.url, query, tokens_file, start=start, connections=connections, seconds=2
    )
    start += int(warm["requests"]) + connections
    before = cpu_seconds(gateway.pids)
    with sampled(gateway.pids[0], seconds) if spy else contextlib.nullcontext():
        figures = run_load(
            gateway.url, query, tokens_file, start=start, connections=connections, seconds=seconds
        )
    cpu = cpu_seconds(gateway.pids) - before
    gateway.next_token = start + int(figures["requests"]) + connections
    per_cpu = figures["requests"] / cpu if cpu else float("nan")
    gateway.figures.setdefault(case, []).append(per_cpu)
    reused = " (tokens reused!)" if gateway.next_token > token_count else ""
    print(
        f"{gateway.name:<15} {case:<42} {per_cpu:7.0f} req/CPU-s  {figures['rps']:7.0f} req/s  "
        f"CPU {cpu:5.1f} s  p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
        f"errors {figures['failed']:.0f}{reused}",
        flush=True,
    )


def summarize(gateways: list[Gateway]) -> None:
    """Per case: each gateway's median, and this project's gateway against each reference
    round by round (the two measured within the same minute), with the median and the
    lowest of those ratios."""
    ours, references = gateways[0], gateways[1:]
    print("\nsummary (requests per CPU-second; ratios taken round by round)")
    for case in CASES:
        if case not in ours.figures:
            continue
        print(f"  {case}")
        for gateway in gateways:
            values = gateway.figures.get(case, [])
            if values:
                listed = ", ".join(f"{value:.0f}" for value in values)
                print(f"    {gateway.name:<15} median {statistics.median(values):6.0f}  ({listed})")
        for reference in references:
            pairs = list(zip(ours.figures[case], reference.figures.get(case, []), strict=False))
            if pairs:
                ratios = [mine / theirs for mine, theirs in pairs]
                listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
                print(
                    f"    {ours.name} / {reference.name}: median {statistics.median(ratios):.2f}x,"
                    f" lowest {min(ratios):.2f}x  ({listed})"
                )


@contextlib.contextmanager
def sampled(pid: int, seconds: int) -> Iterator[None]:
    """Sample ``pid`` with py-spy (if installed) meanwhile; print the functions holding the
    most samples, by their own time and with what they call."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        print("  (py-spy is not installed: pip install py-spy)")
        yield
        return
    output = Path(tempfile.mkdtemp(prefix="wnwa-spy-")) / "stacks.txt"
    process = subprocess.Popen(
        [
            *(str(spy), "record", "-p", str(pid), "-d", str(seconds), "-r", "200"),
            *("--format", "raw", "-o", str(output), "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.wait(timeout=seconds + 30)
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in output.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            if re.search(r"[( /](gateway|servicekit)/\w+\.py", frame) and ".venv" not in frame:
                total[frame] = total.get(frame, 0) + count
    output.unlink(missing_ok=True)
    print(f"  py-spy: {samples} samples; own time, then with callees (project code)")
    short = lambda frame: re.sub(r" \(.*/", " (", frame)  # noqa: E731
    for frame, count in sorted(own.items(), key=lambda item: -item[1])[:15]:
        print(f"    {count / samples:6.1%}  {short(frame)}")
    for frame, count in sorted(total.items(), key=lambda item: -item[1])[:15]:
        print(f"    {count / samples:6.1%}  {short(frame)}  (inclusive)")


def profile(urls: dict[str, str], tokens_file: Path, iterations: int, query: str) -> None:
    """cProfile of this project's gateway app answering ``query`` in-process over ASGI, a
    distinct token each time (the fast subgraphs stay in their own process)."""
    import cProfile
    import io
    import pstats

    import httpx

    from gateway.app import create_app
    from gateway.settings import load

    tokens = tokens_file.read_text().split()[:iterations]
    app = create_app(load(gateway_environment(urls, 0)))
    profiler = cProfile.Profile()

    async def drive() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:

                async def one(index: int, token: str) -> None:
                    response = await client.post(
                        "/graphql",
                        content=body(query, f"{index % 100000:05d}"),
                        headers={
                            "Content-Type": "application/json",
                            "Authorization": f"Bearer {token}",
                        },
                    )
                    assert "errors" not in response.json(), response.text[:300]

                await one(0, tokens[0])
                profiler.enable()
                for batch in range(1, len(tokens), 8):
                    await asyncio.gather(
                        *(one(i, tokens[i]) for i in range(batch, min(batch + 8, len(tokens))))
                    )
                profiler.disable()

    asyncio.run(drive())
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(30)
    print(f"{len(tokens) - 1} requests, 8 at a time")
    print(text.getvalue().split("ncalls", 1)[-1][:7000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--tokens", type=int, help="distinct tokens to sign (default: enough for every run)"
    )
    parser.add_argument("--only", choices=("wnwa", "apollo", "hive"), action="append")
    parser.add_argument(
        "--references-verify",
        action="store_true",
        help="the reference gateways verify each token too, as this one does",
    )
    parser.add_argument("--profile", choices=("cross", "single"))
    parser.add_argument("--spy", action="store_true", help="sample this gateway with py-spy")
    parser.add_argument("--serve-subgraphs", nargs=3, metavar=("PORT", "TOKENS", "COUNT"))
    args = parser.parse_args()
    if args.serve_subgraphs:
        port, tokens_file, count = args.serve_subgraphs
        serve_subgraphs(int(port), Path(tokens_file), int(count))
        return
    only = set(args.only or ("wnwa", "apollo", "hive"))
    if args.tokens is None:  # this gateway's rate is at most about 5,000 requests a second
        args.tokens = 5_000 * (args.seconds + 3) * len(CASES) * args.rounds
    print(f"signing {args.tokens} distinct tokens…", flush=True)
    with fast_subgraphs(args.tokens) as (urls, tokens_file):
        if args.profile:
            query = SINGLE if args.profile == "single" else CROSS
            profile(urls, tokens_file, min(args.tokens, 3000), query)
            return
        print(
            f"\nwrk, 1 thread, {args.connections} connections, {args.seconds} s per case; "
            f"a distinct token and ZIP code on every request; the reference gateways "
            f"{'verify each token too' if args.references_verify else 'forward the token'}. "
            f"Machine: {os.cpu_count()} cores, "
            f"shared; load average before: {os.getloadavg()[0]:.2f}\n",
            flush=True,
        )
        options = {
            "connections": args.connections,
            "seconds": args.seconds,
            "token_count": args.tokens,
        }
        references = {name: urls[name] for name in SUBGRAPHS}
        wanted = {"Apollo Gateway": "apollo", "Hive Gateway": "hive"}
        with contextlib.ExitStack() as running:
            token = tokens_file.open().readline().strip()
            gateways = []
            if "wnwa" in only:
                url, pid = running.enter_context(project_gateway(urls))
                wait_until_answers(url, token)
                gateways.append(Gateway("wnwa gateway", url, [pid]))
            if only & {"apollo", "hive"}:
                verify = (
                    {"jwks_url": urls["jwks"], "issuer": ISSUER, "audience": "wnwa"}
                    if args.references_verify
                    else None
                )
                started = running.enter_context(reference_gateways(references, verify=verify))
                for name, url in started.items():
                    if wanted[name] in only:
                        wait_until_answers(url, token)
                        if verify is not None and not refuses_forged(url, token):
                            raise RuntimeError(f"{name} accepts a forged token")
                        port = int(url.split(":")[2].split("/")[0])
                        gateways.append(Gateway(name, url, listening_pids(port)))
            # every gateway stays up; each round runs every case on each in turn, so a
            # gateway and the ones it is compared with are measured within the same minute
            for round_number in range(1, args.rounds + 1):
                if args.rounds > 1:
                    print(f"round {round_number} of {args.rounds}", flush=True)
                for case in CASES:
                    for gateway in gateways:
                        spy = args.spy and gateway.name == "wnwa gateway"
                        measure(gateway, case, tokens_file, spy=spy, **options)
            if "wnwa" in only and len(gateways) > 1:
                summarize(gateways)
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
