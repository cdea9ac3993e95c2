"""Email from a service: an outbox table in its own database, delivered over SMTP.

A message is written to ``mail_outbox`` in the same transaction as what it is about
(:func:`enqueue`); the service's housekeeping hands what is due to the SMTP relay
(:func:`deliver_due`, aiosmtplib) one message at a time, every step its own transaction:

- the message is claimed: its attempt counted and its row set aside for a few minutes, so
  no other process sends it meanwhile (and one that stopped mid-send cannot retry forever);
- once the relay has taken it, it is deleted at once: delivered mail is never sent again,
  whatever happens to the messages after it;
- when it fails, the class of the failure is kept (never its text, which may quote an
  address) and it is tried again after 1, 2, 4 … minutes (at most 6 hours apart). After
  ``MAX_ATTEMPTS``, or at once when it can never go out (the email library cannot build it,
  the relay refuses it for good), it becomes a **dead letter**: no more attempts until a
  network admin retries or dismisses it (:mod:`servicekit.undelivered_mail`); dead letters
  are deleted after ``DEAD_LETTER_DAYS``.

No failure of one message stops the others; a relay that cannot be reached ends the round
(the rest wait for the next one, their attempts untouched). Headers are built with the email
library's structured API: addresses as :class:`~email.headerregistry.Address`, the date
from the moment the message was queued, a Message-ID on the sender's domain that stays the
same on every attempt.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal
from uuid import UUID

import aiosmtplib
import asyncpg

from servicekit.database import Executor
from servicekit.rows import RowReader
from servicekit.settings import ConfigurationError, Environment, PublicUrl

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BATCH = 20  # messages per round, at most
LEASE = dt.timedelta(minutes=5)  # a claimed message waits this long before another try
LONGEST_PAUSE_MINUTES = 360
DEAD_LETTER_DAYS = 30
RecipientKind = Literal["staff", "correspondent"]
# the relay itself failed (unreachable, refusing the sender, wanting what it was not given):
# the next message would fare no better, so the round ends there
_RELAY_FAILURES = (
    OSError,
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPNotSupported,
)


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where mail goes: the SMTP relay, the sender, the staff's address, and the public
    address every link in a message starts with."""

    host: str
    port: int
    sender: Address  # its domain is also the Message-ID's
    staff: str
    enabled: bool
    start_tls: bool
    every_seconds: float
    public_url: PublicUrl


def load(
    prefix: str, environ: Mapping[str, str] | None = None, *, public_url: PublicUrl
) -> MailSettings:
    """``{prefix}_SMTP_HOST`` etc. (shared ``WNWA_SMTP_HOST`` … as fallbacks)."""
    env = Environment(prefix, environ)
    # a development stack sends to a local sink (`python -m aiosmtpd -n -l 127.0.0.1:8025`);
    # tests name their own; elsewhere no host means no mail
    local = env.deployment == "development"
    host = env.text("SMTP_HOST", "127.0.0.1" if local else "")
    staff = env.text("STAFF_EMAIL", "staff@wnwa.example" if env.is_development else "")
    if staff:
        _address(staff, f"{env.prefix}_STAFF_EMAIL")
    return MailSettings(
        host=host,
        port=env.integer("SMTP_PORT", 8025 if local else 587),
        sender=_address(
            env.text("MAIL_FROM", "WeNeverWalkAlone <network@wnwa.example>"),
            f"{env.prefix}_MAIL_FROM",
        ),
        staff=staff,
        enabled=bool(host),
        start_tls=env.flag("SMTP_STARTTLS", not env.is_development),
        every_seconds=env.integer("MAIL_EVERY_MS", 10_000) / 1000,
        public_url=public_url,
    )


def _address(value: str, variable: str) -> Address:
    name, addr_spec = parseaddr(value)
    try:
        address = Address(display_name=name, addr_spec=addr_spec)
    except (ValueError, email.errors.MessageError):
        address = None
    if address is None or not address.username or "." not in address.domain:
        raise ConfigurationError(
            f"{variable} must be an email address such as "
            f"WeNeverWalkAlone <network@wnwa.example>, not {value!r}"
        )
    return address


