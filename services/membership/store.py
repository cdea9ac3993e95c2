"""SQL of the membership service: departments, terms, fee tiers, contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from servicekit.database import Connection, Executor
from servicekit.references import new_reference
from servicekit.rows import RowReader, RowWriter

from .rules import DemoRequestIn, DepartmentIn, InquiryIn


@dataclass(frozen=True, slots=True)
class DepartmentRow(DepartmentIn):
    """A stored department: the fields :class:`DepartmentIn` declares, and its id."""

    id: UUID


@dataclass(frozen=True, slots=True)
class TermRow:
    id: UUID
    department_id: UUID
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    annual_fee_cents: int


@dataclass(frozen=True, slots=True)
class FeeTierRow:
    min_sworn: int
    max_sworn: int | None
    annual_fee_cents: int


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: UUID
    kind: str
    agency: str
    contact_name: str
    contact_role: str
    email: str
    phone: str | None
    message: str
    demo_format: str | None
    received_at: dt.datetime
    handled_at: dt.datetime | None
    reference: str


_department = RowReader(DepartmentRow)
_term = RowReader(TermRow)
_fee_tier = RowReader(FeeTierRow)
_contact = RowReader(ContactRow)
_department_in = RowWriter(DepartmentIn)
_DEPARTMENT_COLUMNS, _DEPARTMENT_VALUES = _department_in.insert(1)


# departments -----------------------------------------------------------------------------


async def get_departments(*, db: asyncpg.Pool, ids: Sequence[UUID]) -> dict[UUID, DepartmentRow]:
    """Departments by id (one query for any number of ids)."""
    rows = await db.fetch(
        f"""
        SELECT {_department.columns}
        FROM departments WHERE id = ANY($1::uuid[])
        """,  # noqa: S608 — the columns come from DepartmentRow
        list(ids),
    )
    return {row["id"]: _department(row) for row in rows}


async def get_by_ori(*, db: Executor, ori: str) -> DepartmentRow | None:
    row = await db.fetchrow(
        f"""
        SELECT {_department.columns}
        FROM departments WHERE ori = $1
        """,  # noqa: S608 — the columns come from DepartmentRow
        ori,
    )
    return _department(row) if row else None


async def list_members(
    *, db: asyncpg.Pool, state: str | None, after: tuple[str, str, str, UUID] | None, limit: int
) -> list[DepartmentRow]:
    """Active departments ordered by state, county and name (keyset paged)."""
    rows = await db.fetch(
        f"""
        SELECT {_department.columns}
        FROM departments
        WHERE status = 'active'
          AND ($1::text IS NULL OR state = $1)
          AND ($2::text IS NULL OR (state, county, name, id) > ($2, $3, $4, $5::uuid))
        ORDER BY state, county, name, id
        LIMIT $6
        """,  # noqa: S608 — the columns come from DepartmentRow
        state,
        *(after or (None, None, None, None)),
        limit,
    )
    return [_department(row) for row in rows]


async def list_departments(
    *, db: asyncpg.Pool, status: str | None, after: tuple[str, UUID] | None, limit: int
) -> list[DepartmentRow]:
    """Every department (any status) ordered by name, for network admins."""
    rows = await db.fetch(
        f"""
        SELECT {_department.columns}
        FROM departments
        WHERE ($1::department_status IS NULL OR status = $1)
          AND ($2::text IS NULL OR (name, id) > ($2, $3::uuid))
        ORDER BY name, id
        LIMIT $4
        """,  # noqa: S608 — the columns come from DepartmentRow
        status,
        *(after or (None, None)),
        limit,
    )
    return [_department(row) for row in rows]


async def create_department(*, db: asyncpg.Pool, department_in: DepartmentIn) -> DepartmentRow:
    row = await db.fetchrow(
        f"""
        INSERT INTO departments ({_DEPARTMENT_COLUMNS})
        VALUES ({_DEPARTMENT_VALUES})
        RETURNING {_department.columns}
        """,  # noqa: S608 — the columns come from DepartmentIn and DepartmentRow
        *_department_in.values(department_in),
    )
    assert row is not None
    return _department(row)


async def update_department(
    *, db: asyncpg.Pool, department_id: UUID, department_in: DepartmentIn
) -> DepartmentRow | None:
    """Replace the given department's fields; None when the id is unknown."""
    row = await db.fetchrow(
        f"""
        UPDATE departments SET {_department_in.assignments(2)}
        WHERE id = $1
        RETURNING {_department.columns}
        """,  # noqa: S608 — the columns come from DepartmentIn and DepartmentRow
        department_id,
        *_department_in.values(department_in),
    )
    return _department(row) if row else None


async def membership_figures(*, db: asyncpg.Pool) -> tuple[int, int, int]:
    """Active departments, distinct counties and distinct states among them."""
    row = await db.fetchrow(
        """
        SELECT count(*) AS departments,
               count(DISTINCT (state, county)) AS counties,
               count(DISTINCT state) AS states
        FROM departments WHERE status = 'active'
        """
    )
    assert row is not None
    return row["departments"], row["counties"], row["states"]


# subscription terms --------------------------------------------------------------------


async def list_terms(*, db: asyncpg.Pool, department_ids: Sequence[UUID]) -> list[TermRow]:
    """Terms of the given departments, oldest first."""
    rows = await db.fetch(
        """
        SELECT id, department_id, kind, starts_on, ends_on, annual_fee_cents FROM subscription_terms
        WHERE department_id = ANY($1::uuid[]) ORDER BY department_id, starts_on
        """,
        list(department_ids),
    )
    return [_term(row) for row in rows]


