"""Email from a service: an outbox table in its own database, delivered over SMTP.

A message is written to ``mail_outbox`` in the same transaction as what it is about, then
handed to the SMTP server (aiosmtplib) by the service's housekeeping; a message the server
does not take is tried again after 1, 2, 4 … minutes (at most 6 hours apart) and dropped
after its last attempt. Delivered messages are deleted: the outbox is a queue, not an archive.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import asyncpg

from servicekit.database import Executor
from servicekit.settings import Environment

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BATCH = 20


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where mail goes: the SMTP server, the sender, and the network staff's address."""

    host: str
    port: int
    sender: str
    staff: str
    enabled: bool
    start_tls: bool
    every_seconds: float


def load(prefix: str, environ: Mapping[str, str] | None = None) -> MailSettings:
    """``{prefix}_SMTP_HOST`` etc. (shared ``WNWA_SMTP_HOST`` … as fallbacks)."""
    env = Environment(prefix, environ)
    # a development stack sends to a local sink (`python -m aiosmtpd -n -l 127.0.0.1:8025`);
    # tests name their own; elsewhere no host means no mail
    local = env.deployment == "development"
    host = env.text("SMTP_HOST", "127.0.0.1" if local else "")
    return MailSettings(
        host=host,
        port=env.integer("SMTP_PORT", 8025 if local else 587),
        sender=env.text("MAIL_FROM", "WeNeverWalkAlone <network@wnwa.example>"),
        staff=env.text("STAFF_EMAIL", "staff@wnwa.example" if env.is_development else ""),
        enabled=bool(host),
        start_tls=env.flag("SMTP_STARTTLS", not env.is_development),
        every_seconds=env.integer("MAIL_EVERY_MS", 10_000) / 1000,
    )


async def enqueue(*, db: Executor, recipient: str, subject: str, body: str) -> None:
    """Queue one message (call inside the transaction of what it is about)."""
    await db.execute(
        "INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3)",
        recipient,
        subject[:200],
        body,
    )


async def deliver_due(pool: asyncpg.Pool, settings: MailSettings) -> int:
    """Send what is due; returns how many were handed to the mail server."""
    if not settings.enabled:
        return 0
    sent = 0
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            """
            SELECT id, recipient, subject, body, attempts FROM mail_outbox
            WHERE next_attempt_at <= now() ORDER BY next_attempt_at
            LIMIT $1 FOR UPDATE SKIP LOCKED
            """,
            BATCH,
        )
        for row in rows:
            message = EmailMessage()
            message["From"] = settings.sender
            message["To"] = row["recipient"]
            message["Subject"] = row["subject"]
            message.set_content(row["body"])
            try:
                await aiosmtplib.send(
                    message,
                    hostname=settings.host,
                    port=settings.port,
                    start_tls=settings.start_tls,
                    timeout=10,
                )
            except (aiosmtplib.SMTPException, OSError):
                if row["attempts"] + 1 >= MAX_ATTEMPTS:
                    logger.warning("mail dropped after its last attempt")
                    await connection.execute("DELETE FROM mail_outbox WHERE id = $1", row["id"])
                else:
                    pause = dt.timedelta(minutes=min(2 ** row["attempts"], 360))
                    await connection.execute(
                        """
                        UPDATE mail_outbox SET attempts = attempts + 1,
                            next_attempt_at = now() + $2::interval
                        WHERE id = $1
                        """,
                        row["id"],
                        pause,
                    )
                continue
            await connection.execute("DELETE FROM mail_outbox WHERE id = $1", row["id"])
            sent += 1
    return sent
