"""Mail that could not go out, as a network admin sees it, retries it or dismisses it.

Each service with an outbox (:mod:`servicekit.mail`) names three fields of its own over
these: a list and two mutations. What is shown is what deciding needs — whom a message is
for (staff, or the person who wrote or applied), its subject, how often it was tried and
the class of its last failure — never its recipient's address or its body.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit.by_id import change_by_id
from servicekit.database import Executor
from servicekit.graphql import FieldError, context_of, require_role
from servicekit.rows import RowReader

MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class UndeliveredRow:
    id: UUID
    recipient_kind: str
    subject: str
    attempts: int
    last_error: str | None
    dead_since: dt.datetime | None
    next_attempt_at: dt.datetime
    queued_at: dt.datetime


_undelivered = RowReader(UndeliveredRow)


async def list_undelivered(*, db: Executor, limit: int) -> list[UndeliveredRow]:
    """Messages that failed at least once and are not delivered: dead letters first."""
    rows = await db.fetch(
        f"""
        SELECT {_undelivered.columns} FROM mail_outbox
        WHERE last_error IS NOT NULL
        ORDER BY dead_since IS NULL, queued_at, id
        LIMIT $1
        """,  # noqa: S608 — the columns come from UndeliveredRow
        limit,
    )
    return [_undelivered(row) for row in rows]


async def retry(*, db: Executor, mail_id: UUID) -> UndeliveredRow | None:
    """Due again now, its attempts counted afresh; None when it is not undelivered mail."""
    row = await db.fetchrow(
        f"""
        UPDATE mail_outbox
        SET attempts = 0, last_error = NULL, dead_since = NULL, next_attempt_at = now()
        WHERE id = $1 AND last_error IS NOT NULL
        RETURNING {_undelivered.columns}
        """,  # noqa: S608 — the columns come from UndeliveredRow
        mail_id,
    )
    return _undelivered(row) if row else None


async def dismiss(*, db: Executor, mail_id: UUID) -> UndeliveredRow | None:
    """Deleted, never to be sent; None when it is not undelivered mail."""
    row = await db.fetchrow(
        f"""
        DELETE FROM mail_outbox WHERE id = $1 AND last_error IS NOT NULL
        RETURNING {_undelivered.columns}
        """,  # noqa: S608 — the columns come from UndeliveredRow
        mail_id,
    )
    return _undelivered(row) if row else None


@strawberry.federation.type(
    shareable=True, description="An email that could not be delivered yet (or ever)."
)
class UndeliveredMail:
    row: strawberry.Private[UndeliveredRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(
        description="Whom it is for: `staff` (the network's staff address) or `correspondent`"
        " (the person who wrote to the network or applied)."
    )
    def recipient_kind(self) -> str:
        return self.row.recipient_kind

    @strawberry.field
    def subject(self) -> str:
        return self.row.subject

    @strawberry.field(description="How many times it was handed to the mail relay.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(
        description="The kind of the last failure, e.g. SMTPRecipientsRefused (null once retried)."
    )
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(
        description="No more attempts until a network admin retries it: its last attempt"
        " failed, or it can never go out as it is."
    )
    def dead_letter(self) -> bool:
        return self.row.dead_since is not None

    @strawberry.field(description="When it is tried next; null for a dead letter.")
    def next_attempt_at(self) -> dt.datetime | None:
        return None if self.row.dead_since is not None else self.row.next_attempt_at

    @strawberry.field(description="When it was written (its Date header).")
    def queued_at(self) -> dt.datetime:
        return self.row.queued_at


@strawberry.federation.type(shareable=True)
class UndeliveredMailPayload:
    mail: UndeliveredMail | None
    errors: list[FieldError]


Count = Annotated[int, strawberry.argument(description="How many, at most (1 to 100).")]


async def undelivered(info: Info[Any, Any], first: int) -> list[UndeliveredMail]:
    """The undelivered mail of the asking service's outbox: network admins only."""
    require_role(info, "network_admin")
    rows = await list_undelivered(db=context_of(info).pool, limit=max(1, min(first, MAX_LISTED)))
    return [UndeliveredMail(row=row) for row in rows]


async def retry_mail(info: Info[Any, Any], mail_id: str) -> UndeliveredMailPayload:
    require_role(info, "network_admin")
    pool = context_of(info).pool
    row, errors = await change_by_id(
        mail_id, lambda parsed: retry(db=pool, mail_id=parsed), thing="undelivered mail"
    )
    return UndeliveredMailPayload(mail=UndeliveredMail(row=row) if row else None, errors=errors)


async def dismiss_mail(info: Info[Any, Any], mail_id: str) -> UndeliveredMailPayload:
    require_role(info, "network_admin")
    pool = context_of(info).pool
    row, errors = await change_by_id(
        mail_id, lambda parsed: dismiss(db=pool, mail_id=parsed), thing="undelivered mail"
    )
    return UndeliveredMailPayload(mail=UndeliveredMail(row=row) if row else None, errors=errors)
