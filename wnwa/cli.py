"""`wnwa up | serve | migrate | seed --demo | compose`."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from servicekit.logging import configure_logging
from servicekit.ports import PEERS, PORTS, local_url, peer_setting
from servicekit.serving import serve
from wnwa.postgres import data_folder, database_server, service_database_url
from wnwa.registry import Service, available_services, service_named
from wnwa.supervisor import Child, StackFailure, Supervisor, database_probe


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wnwa", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole stack on this machine")
    up.add_argument("--no-seed", action="store_true", help="do not add demo data")
    serve = commands.add_parser("serve", help="run one service (its settings from the environment)")
    serve.add_argument("service")
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WNWA_WORKERS", "1")),
        help="worker processes (default: WNWA_WORKERS or 1)",
    )
    migrate = commands.add_parser("migrate", help="create the databases and apply migrations")
    migrate.add_argument("services", nargs="*")
    seed = commands.add_parser("seed", help="add demo data to empty databases")
    seed.add_argument("--demo", action="store_true", required=True)
    first_admin = commands.add_parser(
        "first-admin-code",
        help="issue a one-time enrolment code for the network's first admin (a new installation)",
    )
    first_admin.add_argument("--days", type=int, default=14, help="days the code works (1-90)")
    compose = commands.add_parser("compose", help="export every service's SDL")
    compose.add_argument("--check", action="store_true", help="fail when a file is out of date")
    args = parser.parse_args(argv)

    configure_logging(os.environ.get("WNWA_LOG_LEVEL", "INFO"))
    if args.command == "up":
        return run_stack(seed_demo=not args.no_seed)
    if args.command == "serve":
        if args.service == "gateway":
            return serve_gateway(workers=args.workers)
        return serve_service(service_named(args.service), workers=args.workers)
    if args.command == "migrate":
        chosen = [service_named(name) for name in args.services] or available_services()
        with database_server() as server_url:
            asyncio.run(prepare_databases(server_url, chosen, seed_demo=False))
        return 0
    if args.command == "seed":
        with database_server() as server_url:
            asyncio.run(prepare_databases(server_url, available_services(), seed_demo=True))
        return 0
    if args.command == "first-admin-code":
        return first_admin_code(days=args.days)
    return export_schemas(check=args.check)


def first_admin_code(*, days: int) -> int:
    """Print one network-admin enrolment code: the way in for a new installation's first admin.

    It works once, at ``/enroll`` on the portal, and is kept only as a keyed hash.
    """
    import asyncpg

    from services.identity import settings as identity_settings
    from services.identity.passkeys.credentials import code_key, label_key
    from services.identity.passkeys.schema import issue_codes

    if not 1 <= days <= 90:
        print("--days must be 1 to 90", file=sys.stderr)
        return 2
    settings = identity_settings.load()
    identity = service_named("identity")

    async def issue(url: str) -> tuple[list[tuple[uuid.UUID, str, str | None]], object]:
        connection = await asyncpg.connect(url)
        try:
            return await issue_codes(
                connection,
                code_key(settings.secrets_key.value),
                label_key(settings.secrets_key.value),
                organisation=settings.network_id,
                roles=["network_admin"],
                labels=["first network admin"],
                valid_days=days,
            )
        finally:
            await connection.close()

    database_url = os.environ.get("WNWA_IDENTITY_DATABASE_URL")
    if database_url:  # a deployment: its migration job has run
        codes, expires_on = asyncio.run(issue(database_url))
    else:
        with database_server() as server_url:
            asyncio.run(prepare_databases(server_url, [identity], seed_demo=False))
            url = service_database_url(server_url, identity.name)
            codes, expires_on = asyncio.run(issue(url))
    print(f"Network admin enrolment code (works once, until {expires_on}): {codes[0][1]}")
    print("Open the portal's /enroll page, type the code and make a passkey.")
    return 0


async def prepare_databases(
    server_url: str, services: Sequence[Service], *, seed_demo: bool
) -> None:
    """Create each service's database if missing, migrate it and, if asked, seed it."""
    # here, not at the top: `wnwa up`'s supervisor runs this in a child and never needs them
    import asyncpg

    from servicekit.database import ensure_database
    from servicekit.migrations import apply_migrations

    for service in services:
        url = service_database_url(server_url, service.name)
        created = await ensure_database(url)
        connection = await asyncpg.connect(url)
        try:
            applied = await apply_migrations(connection, service.migrations)
            seeded = await service.seed(connection) if seed_demo else False
        finally:
            await connection.close()
        print(
            f"  {service.name:<14} database {'created' if created else 'present'}, "
            f"{len(applied)} migration(s) applied{', demo data added' if seeded else ''}"
        )


