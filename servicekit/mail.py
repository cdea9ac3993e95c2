"""Email from a service: an outbox table in its own database, delivered over SMTP.

A message is written to ``mail_outbox`` in the same transaction as what it is about
(:func:`enqueue`); the service's housekeeping hands what is due to the SMTP relay
(:func:`deliver_due`, aiosmtplib) over a few sessions at once (``SMTP_LANES``), each message
in steps that are their own transactions:

- the message is claimed: its attempt counted and its row set aside for a few minutes, so
  no other process sends it meanwhile (and one that stopped mid-send cannot retry forever);
- once the relay has taken it, it is deleted at once: delivered mail is never sent again,
  whatever happens to the messages after it;
- when it fails, the class of the failure is kept (never its text, which may quote an
  address) and it is tried again after 1, 2, 4 … minutes (at most 6 hours apart). After
  ``MAX_ATTEMPTS``, or at once when it can never go out (the email library cannot build it,
  the relay refuses it for good with a 5xx), it becomes a **dead letter**: no more attempts
  until a network admin retries or dismisses it (:mod:`servicekit.undelivered_mail`); dead
  letters are deleted after ``DEAD_LETTER_DAYS``.

A message's failure is its own, and so is its slowness. Every step of the SMTP conversation
has a timeout (``SMTP_TIMEOUT_MS``) and the whole of one message a deadline, so a relay that
stalls at one recipient (waiting on that recipient's domain) holds one session for that
long: the message is tried again later, and the other sessions, then this one on a new
connection, go on with the mail behind it. Only a relay that cannot be reached or will not
take our sender ends a session's round (the next message would fare no better). No
exception of any kind ends the round or the housekeeping loop. Headers are built with the
email library's structured API: addresses as :class:`~email.headerregistry.Address`, the
date from the moment the message was queued, a Message-ID on the sender's domain that stays
the same on every attempt. What a form may put in a message is checked where the form is
read (:mod:`servicekit.validation`), so nothing that cannot be sent is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.errors
import logging
from collections.abc import Iterator, Mapping
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
ROUND = 2_000  # messages claimed per round, at most (then the housekeeping's pause)
# steps in sending one message (MAIL, RCPT, DATA, its end, and an EHLO), each timed out:
# their sum is the message's deadline
STEPS = 5
LEASE = dt.timedelta(minutes=5)  # a claimed message waits this long before another try
LONGEST_PAUSE_MINUTES = 360
DEAD_LETTER_DAYS = 30
RecipientKind = Literal["staff", "correspondent"]
# the relay itself refused what every message needs (our sender, our greeting, a login):
# the next message would fare no better, so the session's round ends there
_RELAY_REFUSALS = (
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPAuthenticationError,
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
    timeout_seconds: float = 10.0  # of each SMTP step
    lanes: int = 4  # SMTP sessions at once


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
    timeout_ms = env.integer("SMTP_TIMEOUT_MS", 10_000)
    lanes = env.integer("SMTP_LANES", 4)
    if timeout_ms < 1 or not 1 <= lanes <= 32:
        raise ConfigurationError(
            f"{env.prefix}_SMTP_TIMEOUT_MS must be positive and {env.prefix}_SMTP_LANES"
            " between 1 and 32"
        )
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
        timeout_seconds=timeout_ms / 1000,
        lanes=lanes,
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


@dataclass(frozen=True, slots=True)
class Attachment:
    """A text attachment: its file name, MIME type with parameters (``text/calendar;
    method=REQUEST``) and content."""

    name: str
    content_type: str
    content: str


async def enqueue(
    *,
    db: Executor,
    recipient: str,
    kind: RecipientKind,
    subject: str,
    body: str,
    attachment: Attachment | None = None,
) -> None:
    """Queue one message (call inside the transaction of what it is about); ``kind`` says
    whom it is for: the network's ``staff``, or the ``correspondent`` who wrote or applied."""
    await db.execute(
        "INSERT INTO mail_outbox (recipient, recipient_kind, subject, body, attachment_name,"
        " attachment_type, attachment) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        recipient,
        kind,
        subject[:200],
        body,
        attachment.name if attachment else None,
        attachment.content_type if attachment else None,
        attachment.content if attachment else None,
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
    attachment_name: str | None
    attachment_type: str | None
    attachment: str | None


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
    if row.attachment_name and row.attachment_type and row.attachment is not None:
        # the table allows text types only: "text/calendar; method=REQUEST"
        mime, *parameters = (part.strip() for part in row.attachment_type.split(";"))
        params = dict(parameter.split("=", 1) for parameter in parameters)
        message.add_attachment(
            row.attachment,
            subtype=mime.removeprefix("text/"),
            filename=row.attachment_name,
            params=params,
        )
    return message


async def deliver_due(pool: asyncpg.Pool, settings: MailSettings) -> int:
    """Send what is due, over ``settings.lanes`` sessions at once; returns how many the relay
    took."""
    if not settings.enabled:
        return 0
    await pool.execute(
        "DELETE FROM mail_outbox WHERE dead_since < now() - $1::interval",
        dt.timedelta(days=DEAD_LETTER_DAYS),
    )
    claims = iter(range(ROUND))
    # each session ends its own way; one that fails (the database, say) stops no other midway
    ended = await asyncio.gather(
        *(_Session(pool, settings).deliver(claims) for _ in range(settings.lanes)),
        return_exceptions=True,
    )
    for outcome in ended:
        if isinstance(outcome, BaseException):
            raise outcome
    return sum(outcome for outcome in ended if isinstance(outcome, int))


class _Session:
    """One SMTP session's share of a round: it claims the next due message, sends it, and
    goes on to the next, connecting again after a message that left the connection unusable."""

    def __init__(self, pool: asyncpg.Pool, settings: MailSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def deliver(self, claims: Iterator[int]) -> int:
        sent = 0
        try:
            for _ in claims:
                row = await _claim(self.pool)
                if row is None:
                    break
                outcome = await self._attempt(row)
                if outcome == "sent":
                    sent += 1
                elif outcome == "relay failed":
                    break
        finally:
            await self._hang_up()
        return sent

    async def _attempt(self, row: OutboxRow) -> Literal["sent", "failed", "relay failed"]:
        if row.attempts > MAX_ATTEMPTS:  # its last attempt stopped midway (a restart)
            await _failed(self.pool, row, "Interrupted", dead=True)
            return "failed"
        try:
            message = compose(row, self.settings)
        except Exception as failure:  # the library refuses it: it can never go out
            await _failed(self.pool, row, type(failure).__name__, dead=True)
            return "failed"
        try:
            client = await self._connected()
        except Exception as failure:  # unreachable, or refusing to talk: the relay's failure
            await _failed(self.pool, row, type(failure).__name__, dead=row.attempts >= MAX_ATTEMPTS)
            return "relay failed"
        try:
            async with asyncio.timeout(self.settings.timeout_seconds * STEPS):
                await client.send_message(message)
        except Exception as failure:  # any kind: this message's failure, and no other's
            if not client.is_connected or isinstance(failure, TimeoutError | ConnectionError):
                await self._hang_up()  # mid-conversation: the next message gets a new one
            dead = _refused_for_good(failure) or row.attempts >= MAX_ATTEMPTS
            await _failed(self.pool, row, type(failure).__name__, dead=dead)
            return "relay failed" if isinstance(failure, _RELAY_REFUSALS) else "failed"
        await self.pool.execute("DELETE FROM mail_outbox WHERE id = $1", row.id)
        return "sent"

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        self.client = aiosmtplib.SMTP(
            hostname=self.settings.host,
            port=self.settings.port,
            start_tls=self.settings.start_tls,
            timeout=self.settings.timeout_seconds,
        )
        try:
            async with asyncio.timeout(self.settings.timeout_seconds * STEPS):
                await self.client.connect()
        except BaseException:
            await self._hang_up()
            raise
        return self.client

    async def _hang_up(self) -> None:
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.settings.timeout_seconds):
                await client.quit()
        client.close()


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
    """The relay answered 5xx about this message itself, or it needs what the relay does not
    offer (SMTPUTF8): trying again cannot help."""
    if isinstance(failure, aiosmtplib.SMTPNotSupported):
        return True
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
