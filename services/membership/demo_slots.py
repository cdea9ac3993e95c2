"""Demos at the department's convenience: network admins publish time slots; anyone books a
free one (with the demo form's proof of work) and moves or cancels it from the link in the
confirmation mail."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit import validation
from servicekit.graphql import FieldError, InputErrors, context_of, parse_id, require_role
from servicekit.proof_of_work import ProofOfWork

from . import demo_slots_store as slots
from . import invitations, mail, rules
from .schema import DemoFormat, context

MOST_SLOTS = 200
TAKEN = "Someone has just booked this time; please choose another."


def digest(token: str) -> bytes:
    """What is stored of a booking's token: its SHA-256 (the token itself is only mailed)."""
    return hashlib.sha256(token.encode()).digest()


@strawberry.type(description="A time staff offer for a demo.")
class DemoSlot:
    id: strawberry.ID
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int
    format: DemoFormat
    place: str | None = strawberry.field(
        description="Where, in person; empty for a video call (the link is sent by staff)."
    )

    @classmethod
    def from_row(cls, row: slots.SlotRow) -> DemoSlot:
        return cls(
            id=strawberry.ID(str(row.id)),
            starts_at=row.starts_at,
            ends_at=row.starts_at + dt.timedelta(minutes=row.duration_minutes),
            duration_minutes=row.duration_minutes,
            format=DemoFormat(row.format),
            place=row.place,
        )


@strawberry.type(description="A published slot as staff see it: who booked it, if anyone.")
class ScheduledDemoSlot:
    slot: DemoSlot
    booking_reference: str | None
    booking_agency: str | None


@strawberry.type(description="A booked demo, as the link in its confirmation shows it.")
class DemoBooking:
    reference: str
    agency: str
    cancelled: bool
    slot: DemoSlot | None


@strawberry.input(description="A time staff offer for a demo.")
class DemoSlotInput:
    starts_at: dt.datetime
    duration_minutes: int = 45
    format: DemoFormat
    place: str | None = strawberry.field(default=None, description="Required in person.")


@strawberry.input(description="Who books a demo, and which slot.")
class DemoBookingInput:
    agency: str
    contact_name: str
    contact_role: str
    email: str
    phone: str | None = None
    slot_id: strawberry.ID


@strawberry.type
class DemoSlotPayload:
    slot: DemoSlot | None
    errors: list[FieldError]


@strawberry.type(description="A booking's reference (its link to move or cancel is mailed).")
class DemoBookingReceipt:
    reference: strawberry.ID | None
    errors: list[FieldError]


@strawberry.type
class DemoBookingPayload:
    booking: DemoBooking | None
    errors: list[FieldError]


Token = Annotated[str, strawberry.argument(description="From the confirmation mail's link.")]


async def _booking_view(info: Info[Any, Any], row: slots.BookingRow) -> DemoBooking:
    slot = (
        await slots.get_slot(db=context_of(info).pool, slot_id=row.slot_id) if row.slot_id else None
    )
    return DemoBooking(
        reference=row.reference,
        agency=row.agency,
        cancelled=row.cancelled,
        slot=DemoSlot.from_row(slot) if slot else None,
    )


@strawberry.type
class DemoSlotQueries:
    @strawberry.field(description="Free demo slots from now on, soonest first. No sign-in needed.")
    async def open_demo_slots(self, info: Info[Any, Any]) -> list[DemoSlot] | None:
        rows = await slots.list_open_slots(
            db=context_of(info).pool, after=context_of(info).clock.now(), limit=MOST_SLOTS
        )
        return [DemoSlot.from_row(row) for row in rows]

    @strawberry.field(description="Published slots from now on and their bookings: admins only.")
    async def scheduled_demo_slots(self, info: Info[Any, Any]) -> list[ScheduledDemoSlot] | None:
        require_role(info, "network_admin")
        rows = await slots.list_staff_slots(
            db=context_of(info).pool, after=context_of(info).clock.now(), limit=MOST_SLOTS
        )
        return [
            ScheduledDemoSlot(
                slot=DemoSlot.from_row(row),
                booking_reference=row.booking_reference,
                booking_agency=row.booking_agency,
            )
            for row in rows
        ]

    @strawberry.field(description="The booking a confirmation link names; null for none.")
    async def demo_booking(self, info: Info[Any, Any], token: Token) -> DemoBooking | None:
        row = await slots.booking_by_digest(db=context_of(info).pool, digest=digest(token))
        return await _booking_view(info, row) if row else None


async def _bookable(
    info: Info[Any, Any], slot_id: strawberry.ID, field: str, errors: InputErrors
) -> slots.SlotRow | None:
    parsed = parse_id(slot_id)
    slot = await slots.get_slot(db=context_of(info).pool, slot_id=parsed) if parsed else None
    if slot is None:
        errors.unknown(field, "demo slot")
    elif slot.starts_at <= context_of(info).clock.now():
        errors.add(field, "This time has passed; please choose another.")
    return slot


