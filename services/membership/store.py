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
    """A term; ``department_id`` is the department it applies to (a consortium's term is
    read once for each member) and empty when it is read as the consortium's own."""

    id: UUID
    department_id: UUID | None
    consortium_id: UUID | None
    kind: str
    years: int
    starts_on: dt.date
    ends_on: dt.date
    annual_fee_cents: int
    shorter_term_reason: str | None


@dataclass(frozen=True, slots=True)
class ConsortiumRow:
    id: UUID
    name: str


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
_term_columns = RowReader(TermRow, alias="t", sources={"years": "term_years"}).columns
_consortium = RowReader(ConsortiumRow)
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
    """Terms that apply to the given departments (their own and their consortium's),
    oldest first."""
    rows = await db.fetch(
        """
        SELECT t.id, t.department_id, t.consortium_id, t.kind, t.term_years AS years,
               t.starts_on, t.ends_on, t.annual_fee_cents, t.shorter_term_reason
        FROM subscription_terms t WHERE t.department_id = ANY($1::uuid[])
        UNION ALL
        SELECT t.id, m.department_id, t.consortium_id, t.kind, t.term_years AS years,
               t.starts_on, t.ends_on, t.annual_fee_cents, t.shorter_term_reason
        FROM subscription_terms t JOIN consortium_members m USING (consortium_id)
        WHERE m.department_id = ANY($1::uuid[])
        ORDER BY department_id, starts_on
        """,
        list(department_ids),
    )
    return [_term(row) for row in rows]


async def list_consortium_terms(
    *, db: asyncpg.Pool, consortium_ids: Sequence[UUID]
) -> list[TermRow]:
    """The consortia's own terms, oldest first."""
    rows = await db.fetch(
        f"""
        SELECT {_term_columns} FROM subscription_terms t
        WHERE t.consortium_id = ANY($1::uuid[]) ORDER BY t.consortium_id, t.starts_on
        """,  # noqa: S608 — the columns come from TermRow
        list(consortium_ids),
    )
    return [_term(row) for row in rows]


@dataclass(frozen=True, slots=True)
class TermIn:
    """A term to record: whose (a department or a consortium), its kind, length and fee."""

    department_id: UUID | None
    consortium_id: UUID | None
    kind: str
    years: int
    starts_on: dt.date
    annual_fee_cents: int
    shorter_term_reason: str | None


async def record_term(*, connection: Connection, term_in: TermIn) -> TermRow:
    row = await connection.fetchrow(
        """
        INSERT INTO subscription_terms (department_id, consortium_id, kind, years, starts_on,
                                        annual_fee_cents, shorter_term_reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id, department_id, consortium_id, kind, term_years AS years, starts_on,
                  ends_on, annual_fee_cents, shorter_term_reason
        """,
        term_in.department_id,
        term_in.consortium_id,
        term_in.kind,
        term_in.years,
        term_in.starts_on,
        term_in.annual_fee_cents,
        term_in.shorter_term_reason,
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


async def activate(
    *, connection: Connection, department_ids: Sequence[UUID], joined_on: dt.date
) -> None:
    """Make prospect (or lapsed) departments active members from ``joined_on``."""
    await connection.execute(
        """
        UPDATE departments SET status = 'active', joined_on = coalesce(joined_on, $2)
        WHERE id = ANY($1::uuid[]) AND status IN ('prospect', 'lapsed')
        """,
        list(department_ids),
        joined_on,
    )


async def latest_term(
    *, connection: Connection, department_id: UUID | None = None, consortium_id: UUID | None = None
) -> TermRow | None:
    """The last term recorded for a department (its own) or a consortium."""
    row = await connection.fetchrow(
        f"""
        SELECT {_term_columns} FROM subscription_terms t
        WHERE t.department_id = $1 OR t.consortium_id = $2 ORDER BY t.starts_on DESC LIMIT 1
        """,  # noqa: S608 — the columns come from TermRow
        department_id,
        consortium_id,
    )
    return _term(row) if row else None


# consortia -------------------------------------------------------------------------------


async def consortium_of(*, db: Executor, department_id: UUID) -> ConsortiumRow | None:
    """The consortium the department belongs to, if any."""
    row = await db.fetchrow(
        """
        SELECT c.id, c.name FROM consortia c JOIN consortium_members m ON m.consortium_id = c.id
        WHERE m.department_id = $1
        """,
        department_id,
    )
    return _consortium(row) if row else None


async def consortia_of(
    *, db: asyncpg.Pool, department_ids: Sequence[UUID]
) -> dict[UUID, ConsortiumRow]:
    """Each given department's consortium, for those in one."""
    rows = await db.fetch(
        """
        SELECT m.department_id, c.id, c.name
        FROM consortia c JOIN consortium_members m ON m.consortium_id = c.id
        WHERE m.department_id = ANY($1::uuid[])
        """,
        list(department_ids),
    )
    return {row["department_id"]: _consortium(row) for row in rows}


async def list_consortia(*, db: asyncpg.Pool) -> list[ConsortiumRow]:
    rows = await db.fetch(f"SELECT {_consortium.columns} FROM consortia ORDER BY name, id")  # noqa: S608
    return [_consortium(row) for row in rows]


async def get_consortium(*, db: Executor, consortium_id: UUID) -> ConsortiumRow | None:
    row = await db.fetchrow(
        f"SELECT {_consortium.columns} FROM consortia WHERE id = $1",  # noqa: S608
        consortium_id,
    )
    return _consortium(row) if row else None


async def lock_consortium(*, connection: Connection, consortium_id: UUID) -> ConsortiumRow | None:
    """The consortium, locked until the transaction ends (serialises its term recording)."""
    row = await connection.fetchrow(
        f"SELECT {_consortium.columns} FROM consortia WHERE id = $1 FOR UPDATE",  # noqa: S608
        consortium_id,
    )
    return _consortium(row) if row else None


async def consortium_members(*, db: Executor, consortium_id: UUID) -> list[DepartmentRow]:
    rows = await db.fetch(
        f"""
        SELECT {_department.columns} FROM departments
        WHERE id IN (SELECT department_id FROM consortium_members WHERE consortium_id = $1)
        ORDER BY name, id
        """,  # noqa: S608 — the columns come from DepartmentRow
        consortium_id,
    )
    return [_department(row) for row in rows]


async def lock_departments(
    *, connection: Connection, department_ids: Sequence[UUID]
) -> list[DepartmentRow]:
    """The departments that exist among ``department_ids``, locked (in id order, so two
    transactions never wait on each other)."""
    rows = await connection.fetch(
        f"""
        SELECT {_department.columns} FROM departments
        WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
        """,  # noqa: S608 — the columns come from DepartmentRow
        list(department_ids),
    )
    return [_department(row) for row in rows]


async def with_own_terms(*, db: Executor, department_ids: Sequence[UUID]) -> set[UUID]:
    """Those of the departments that have terms of their own."""
    rows = await db.fetch(
        "SELECT DISTINCT department_id FROM subscription_terms"
        " WHERE department_id = ANY($1::uuid[])",
        list(department_ids),
    )
    return {row["department_id"] for row in rows}


async def create_consortium(
    *, connection: Connection, name: str, department_ids: Sequence[UUID]
) -> ConsortiumRow:
    row = await connection.fetchrow(
        "INSERT INTO consortia (name) VALUES ($1) RETURNING id, name", name
    )
    assert row is not None
    consortium = _consortium(row)
    await connection.executemany(
        "INSERT INTO consortium_members (consortium_id, department_id) VALUES ($1, $2)",
        [(consortium.id, department_id) for department_id in department_ids],
    )
    return consortium


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
