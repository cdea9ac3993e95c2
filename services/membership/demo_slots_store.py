"""SQL of demo slots and their bookings (a booking is a demo request holding a slot)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from servicekit.database import Connection, Executor
from servicekit.references import new_reference
from servicekit.rows import RowReader

from .rules import ContactIn


@dataclass(frozen=True, slots=True)
class SlotRow:
    id: UUID
    starts_at: dt.datetime
    duration_minutes: int
    format: str
    place: str | None


@dataclass(frozen=True, slots=True)
class StaffSlotRow(SlotRow):
    """A slot as staff see it: with the booking's reference and agency, if it is taken."""

    booking_reference: str | None
    booking_agency: str | None


@dataclass(frozen=True, slots=True)
class BookingRow:
    """A booking as its holder's link finds it."""

    id: UUID
    reference: str
    agency: str
    email: str
    sequence: int
    cancelled: bool
    slot_id: UUID | None


_slot = RowReader(SlotRow)
_staff_slot = RowReader(StaffSlotRow)
_booking = RowReader(BookingRow)
_BOOKING_COLUMNS = (
    "id, reference, agency, email, sequence, cancelled_at IS NOT NULL AS cancelled, slot_id"
)


def describe(slot: SlotRow) -> str:
    """The slot in words, in UTC (what staff read among the demo requests)."""
    where = slot.place or "video link sent by staff"
    return (
        f"Booked: {slot.starts_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{slot.duration_minutes} minutes, {where}"
    )


async def create_slot(
    *, db: Executor, starts_at: dt.datetime, duration_minutes: int, format: str, place: str | None
) -> SlotRow:
    row = await db.fetchrow(
        f"""
        INSERT INTO demo_slots (starts_at, duration_minutes, format, place)
        VALUES ($1, $2, $3, $4) RETURNING {_slot.columns}
        """,  # noqa: S608 — the columns come from SlotRow
        starts_at,
        duration_minutes,
        format,
        place,
    )
    assert row is not None
    return _slot(row)


async def get_slot(*, db: Executor, slot_id: UUID) -> SlotRow | None:
    row = await db.fetchrow(
        f"SELECT {_slot.columns} FROM demo_slots WHERE id = $1",  # noqa: S608
        slot_id,
    )
    return _slot(row) if row else None


async def list_open_slots(*, db: asyncpg.Pool, after: dt.datetime, limit: int) -> list[SlotRow]:
    """Slots starting after ``after`` that no live booking holds, soonest first."""
    rows = await db.fetch(
        f"""
        SELECT {_slot.columns} FROM demo_slots s
        WHERE s.starts_at > $1 AND NOT EXISTS (
            SELECT 1 FROM demo_requests r WHERE r.slot_id = s.id AND r.cancelled_at IS NULL)
        ORDER BY s.starts_at, s.id LIMIT $2
        """,  # noqa: S608 — the columns come from SlotRow
        after,
        limit,
    )
    return [_slot(row) for row in rows]


async def list_staff_slots(
    *, db: asyncpg.Pool, after: dt.datetime, limit: int
) -> list[StaffSlotRow]:
    rows = await db.fetch(
        """
        SELECT s.id, s.starts_at, s.duration_minutes, s.format::text AS format, s.place,
               r.reference AS booking_reference, r.agency AS booking_agency
        FROM demo_slots s
        LEFT JOIN demo_requests r ON r.slot_id = s.id AND r.cancelled_at IS NULL
        WHERE s.starts_at > $1 ORDER BY s.starts_at, s.id LIMIT $2
        """,
        after,
        limit,
    )
    return [_staff_slot(row) for row in rows]


async def withdraw_slot(*, db: asyncpg.Pool, slot_id: UUID) -> bool | None:
    """Delete a slot no live booking holds: True; False when it is booked; None when unknown."""
    async with db.acquire() as connection, connection.transaction():
        found = await connection.fetchval(
            "SELECT id FROM demo_slots WHERE id = $1 FOR UPDATE", slot_id
        )
        if found is None:
            return None
        booked = await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM demo_requests WHERE slot_id = $1"
            " AND cancelled_at IS NULL)",
            slot_id,
        )
        if booked:
            return False
        await connection.execute("DELETE FROM demo_slots WHERE id = $1", slot_id)
        return True


async def book(
    *, connection: Connection, contact: ContactIn, slot: SlotRow, digest: bytes
) -> BookingRow:
    """Store the booking; raises UniqueViolationError when a live booking holds the slot."""
    row = await connection.fetchrow(
        f"""
        INSERT INTO demo_requests (agency, contact_name, contact_role, email, phone, format,
                                   preferred_times, reference, slot_id, manage_digest)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING {_BOOKING_COLUMNS}
        """,  # noqa: S608 — fixed columns
        contact.agency,
        contact.contact_name,
        contact.contact_role,
        contact.email,
        contact.phone,
        slot.format,
        describe(slot),
        new_reference("DEMO"),
        slot.id,
        digest,
    )
    assert row is not None
    return _booking(row)


async def booking_by_digest(*, db: Executor, digest: bytes) -> BookingRow | None:
    row = await db.fetchrow(
        f"SELECT {_BOOKING_COLUMNS} FROM demo_requests WHERE manage_digest = $1",  # noqa: S608
        digest,
    )
    return _booking(row) if row else None


async def move(*, connection: Connection, booking_id: UUID, slot: SlotRow) -> BookingRow:
    """Move a live booking; raises UniqueViolationError when the new slot is held."""
    row = await connection.fetchrow(
        f"""
        UPDATE demo_requests
        SET slot_id = $2, format = $3, preferred_times = $4, sequence = sequence + 1
        WHERE id = $1 RETURNING {_BOOKING_COLUMNS}
        """,  # noqa: S608 — fixed columns
        booking_id,
        slot.id,
        slot.format,
        describe(slot),
    )
    assert row is not None
    return _booking(row)


async def cancel(*, connection: Connection, booking_id: UUID) -> BookingRow:
    """Cancel a booking: its slot is free again at once."""
    row = await connection.fetchrow(
        f"""
        UPDATE demo_requests SET cancelled_at = now(), sequence = sequence + 1,
            preferred_times = 'Cancelled. ' || preferred_times
        WHERE id = $1 RETURNING {_BOOKING_COLUMNS}
        """,  # noqa: S608 — fixed columns
        booking_id,
    )
    assert row is not None
    return _booking(row)
