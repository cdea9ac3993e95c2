"""Gateway speed: added latency and throughput, side by side with reference gateways.

Starts the whole stack (`wnwa up`, demo data) on free loopback ports, signs in as a demo
officer, then drives two queries with wrk (a load generator on loopback):

- cross-subgraph: a page of 20 peer supporters with their departments (directory, then one
  batched `_entities` call to membership);
- single-subgraph: the same page without departments (directory only);

through this project's gateway, directly against the directory subgraph, and through Apollo
Gateway and Hive Gateway (from the npm registry, in bench/reference-gateways/) configured
over the very same subgraphs. Prints p50/p99 latency at one connection ("added latency" is
the gateway's p50 minus the subgraph's), throughput at N connections, ratios, and with
--profile the functions where the project's gateway spends its time.

    .venv/bin/python bench/gateway.py [--seconds 10] [--connections 16] [--profile]

With --sharing it measures only what in-flight sharing of identical reads is worth: this
gateway with sharing on and off, at N connections, for identical reads (every connection the
same query and token) and for pairs of different operations whose first subgraph call is the
same (the case where each caller must still get its own copy of the shared answer).

    .venv/bin/python bench/gateway.py --sharing [--seconds 5] [--connections 16]

Needs `wrk` (Debian package) and, without --sharing, Node.js with npm. Nothing here is
asserted; it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.loadgen import count_in, run_wrk  # noqa: E402
from tests.support.servers import free_port  # noqa: E402
from tests.support.stack import running_stack, sign_in  # noqa: E402

REFERENCE = PROJECT / "bench" / "reference-gateways"
CROSS = """query Cross { searchPeerSupporters(first: 20, filter: {includeOwnDepartment: true}) {
  matches { supporter { displayName telLink department { name county state } } } } }"""
SINGLE = """query Single { searchPeerSupporters(first: 20, filter: {includeOwnDepartment: true}) {
  matches { supporter { displayName telLink } } } }"""
# two different operations whose first call (directory) is the same request
PAIR = [
    """query ByName { searchPeerSupporters(first: 20, filter: {includeOwnDepartment: true}) {
  matches { supporter { displayName department { id n: name } } } } }""",
    """query ByCounty { searchPeerSupporters(first: 20, filter: {includeOwnDepartment: true}) {
  matches { supporter { displayName department { id n: county } } } } }""",
]


def post(url: str, query: str, token: str) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.load(response)
        return answer


def wait_until_answers(url: str, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if "data" in post(url, SINGLE, token):
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def wrk(
    url: str, query: str | list[str], token: str, *, connections: int, seconds: int
) -> dict[str, float]:
    """wrk's figures for ``query`` (several: sent in turn on each connection)."""
    queries = [query] if isinstance(query, str) else query
    bodies = ", ".join(json.dumps(json.dumps({"query": q})) for q in queries)
    lua = (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps({'query': queries[0]}))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        f"local bodies = {{{bodies}}}\n"
        "local turn = 0\n"
        "request = function()\n"
        "  turn = turn + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[turn % #bodies + 1])\n"
        "end\n"
    )
    figures, output = run_wrk(url, lua, connections=connections, seconds=seconds)
    return {**figures, "failed": float(count_in(r"Non-2xx or 3xx responses: (\d+)", output))}