@strawberry.type
class DemoSlotMutations:
    @strawberry.mutation(description="Offer a time for demos: network admins only.")
    async def publish_demo_slot(
        self, info: Info[Any, Any], input: DemoSlotInput
    ) -> DemoSlotPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        now = context_of(info).clock.now()
        if input.starts_at.tzinfo is None:
            errors.add("input.startsAt", "Give the time with its offset, e.g. 2028-03-07T15:00Z.")
        elif not now < input.starts_at < now + dt.timedelta(days=366):
            errors.add("input.startsAt", "Choose a time from now to a year ahead.")
        if not 15 <= input.duration_minutes <= 480:
            errors.add("input.durationMinutes", "A demo lasts 15 to 480 minutes.")
        place = None
        if input.format is DemoFormat.IN_PERSON:
            place = validation.line(input.place, "input.place", errors, max_length=300)
        elif input.place is not None and input.place.strip():
            errors.add("input.place", "A video call has no place: staff send the link.")
        if errors:
            return DemoSlotPayload(slot=None, errors=errors.items)
        row = await slots.create_slot(
            db=context_of(info).pool,
            starts_at=input.starts_at,
            duration_minutes=input.duration_minutes,
            format=input.format.value,
            place=place,
        )
        return DemoSlotPayload(slot=DemoSlot.from_row(row), errors=[])

    @strawberry.mutation(description="Stop offering a free slot: network admins only.")
    async def withdraw_demo_slot(self, info: Info[Any, Any], id: strawberry.ID) -> DemoSlotPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        parsed = parse_id(id)
        done = (
            await slots.withdraw_slot(db=context_of(info).pool, slot_id=parsed) if parsed else None
        )
        if done is None:
            errors.unknown("id", "demo slot")
        elif not done:
            errors.add("id", "This slot is booked; the booking's holder can move or cancel it.")
        return DemoSlotPayload(slot=None, errors=errors.items)

    @strawberry.mutation(
        description="Book a free demo slot. No sign-in needed; the demo form's proof of work. "
        "The confirmation mail carries the link to move or cancel it."
    )
    async def book_demo(
        self, info: Info[Any, Any], input: DemoBookingInput, proof_of_work: ProofOfWork = None
    ) -> DemoBookingReceipt:
        errors = InputErrors()
        contact = rules.check_contact(input, errors)
        slot = await _bookable(info, input.slot_id, "input.slotId", errors)
        if contact is None or slot is None or errors:
            return DemoBookingReceipt(reference=None, errors=errors.items)
        await context(info).resources.forms.demo_requests.admit(proof_of_work)
        token = secrets.token_urlsafe(32)
        try:
            async with context_of(info).pool.acquire() as connection, connection.transaction():
                booking = await slots.book(
                    connection=connection, contact=contact, slot=slot, digest=digest(token)
                )
                await invitations.booking_changed(
                    db=connection,
                    settings=mail.settings_of(info),
                    booking=booking,
                    slot=slot,
                    token=token,
                    what="booked",
                    stamp=context_of(info).clock.now(),
                )
        except asyncpg.UniqueViolationError:
            errors.add("input.slotId", TAKEN)
            return DemoBookingReceipt(reference=None, errors=errors.items)
        return DemoBookingReceipt(reference=strawberry.ID(booking.reference), errors=[])

    @strawberry.mutation(
        description="Move a booked demo to another free slot: the demo form's proof of work,"
        " spent only once the link and the slot are right (each move mails the department and"
        " the staff, so each is paid for like a booking)."
    )
    async def move_demo_booking(
        self,
        info: Info[Any, Any],
        token: Token,
        slot_id: strawberry.ID,
        proof_of_work: ProofOfWork = None,
    ) -> DemoBookingPayload:
        errors = InputErrors()
        current = await _live(info, token, errors)
        slot = await _bookable(info, slot_id, "slotId", errors)
        if current is None or slot is None or errors:
            return DemoBookingPayload(booking=None, errors=errors.items)
        await context(info).resources.forms.demo_requests.admit(proof_of_work)
        try:
            async with context_of(info).pool.acquire() as connection, connection.transaction():
                booking = await slots.move(connection=connection, booking_id=current.id, slot=slot)
                await invitations.booking_changed(
                    db=connection,
                    settings=mail.settings_of(info),
                    booking=booking,
                    slot=slot,
                    token=token,
                    what="moved",
                    stamp=context_of(info).clock.now(),
                )
        except asyncpg.UniqueViolationError:
            errors.add("slotId", TAKEN)
            return DemoBookingPayload(booking=None, errors=errors.items)
        return DemoBookingPayload(booking=await _booking_view(info, booking), errors=[])

    @strawberry.mutation(description="Cancel a booked demo; its slot is free again.")
    async def cancel_demo_booking(self, info: Info[Any, Any], token: Token) -> DemoBookingPayload:
        errors = InputErrors()
        current = await _live(info, token, errors)
        if current is None or current.slot_id is None:
            return DemoBookingPayload(booking=None, errors=errors.items)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            slot = await slots.get_slot(db=connection, slot_id=current.slot_id)
            booking = await slots.cancel(connection=connection, booking_id=current.id)
            if slot is not None:
                await invitations.booking_changed(
                    db=connection,
                    settings=mail.settings_of(info),
                    booking=booking,
                    slot=slot,
                    token=None,
                    what="cancelled",
                    stamp=context_of(info).clock.now(),
                )
        return DemoBookingPayload(booking=await _booking_view(info, booking), errors=[])


async def _live(info: Info[Any, Any], token: str, errors: InputErrors) -> slots.BookingRow | None:
    row = await slots.booking_by_digest(db=context_of(info).pool, digest=digest(token))
    if row is None:
        errors.add("token", "This link names no booking; use the link in your latest email.")
        return None
    if row.cancelled:
        errors.add("token", "This demo was canceled; book a new time on the same page.")
        return None
    return row