async def record_term(
    *,
    connection: Connection,
    department_id: UUID,
    kind: str,
    starts_on: dt.date,
    annual_fee_cents: int,
) -> TermRow:
    row = await connection.fetchrow(
        """
        INSERT INTO subscription_terms (department_id, kind, starts_on, annual_fee_cents)
        VALUES ($1, $2, $3, $4)
        RETURNING id, department_id, kind, starts_on, ends_on, annual_fee_cents
        """,
        department_id,
        kind,
        starts_on,
        annual_fee_cents,
    )
    assert row is not None
    return _term(row)


async def lock_department(*, connection: Connection, department_id: UUID) -> DepartmentRow | None:
    """The department, locked until the transaction ends (serialises term recording)."""
    row = await connection.fetchrow(
        f"""
        SELECT {_department.columns}
        FROM departments WHERE id = $1 FOR UPDATE
        """,  # noqa: S608 — the columns come from DepartmentRow
        department_id,
    )
    return _department(row) if row else None


async def activate(*, connection: Connection, department_id: UUID, joined_on: dt.date) -> None:
    """Make a prospect (or lapsed) department an active member from ``joined_on``."""
    await connection.execute(
        """
        UPDATE departments SET status = 'active', joined_on = coalesce(joined_on, $2)
        WHERE id = $1 AND status IN ('prospect', 'lapsed')
        """,
        department_id,
        joined_on,
    )


async def latest_term(*, connection: Connection, department_id: UUID) -> TermRow | None:
    row = await connection.fetchrow(
        """
        SELECT id, department_id, kind, starts_on, ends_on, annual_fee_cents FROM subscription_terms
        WHERE department_id = $1 ORDER BY starts_on DESC LIMIT 1
        """,
        department_id,
    )
    return _term(row) if row else None


# fee tiers -------------------------------------------------------------------------------


async def list_fee_tiers(*, db: Executor) -> list[FeeTierRow]:
    rows = await db.fetch(
        "SELECT min_sworn, max_sworn, annual_fee_cents FROM fee_tiers ORDER BY min_sworn"
    )
    return [_fee_tier(row) for row in rows]


async def replace_fee_tiers(*, db: asyncpg.Pool, tiers: Sequence[FeeTierRow]) -> list[FeeTierRow]:
    """Swap the whole tier table in one transaction."""
    async with db.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM fee_tiers")
        await connection.executemany(
            "INSERT INTO fee_tiers (min_sworn, max_sworn, annual_fee_cents) VALUES ($1, $2, $3)",
            [(tier.min_sworn, tier.max_sworn, tier.annual_fee_cents) for tier in tiers],
        )
        return await list_fee_tiers(db=connection)


async def fee_for(*, db: Executor, sworn_officers: int) -> int | None:
    """The annual fee (cents) of the tier that covers ``sworn_officers``, if any."""
    fee: int | None = await db.fetchval(
        """
        SELECT annual_fee_cents FROM fee_tiers
        WHERE min_sworn <= $1 AND (max_sworn IS NULL OR max_sworn >= $1)
        """,
        sworn_officers,
    )
    return fee


# inquiries and demo requests -------------------------------------------------------------


async def create_inquiry(*, db: Executor, inquiry_in: InquiryIn) -> str:
    """Store an inquiry; its readable reference."""
    contact = inquiry_in.contact
    reference: str = await db.fetchval(
        """
        INSERT INTO join_inquiries (agency, contact_name, contact_role, email, phone, message,
                                    reference)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING reference
        """,
        contact.agency,
        contact.contact_name,
        contact.contact_role,
        contact.email,
        contact.phone,
        inquiry_in.message,
        new_reference("JOIN"),
    )
    return reference


async def create_demo_request(*, db: Executor, demo_in: DemoRequestIn) -> str:
    """Store a demo request; its readable reference."""
    contact = demo_in.contact
    reference: str = await db.fetchval(
        """
        INSERT INTO demo_requests (agency, contact_name, contact_role, email, phone, format,
                                   preferred_times, reference)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING reference
        """,
        contact.agency,
        contact.contact_name,
        contact.contact_role,
        contact.email,
        contact.phone,
        demo_in.demo_format,
        demo_in.preferred_times,
        new_reference("DEMO"),
    )
    return reference


async def list_contacts(
    *, db: asyncpg.Pool, handled: bool | None, after: tuple[dt.datetime, UUID] | None, limit: int
) -> list[ContactRow]:
    """Inquiries and demo requests, oldest first."""
    rows = await db.fetch(
        f"""
        SELECT {_contact.columns} FROM department_contacts
        WHERE ($1::boolean IS NULL OR (handled_at IS NOT NULL) = $1)
          AND ($2::timestamptz IS NULL OR (received_at, id) > ($2, $3::uuid))
        ORDER BY received_at, id
        LIMIT $4
        """,  # noqa: S608 — the column list comes from ContactRow, never from input
        handled,
        *(after or (None, None)),
        limit,
    )
    return [_contact(row) for row in rows]


async def mark_contact_handled(
    *, db: asyncpg.Pool, contact_id: UUID, handled: bool
) -> ContactRow | None:
    """Set or clear the handled time of an inquiry or demo request; None when unknown."""
    async with db.acquire() as connection, connection.transaction():
        await connection.execute(
            """
            UPDATE join_inquiries SET handled_at = CASE WHEN $2 THEN coalesce(handled_at, now()) END
            WHERE id = $1
            """,
            contact_id,
            handled,
        )
        await connection.execute(
            """
            UPDATE demo_requests SET handled_at = CASE WHEN $2 THEN coalesce(handled_at, now()) END
            WHERE id = $1
            """,
            contact_id,
            handled,
        )
        row = await connection.fetchrow(
            f"SELECT {_contact.columns} FROM department_contacts WHERE id = $1",  # noqa: S608
            contact_id,
        )
    return _contact(row) if row else None