async def enqueue(
    *, db: Executor, recipient: str, kind: RecipientKind, subject: str, body: str
) -> None:
    """Queue one message (call inside the transaction of what it is about); ``kind`` says
    whom it is for: the network's ``staff``, or the ``correspondent`` who wrote or applied."""
    await db.execute(
        "INSERT INTO mail_outbox (recipient, recipient_kind, subject, body)"
        " VALUES ($1, $2, $3, $4)",
        recipient,
        kind,
        subject[:200],
        body,
    )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A message claimed for one attempt (``attempts`` counts this one)."""

    id: UUID
    recipient: str
    subject: str
    body: str
    attempts: int
    queued_at: dt.datetime


_claimed = RowReader(OutboxRow)


def compose(row: OutboxRow, settings: MailSettings) -> EmailMessage:
    """The message, its headers built by the email library, which refuses a line break or
    malformed address in any of them (the message then fails, alone)."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = Address(addr_spec=row.recipient)
    message["Subject"] = row.subject
    message["Date"] = row.queued_at
    # the row's id: the same on every attempt, so a reader's mail client drops a duplicate
    message["Message-ID"] = f"<{row.id}@{settings.sender.domain}>"
    message.set_content(row.body)
    return message


async def deliver_due(pool: asyncpg.Pool, settings: MailSettings) -> int:
    """Send what is due; returns how many the relay took."""
    if not settings.enabled:
        return 0
    await pool.execute(
        "DELETE FROM mail_outbox WHERE dead_since < now() - $1::interval",
        dt.timedelta(days=DEAD_LETTER_DAYS),
    )
    sent = 0
    for _ in range(BATCH):
        row = await _claim(pool)
        if row is None:
            break
        if row.attempts > MAX_ATTEMPTS:  # its last attempt stopped midway (a restart)
            await _failed(pool, row, "Interrupted", dead=True)
            continue
        try:
            message = compose(row, settings)
        except Exception as failure:  # the library refuses it: it can never go out
            await _failed(pool, row, type(failure).__name__, dead=True)
            continue
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.host,
                port=settings.port,
                start_tls=settings.start_tls,
                timeout=10,
            )
        except Exception as failure:  # any kind: this message's failure, and no other's
            dead = _refused_for_good(failure) or row.attempts >= MAX_ATTEMPTS
            await _failed(pool, row, type(failure).__name__, dead=dead)
            if isinstance(failure, _RELAY_FAILURES):
                break
            continue
        await pool.execute("DELETE FROM mail_outbox WHERE id = $1", row.id)
        sent += 1
    return sent


async def _claim(pool: asyncpg.Pool) -> OutboxRow | None:
    """The next due message, its attempt counted and set aside for ``LEASE``."""
    row = await pool.fetchrow(
        f"""
        UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + $1::interval
        WHERE id = (
            SELECT id FROM mail_outbox
            WHERE dead_since IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING {_claimed.columns}
        """,  # noqa: S608 — the columns come from OutboxRow
        LEASE,
    )
    return _claimed(row) if row else None


def _refused_for_good(failure: Exception) -> bool:
    """The relay answered 5xx about this message itself: trying again cannot help."""
    if isinstance(failure, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in failure.recipients)
    if isinstance(failure, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return failure.code >= 500
    return False


async def _failed(pool: asyncpg.Pool, row: OutboxRow, error: str, *, dead: bool) -> None:
    # the class alone: an error's text may quote the address or the subject
    logger.warning("mail not delivered (%s)%s", error, "; set aside" if dead else "")
    pause = dt.timedelta(minutes=min(2 ** (row.attempts - 1), LONGEST_PAUSE_MINUTES))
    await pool.execute(
        """
        UPDATE mail_outbox SET last_error = $2, next_attempt_at = now() + $3::interval,
            dead_since = CASE WHEN $4 THEN now() END
        WHERE id = $1
        """,
        row.id,
        error[:100],
        pause,
        dead,
    )
