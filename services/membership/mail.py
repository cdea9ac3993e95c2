"""Email for the people who run the network, and receipts for those who contact it.

A message is written to ``mail_outbox`` in the same transaction as what it is about, then
delivered over SMTP (aiosmtplib) by the service's housekeeping every few seconds; a message
the server does not take is tried again later, with a growing pause, and dropped after its
last attempt. Delivered messages are deleted. Mail goes only to the network's staff address
and to the person who wrote to the network — never about an officer: officers' actions do
not pass through here at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import asyncpg
from strawberry.types import Info

from servicekit.database import Executor
from servicekit.graphql import context_of
from servicekit.settings import Environment

from .network import NetworkFiguresSource, NetworkLoaders

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BATCH = 20


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where mail goes: the SMTP server, the sender, and the staff's address."""

    host: str
    port: int
    sender: str
    staff: str
    enabled: bool
    start_tls: bool
    every_seconds: float


def load(environ: Mapping[str, str] | None = None) -> MailSettings:
    env = Environment("WNWA_MEMBERSHIP", environ)
    # a development stack sends to a local sink (`python -m aiosmtpd -n -l 127.0.0.1:8025`);
    # tests name their own; elsewhere no host means no mail
    local = env.deployment == "development"
    host = env.text("SMTP_HOST", "127.0.0.1" if local else "")
    return MailSettings(
        host=host,
        port=env.integer("SMTP_PORT", 8025 if env.is_development else 587),
        sender=env.text("MAIL_FROM", "WeNeverWalkAlone <network@wnwa.example>"),
        staff=env.text("STAFF_EMAIL", "staff@wnwa.example" if env.is_development else ""),
        enabled=bool(host),
        start_tls=env.flag("SMTP_STARTTLS", not env.is_development),
        every_seconds=env.integer("MAIL_EVERY_MS", 10_000) / 1000,
    )


class MailingLoaders(NetworkLoaders):
    """The request's loaders, carrying where mail goes (read once, at start)."""

    def __init__(
        self, pool: asyncpg.Pool, notice_days: int, source: NetworkFiguresSource, mail: MailSettings
    ) -> None:
        super().__init__(pool, notice_days, source)
        self.mail = mail


def settings_of(info: Info[Any, Any]) -> MailSettings:
    loaders: MailingLoaders = context_of(info).loaders
    return loaders.mail


async def enqueue(*, db: Executor, recipient: str, subject: str, body: str) -> None:
    await db.execute(
        "INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3)",
        recipient,
        subject,
        body,
    )


async def contact_received(
    *, db: Executor, settings: MailSettings, kind: str, agency: str, email: str, reference: str
) -> None:
    """A joining inquiry or demo request arrived: tell the staff, and the sender."""
    what = "a demo" if kind == "demo" else "joining the network"
    if settings.staff:
        await enqueue(
            db=db,
            recipient=settings.staff,
            subject=f"New request about {what}: {agency[:120]}",
            body=f"{agency} asked about {what}.\n\nRead it and mark it handled on the portal's "
            f"administration page (/admin).\n\nReference: {reference}\n",
        )
    await enqueue(
        db=db,
        recipient=email,
        subject="We received your message",
        body=f"Thank you for asking about {what}. Someone from the network will be in touch "
        f"soon.\n\nYour reference: {reference}\n\nWeNeverWalkAlone\n",
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
