"""How fast the outbox hands mail to a relay, and what recipients that stall or are refused
cost everyone else's.

Usage: .venv/bin/python bench/mail_outbox.py [--messages 2000] [--stalling 20]
       [--refused 20] [--timeout-ms 2000]

A real PostgreSQL (the bench server under ``.wnwa/bench-pgdata``, or ``WNWA_POSTGRES_URL``)
with membership's outbox, and aiosmtpd on loopback as the relay (in a thread of its own, as
the tests' sink). For 1 and then 4 sessions (``SMTP_LANES``): queue ``--messages`` ordinary
messages behind ``--stalling`` whose recipient the relay never answers (each session that
meets one waits ``--timeout-ms``) and ``--refused`` it refuses with 550, then run delivery
rounds as the housekeeping does (without its pause) until every ordinary message is out.
Prints the messages a second and how long the last ordinary one waited. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import asyncpg

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.professionals_seed import database_server  # noqa: E402
from servicekit import mail  # noqa: E402
from servicekit.database import create_pool  # noqa: E402
from servicekit.migrations import apply_migrations  # noqa: E402
from services.membership import settings as membership_settings  # noqa: E402
from services.membership.app import MIGRATIONS  # noqa: E402
from tests.support.database import recreate  # noqa: E402
from tests.support.mail import smtp_sink  # noqa: E402
from tests.support.servers import free_port  # noqa: E402


async def queue(pool: asyncpg.Pool, args: argparse.Namespace, stalling: list[str]) -> None:
    async with pool.acquire() as connection, connection.transaction():
        for address in stalling:
            await mail.enqueue(
                db=connection, recipient=address, kind="correspondent", subject="S", body="Hi"
            )
        for _ in range(args.refused):
            await mail.enqueue(
                db=connection,
                recipient="nobody@gone.example",
                kind="correspondent",
                subject="R",
                body="Hi",
            )
        for number in range(args.messages):
            await mail.enqueue(
                db=connection,
                recipient="chief@marlow-township.example",
                kind="correspondent",
                subject=f"Ordinary {number}",
                body="Thank you for asking about joining the network.\n" * 5,
            )


async def run(server_url: str, args: argparse.Namespace, lanes: int) -> None:
    database_url = await recreate(server_url, "bench_mail_outbox")
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, MIGRATIONS)
    finally:
        await connection.close()
    port = free_port()
    environ = {
        "WNWA_ENV": "test",
        "WNWA_MEMBERSHIP_DATABASE_URL": database_url,
        "WNWA_SMTP_HOST": "127.0.0.1",
        "WNWA_SMTP_PORT": str(port),
        "WNWA_SMTP_STARTTLS": "false",
        "WNWA_SMTP_TIMEOUT_MS": str(args.timeout_ms),
        "WNWA_SMTP_LANES": str(lanes),
    }
    settings = membership_settings.load(environ).mail
    stalling = [f"wait{n}@tarpit.example" for n in range(args.stalling)]
    pool = await create_pool(database_url)
    try:
        await queue(pool, args, stalling)
        with smtp_sink(port, unknown={"nobody@gone.example"}, hanging=stalling) as sink:
            began = time.perf_counter()
            rounds = 0
            while sum(1 for m in sink.messages if str(m["Subject"]) != "S") < args.messages:
                await mail.deliver_due(pool, settings)
                rounds += 1
            took = time.perf_counter() - began
        dead = await pool.fetchval("SELECT count(*) FROM mail_outbox WHERE dead_since IS NOT NULL")
        waiting = await pool.fetchval("SELECT count(*) FROM mail_outbox WHERE dead_since IS NULL")
    finally:
        await pool.close()
    print(
        f"{lanes} session(s): {args.messages:,} ordinary messages out in {took:.1f} s "
        f"({args.messages / took:,.0f}/s, {rounds} rounds) behind {args.stalling} stalling and "
        f"{args.refused} refused recipients; {dead} set aside, {waiting} to try again"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--stalling", type=int, default=20)
    parser.add_argument("--refused", type=int, default=20)
    parser.add_argument("--timeout-ms", type=int, default=2_000)
    args = parser.parse_args()
    logging.getLogger("servicekit.mail").setLevel(logging.ERROR)  # a line per failure
    with database_server() as server_url:
        for lanes in (1, 4):
            asyncio.run(run(server_url, args, lanes))


if __name__ == "__main__":
    main()