def serve_service(service: Service, *, workers: int = 1) -> int:
    """Run one service with uvicorn; access logs off, no server header.

    With ``workers`` above one, uvicorn runs that many processes on the one socket, each
    building the app itself (see :func:`service_app`).
    """
    os.environ["WNWA_WORKERS"] = str(workers)  # each worker warms before it accepts
    settings = service.module("settings").load().service
    os.environ[_SERVING] = service.name
    serve("wnwa.cli:service_app", host=settings.host, port=settings.port, workers=workers)
    return 0


_SERVING = "WNWA_SERVING"


def service_app() -> object:
    """The app of the service named by ``WNWA_SERVING``, built in each worker process."""
    from servicekit import telemetry

    service = service_named(os.environ[_SERVING])
    configure_logging(os.environ.get("WNWA_LOG_LEVEL", "INFO"))
    telemetry.configure(service.name)
    return service.module("app").create_app()


def serve_gateway(*, workers: int = 1) -> int:
    """Run the gateway with uvicorn (``workers`` processes); access logs off, no server
    header."""
    from gateway.settings import load

    os.environ["WNWA_WORKERS"] = str(workers)  # each worker warms before it accepts
    settings = load()
    serve("wnwa.cli:gateway_app", host=settings.host, port=settings.port, workers=workers)
    return 0


def gateway_app() -> object:
    """The gateway's app, built in each worker process."""
    from gateway.app import create_app
    from gateway.settings import load
    from servicekit import telemetry

    configure_logging(os.environ.get("WNWA_LOG_LEVEL", "INFO"))
    telemetry.configure("gateway")
    return create_app(load())


def _stack_plan(services: Sequence[Service], server_url: str) -> list[Child]:
    """Every process `wnwa up` starts, wired to each other's loopback ports."""
    base = dict(os.environ)

    def port_of(name: str, default: int) -> int:
        return int(base.get(f"WNWA_{name.upper()}_PORT", default))

    gateway_port = port_of("gateway", PORTS["gateway"])
    identity_port = port_of("identity", PORTS["identity"])
    devidp_port = port_of("devidp", PORTS["devidp"])
    shared = {
        "WNWA_JWKS_URL": local_url("identity", "/.well-known/jwks.json", port=identity_port),
        "WNWA_TOKEN_ISSUER": local_url("identity", port=identity_port),
    }
    for name, value in shared.items():
        base.setdefault(name, value)
    # where browsers reach the stack: every absolute link and identity's redirect URIs;
    # localhost, not 127.0.0.1: browsers accept no IP address as a passkey's website
    base.setdefault("WNWA_PUBLIC_URL", f"http://localhost:{gateway_port}")
    ports = {service.name: port_of(service.name, service.port) for service in services}
    development = base.get("WNWA_ENV", "development") != "production"
    processes: list[Child] = []
    if development and "identity" in ports:
        folder = data_folder()
        folder.mkdir(parents=True, exist_ok=True)
        providers = folder / "dev-providers.toml"
        providers.write_text(_ask_devidp("--providers-toml", f"http://127.0.0.1:{devidp_port}"))
        base.setdefault("WNWA_IDENTITY_PROVIDERS_FILE", str(providers))
        devidp_env = dict(base)
        devidp_env["WNWA_DEVIDP_PORT"] = str(devidp_port)
        devidp_env.setdefault(
            "WNWA_DEVIDP_REDIRECT_URIS",
            f"http://localhost:{gateway_port}/auth/callback,"
            f"http://127.0.0.1:{gateway_port}/auth/callback,"
            f"http://127.0.0.1:{identity_port}/auth/callback",
        )
        processes.append(
            Child(
                "development IdP",
                [sys.executable, "-m", "services.identity.devidp"],
                devidp_env,
                devidp_port,
                "/",
                f"http://127.0.0.1:{devidp_port}/",
            )
        )
    gateway_env = dict(base)
    for service in services:
        prefix = f"WNWA_{service.name.upper()}"
        env = dict(base)
        env.setdefault(f"{prefix}_DATABASE_URL", service_database_url(server_url, service.name))
        env[f"{prefix}_PORT"] = str(ports[service.name])
        for peer in PEERS.get(service.name, ()):
            if peer in ports:
                peer_url = local_url(peer, "/graphql", port=ports[peer])
                env.setdefault(peer_setting(service.name, peer), peer_url)
        url = local_url(service.name, "/graphql", port=ports[service.name])
        gateway_env.setdefault(peer_setting("gateway", service.name), url)
        argv = [sys.executable, "-m", "wnwa", "serve", service.name]
        processes.append(Child(service.name, argv, env, ports[service.name], "/readyz", url))
    gateway_env.setdefault(
        "WNWA_GATEWAY_IDENTITY_ORIGIN", local_url("identity", port=identity_port)
    )
    gateway_env["WNWA_GATEWAY_PORT"] = str(gateway_port)
    processes.append(
        Child(
            "gateway",
            [sys.executable, "-m", "wnwa", "serve", "gateway"],
            gateway_env,
            gateway_port,
            "/readyz",
            f"http://localhost:{gateway_port}/  (portal; API and GraphiQL at /graphql)",
        )
    )
    return processes


