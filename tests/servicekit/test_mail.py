"""The outbox: each message succeeds or fails on its own, and what reached the relay is never
sent again (a real PostgreSQL outbox, membership's, and the aiosmtpd sink as the relay)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest

from servicekit import mail
from servicekit.app import keep_house
from servicekit.database import create_pool
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS
from tests.support.database import TemplateDatabases
from tests.support.mail import mail_env, smtp_sink
from tests.support.servers import free_port


@pytest.fixture
async def pool(databases: TemplateDatabases) -> AsyncIterator[asyncpg.Pool]:
    database_url = await databases.fresh("membership", MIGRATIONS)
    opened = await create_pool(database_url)
    yield opened
    await opened.close()


def settings_for(port: int, **extra: str) -> mail.MailSettings:
    variables = {**mail_env(port), **extra}
    environ = {"WNWA_ENV": "test", **{f"WNWA_{k}": v for k, v in variables.items()}}
    return membership_settings.load(environ).mail


async def queue(pool: asyncpg.Pool, *subjects: str, to: str = "staff@wnwa.example") -> None:
    kind: mail.RecipientKind = "staff" if to == "staff@wnwa.example" else "correspondent"
    for subject in subjects:
        await mail.enqueue(db=pool, recipient=to, kind=kind, subject=subject, body="Hello")
        await pool.execute(
            "UPDATE mail_outbox SET next_attempt_at = next_attempt_at - '1 second'::interval"
        )


async def test_a_relay_failure_mid_batch_sends_each_delivered_message_once(
    pool: asyncpg.Pool,
) -> None:
    port = free_port()
    settings = settings_for(port, SMTP_LANES="1")  # one session: the third offered is "Three"
    await queue(pool, "One", "Two", "Three", "Four", "Five")
    with smtp_sink(port, refuse={3}) as sink:
        assert await mail.deliver_due(pool, settings) == 4
        held = await pool.fetchrow(
            "SELECT subject, attempts, last_error, next_attempt_at - now() AS pause"
            " FROM mail_outbox"
        )
        assert held is not None
        assert (held["subject"], held["attempts"], held["last_error"]) == (
            "Three",
            1,
            "SMTPDataError",
        )
        assert dt.timedelta(seconds=50) < held["pause"] <= dt.timedelta(minutes=1)
        assert await mail.deliver_due(pool, settings) == 0  # not due yet: nothing again
        await pool.execute("UPDATE mail_outbox SET next_attempt_at = now()")
        assert await mail.deliver_due(pool, settings) == 1
        assert await mail.deliver_due(pool, settings) == 0
    subjects = sorted(str(message["Subject"]) for message in sink.messages)
    assert subjects == ["Five", "Four", "One", "Three", "Two"]
    assert len({str(message["Message-ID"]) for message in sink.messages}) == 5


async def test_failures_back_off_exponentially_then_end_as_a_dead_letter(
    pool: asyncpg.Pool,
) -> None:
    settings = settings_for(free_port())  # nothing listens there
    await queue(pool, "Unlucky")
    pauses = []
    for attempts in (0, 4, mail.MAX_ATTEMPTS - 1):
        await pool.execute(
            "UPDATE mail_outbox SET attempts = $1, next_attempt_at = now()", attempts
        )
        assert await mail.deliver_due(pool, settings) == 0
        row = await pool.fetchrow(
            "SELECT attempts, last_error, dead_since IS NOT NULL AS dead,"
            " next_attempt_at - now() AS pause FROM mail_outbox"
        )
        assert row is not None
        assert (row["attempts"], row["last_error"]) == (attempts + 1, "SMTPConnectError")
        pauses.append((row["dead"], round(row["pause"].total_seconds() / 60)))
    assert pauses[:2] == [(False, 1), (False, 16)]
    assert pauses[2][0] is True
    await pool.execute("UPDATE mail_outbox SET next_attempt_at = now() - '1 hour'::interval")
    assert await mail.deliver_due(pool, settings) == 0
    assert await pool.fetchval("SELECT attempts FROM mail_outbox") == mail.MAX_ATTEMPTS


async def test_one_broken_message_does_not_hold_back_those_after_it_nor_come_back(
    pool: asyncpg.Pool,
) -> None:
    port = free_port()
    settings = settings_for(port)
    await queue(pool, "Before")
    await pool.execute(
        "INSERT INTO mail_outbox (recipient, subject, body, next_attempt_at)"
        " VALUES ('staff@wnwa.example', 'Line one\nBcc: everyone@evil.example', 'Hi',"
        " now() - '1s'::interval)"
    )
    await pool.execute(
        "INSERT INTO mail_outbox (recipient, subject, body, next_attempt_at)"
        " VALUES ('not an address', 'Bad recipient', 'Hi', now() - '1s'::interval)"
    )
    await queue(pool, "After")
    with smtp_sink(port) as sink:
        assert await mail.deliver_due(pool, settings) == 2
        # the next round, as after a restart: nothing delivered goes out again
        await pool.execute("UPDATE mail_outbox SET next_attempt_at = now()")
        assert await mail.deliver_due(pool, settings) == 0
    assert sorted(str(message["Subject"]) for message in sink.messages) == ["After", "Before"]
    held = await pool.fetch(
        "SELECT subject, last_error, attempts FROM mail_outbox"
        " WHERE dead_since IS NOT NULL ORDER BY subject"
    )
    assert [tuple(row) for row in held] == [
        ("Bad recipient", "InvalidHeaderDefect", 1),
        ("Line one\nBcc: everyone@evil.example", "ValueError", 1),
    ]


async def test_no_exception_ends_the_housekeeping(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    failures = [
        RuntimeError("chief@marlow.example"),
        KeyError("chief@marlow.example"),
        ValueError("x"),
    ]

    async def work(pool: object) -> None:
        calls.append(len(calls))
        if failures:
            raise failures.pop(0)

    caplog.set_level(logging.WARNING)
    keeper = asyncio.create_task(keep_house(work, None, 0))  # type: ignore[arg-type]
    try:
        for _ in range(200):
            if len(calls) >= 5:
                break
            await asyncio.sleep(0.01)
    finally:
        keeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await keeper
    assert len(calls) >= 5
    for name in ("RuntimeError", "KeyError", "ValueError"):
        assert name in caplog.text
    assert "marlow" not in caplog.text


async def test_a_refused_and_a_hanging_recipient_hold_back_no_other_mail(
    pool: asyncpg.Pool,
) -> None:
    """Whoever typed an address the relay refuses for good, or one at which it hangs, queued
    first: the mail queued after theirs still goes out in the same round; the refused one is
    set aside for the admins at once, the hanging one tried again later."""
    port = free_port()
    settings = settings_for(port, SMTP_TIMEOUT_MS="500")
    hanging = [f"wait{n}@tarpit.example" for n in range(3)]
    for address in hanging:
        await queue(pool, f"Hangs {address[:5]}", to=address)
    await queue(pool, "Refused", to="nobody@gone.example")
    await queue(pool, "One", "Two", "Three", to="chief@marlow-township.example")
    with smtp_sink(port, unknown={"nobody@gone.example"}, hanging=hanging) as sink:
        assert await mail.deliver_due(pool, settings) == 3
        assert sink.hung == 3
    assert sorted(str(message["Subject"]) for message in sink.messages) == ["One", "Three", "Two"]
    left = await pool.fetch(
        "SELECT subject, attempts, last_error, dead_since IS NOT NULL AS dead,"
        " next_attempt_at - now() AS pause FROM mail_outbox ORDER BY subject"
    )
    assert [(r["subject"], r["attempts"], r["last_error"], r["dead"]) for r in left] == [
        ("Hangs wait0", 1, "SMTPReadTimeoutError", False),
        ("Hangs wait1", 1, "SMTPReadTimeoutError", False),
        ("Hangs wait2", 1, "SMTPReadTimeoutError", False),
        ("Refused", 1, "SMTPRecipientsRefused", True),
    ]
    # the hanging ones wait their turn again, a minute on
    assert all(dt.timedelta(seconds=50) < r["pause"] <= dt.timedelta(minutes=1) for r in left[:3])