@contextlib.contextmanager
def reference_gateways(
    subgraphs: dict[str, str], *, verify: dict[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """Apollo Gateway and Hive Gateway over ``subgraphs`` (name to URL), each forwarding the
    client's Authorization header; with ``verify`` (``jwks_url``, ``issuer``, ``audience``)
    each also verifies the bearer token first, as this project's gateway does."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        print("  (Node.js/npm missing: reference gateways skipped)")
        yield {}
        return
    if not all(
        (REFERENCE / "node_modules" / name).exists() for name in ("@apollo/gateway", "jose")
    ):
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=REFERENCE, check=True
        )
    supergraph = subprocess.run(
        [node, "supergraph.mjs", *(f"{name}={url}" for name, url in subgraphs.items())],
        cwd=REFERENCE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="wnwa-bench-"))
    (folder / "supergraph.graphql").write_text(supergraph)
    apollo_port, hive_port = free_port(), free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    environment = {**os.environ, "NODE_ENV": "production"}
    if verify is not None:
        environment |= {
            "BENCH_JWKS_URL": verify["jwks_url"],
            "BENCH_TOKEN_ISSUER": verify["issuer"],
            "BENCH_TOKEN_AUDIENCE": verify["audience"],
        }
    processes = [
        subprocess.Popen(
            [
                node,
                str(REFERENCE / "apollo.mjs"),
                str(folder / "supergraph.graphql"),
                str(apollo_port),
            ],
            cwd=REFERENCE,
            env=environment,
            **quiet,
        ),
        subprocess.Popen(
            [
                str(REFERENCE / "node_modules" / ".bin" / "hive-gateway"),
                "supergraph",
                str(folder / "supergraph.graphql"),
                "--port",
                str(hive_port),
                "--host",
                "127.0.0.1",
                "-c",
                str(REFERENCE / "gateway.config.mjs"),
            ],
            cwd=REFERENCE,
            env=environment,
            **quiet,
        ),
    ]
    try:
        yield {
            "Apollo Gateway": f"http://127.0.0.1:{apollo_port}/",
            "Hive Gateway": f"http://127.0.0.1:{hive_port}/graphql",
        }
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def unshared_gateway(stack_env: dict[str, str], subgraphs: dict[str, str]) -> Iterator[str]:
    """A second instance of this gateway with in-flight sharing of identical reads off:
    wrk sends one query with one token on every connection, which sharing collapses."""
    identity = f"http://127.0.0.1:{stack_env['WNWA_IDENTITY_PORT']}"
    port = free_port()
    env = {
        **stack_env,
        "WNWA_GATEWAY_PORT": str(port),
        "WNWA_GATEWAY_DEDUPLICATE_READS": "false",
        "WNWA_JWKS_URL": f"{identity}/.well-known/jwks.json",
        "WNWA_TOKEN_ISSUER": identity,
    }
    env |= {f"WNWA_GATEWAY_{name.upper()}_URL": url for name, url in subgraphs.items()}
    process = subprocess.Popen(
        [sys.executable, "-m", "wnwa", "serve", "gateway"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=10)


def profile_gateway(stack_env: dict[str, str], token: str, iterations: int = 300) -> None:
    """cProfile of the project's gateway answering the cross-subgraph query in-process."""
    import aiohttp

    from gateway import supergraph as supergraph_module
    from gateway.app import Gateway
    from gateway.settings import load
    from gateway.subgraphs import SubgraphClient
    from servicekit.tokens import JwksCache, TokenVerifier, http_jwks_fetcher

    identity = f"http://127.0.0.1:{stack_env['WNWA_IDENTITY_PORT']}"
    environ = {k: v for k, v in stack_env.items() if k.startswith("WNWA_")}
    environ |= {"WNWA_JWKS_URL": f"{identity}/.well-known/jwks.json", "WNWA_TOKEN_ISSUER": identity}
    for name in ("identity", "directory", "membership", "professionals"):
        port = stack_env[f"WNWA_{name.upper()}_PORT"]
        environ[f"WNWA_GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{port}/graphql"
    settings = load(environ)
    supergraph = supergraph_module.load(settings.supergraph_file.read_text())

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            client = SubgraphClient(session, settings.subgraph_urls, 5)
            verifier = TokenVerifier(
                JwksCache(http_jwks_fetcher(session, settings.jwks_url)),
                issuer=settings.token_issuer,
                audience="wnwa",
            )
            gateway = Gateway(settings, supergraph, client, verifier, session)
            await gateway.operations.run(CROSS, {}, None, token)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(iterations):
                await verifier.verify(token)
                await gateway.operations.run(CROSS, {}, None, token)
            profiler.disable()
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text).sort_stats("tottime")
            stats.print_stats(18)
            print(text.getvalue().split("ncalls", 1)[-1][:4000])

    asyncio.run(run())


def sharing(
    stack_env: dict[str, str],
    subgraphs: dict[str, str],
    gateway: str,
    token: str,
    *,
    connections: int,
    seconds: int,
) -> None:
    """Throughput with in-flight sharing on and off, for the reads where it applies."""
    with unshared_gateway(stack_env, subgraphs) as plain:
        targets = {"sharing on": f"{gateway}/graphql", "sharing off": plain}
        for url in targets.values():
            wait_until_answers(url, token)
            for query in PAIR:
                answer = post(url, query, token)
                assert "errors" not in answer, answer
        print(
            f"\nwrk, 1 thread, {connections} connections, {seconds} s per case, one token. "
            f"Machine: {os.cpu_count()} cores, shared.\n"
        )
        cases: list[tuple[str, str | list[str]]] = [
            ("identical reads, cross-subgraph", CROSS),
            ("identical reads, single-subgraph", SINGLE),
            ("two operations, same first call", PAIR),
        ]
        for label, query in cases:
            figures = {
                name: wrk(url, query, token, connections=connections, seconds=seconds)
                for name, url in targets.items()
            }
            on, off = figures["sharing on"], figures["sharing off"]
            for name, result in figures.items():
                print(
                    f"{label:<34} {name:<12} {result['rps']:8.0f} req/s  "
                    f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  "
                    f"non-2xx {result['failed']:.0f}"
                )
            print(f"{label:<34} on / off     {on['rps'] / off['rps']:8.2f}x\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sharing", action="store_true", help="sharing on versus off only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/gateway.py needs wrk: apt-get install wrk")
    data = PROJECT / ".wnwa" / "bench-gateway"
    data.mkdir(parents=True, exist_ok=True)
    with running_stack(
        data, WNWA_IDENTITY_ACCESS_TOKEN_MINUTES="60", WNWA_LOG_LEVEL="WARNING"
    ) as stack:
        with stack.browser() as browser:
            sign_in(browser, "dana.whitlock@harlow-park.pd.example")
            token = browser.cookies["wnwa_access"]
        subgraphs = {
            name: f"http://127.0.0.1:{stack.ports[name]}/graphql"
            for name in ("identity", "directory", "membership", "professionals")
        }
        if args.sharing:
            sharing(
                stack.env,
                subgraphs,
                stack.gateway,
                token,
                connections=args.connections,
                seconds=args.seconds,
            )
            return
        with (
            reference_gateways(subgraphs) as references,
            unshared_gateway(stack.env, subgraphs) as plain,
        ):
            targets = {
                "this gateway": f"{stack.gateway}/graphql",
                "this gateway, no sharing": plain,
                **references,
            }
            for url in [*targets.values(), subgraphs["directory"]]:
                wait_until_answers(url, token)
            for name, url in targets.items():
                answer = post(url, CROSS, token)
                assert "errors" not in answer, (name, answer)
            print(
                f"\nwrk, 1 thread; throughput at {args.connections} connections "
                f"for {args.seconds} s; "
                f"latency at 1 connection. Machine: {os.cpu_count()} cores, shared.\n"
            )
            results: dict[tuple[str, str], dict[str, float]] = {}
            for label, query in (("single-subgraph", SINGLE), ("cross-subgraph", CROSS)):
                rows = (
                    [("directory subgraph (direct)", subgraphs["directory"])]
                    if label == "single-subgraph"
                    else []
                )
                for name, url in [*rows, *targets.items()]:
                    latency = wrk(
                        url, query, token, connections=1, seconds=max(3, args.seconds // 2)
                    )
                    load = wrk(
                        url, query, token, connections=args.connections, seconds=args.seconds
                    )
                    results[(label, name)] = {
                        "p50": latency["p50"],
                        "p99": latency["p99"],
                        "rps": load["rps"],
                        "p50_loaded": load["p50"],
                    }
                    print(
                        f"{label:<16} {name:<28} p50 {latency['p50']:6.2f} ms  "
                        f"p99 {latency['p99']:6.2f} ms  | {load['rps']:8.0f} req/s "
                        f"(p50 {load['p50']:6.1f} ms at {args.connections})"
                    )
            added = (
                results[("single-subgraph", "this gateway")]["p50"]
                - results[("single-subgraph", "directory subgraph (direct)")]["p50"]
            )
            print(
                "\nadded latency of this gateway (single-subgraph p50 minus direct p50): "
                f"{added:.2f} ms"
            )
            for ours_name in ("this gateway", "this gateway, no sharing"):
                ours = results[("cross-subgraph", ours_name)]["rps"]
                for name in references:
                    theirs = results[("cross-subgraph", name)]["rps"]
                    print(f"cross-subgraph throughput, {ours_name} / {name}: {ours / theirs:.2f}")
        if args.profile:
            print("\nWhere this gateway's time goes (cProfile, cross-subgraph query, in-process):")
            profile_gateway(stack.env, token)


if __name__ == "__main__":
    main()