def run_stack(*, seed_demo: bool) -> int:
    """Database, migrations, demo data, every service; stops everything on Ctrl-C.

    A service that exits is restarted (wnwa/supervisor.py); the embedded database is not:
    when it stops, so does the stack."""
    started = time.monotonic()
    services = available_services()
    print("WeNeverWalkAlone: starting", ", ".join(service.name for service in services))
    embedded = not os.environ.get("WNWA_POSTGRES_URL")
    with database_server() as server_url:
        # migrations and demo data in a process of their own: the supervisor runs as long as
        # the stack, and would otherwise keep all that seeding imports (ZIP table, schemas)
        command = ["seed", "--demo"] if seed_demo else ["migrate"]
        prepared = subprocess.run(  # noqa: S603 (this interpreter, this project's command)
            [sys.executable, "-m", "wnwa", *command],
            env={**os.environ, "WNWA_POSTGRES_URL": server_url},
            check=False,
        )
        if prepared.returncode != 0:
            print("WeNeverWalkAlone: the databases could not be prepared", file=sys.stderr)
            return prepared.returncode
        planned = _stack_plan(services, server_url)
        supervisor = Supervisor(
            planned, database_alive=database_probe(server_url) if embedded else None
        )
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            supervisor.start()
            supervisor.wait_until_ready(lambda: stopping)
            if stopping:
                return 0
            print(f"\nReady in {time.monotonic() - started:.1f} s. Press Ctrl-C to stop.")
            for child in planned:
                print(f"  {child.label:<16} {child.show_url}")
            if any(child.label == "development IdP" for child in planned):
                print("\nDemo sign-ins (development IdP; any password is accepted):")
                for line in _ask_devidp("--demo-logins").splitlines():
                    print(f"  {line}")
            sys.stdout.flush()
            supervisor.watch(lambda: stopping)
            return 0
        except StackFailure as failure:
            print(f"wnwa: {failure}", file=sys.stderr, flush=True)
            return 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            supervisor.stop()
            print("wnwa: stopped.", flush=True)


def _ask_devidp(*arguments: str) -> str:
    """What the development IdP prints for ``arguments``, asked of a process of its own:
    importing the provider here would keep its libraries in the supervisor for the life of
    the stack."""
    return subprocess.run(  # noqa: S603 (this interpreter, this project's module)
        [sys.executable, "-m", "services.identity.devidp", *arguments],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def export_schemas(*, check: bool) -> int:
    """Write each service's SDL to ``services/<name>/schema.graphql`` and the supergraph
    composed from those files to ``gateway/supergraph.graphql`` (or check both)."""
    from gateway.composition import CompositionError, compose
    from gateway.settings import SUPERGRAPH_FILE

    stale: list[Path] = []
    sdl_by_service: dict[str, str] = {}
    outputs: list[tuple[Path, str]] = []
    for service in available_services():
        sdl = service.build_schema().as_str().rstrip() + "\n"
        sdl_by_service[service.name] = sdl
        outputs.append((service.schema_file, sdl))
    try:
        outputs.append((SUPERGRAPH_FILE, compose(sdl_by_service)))
    except CompositionError as failure:
        print(f"wnwa: {failure}", file=sys.stderr)
        return 1
    for path, text in outputs:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if check:
            stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run `wnwa compose`):", *map(str, stale), file=sys.stderr)
        return 1
    return 0
