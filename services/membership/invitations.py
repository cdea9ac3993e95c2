"""A demo booking's confirmation: mail to the department and to the staff, each with an
iCalendar invitation (RFC 5545/5546 via the ``icalendar`` package), queued in the outbox in
the booking's own transaction."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event, vCalAddress

from servicekit.database import Executor
from servicekit.mail import Attachment, MailSettings, enqueue

from .demo_slots_store import BookingRow, SlotRow

VIDEO = "Video link sent by staff"


def organizer_address(settings: MailSettings) -> str:
    """The staff address (the sender's when no staff address is configured)."""
    return settings.staff or settings.sender.addr_spec


def invitation(
    *,
    booking: BookingRow,
    slot: SlotRow,
    settings: MailSettings,
    attendee: str | None,
    method: str,
    stamp: dt.datetime,
) -> str:
    """The iCalendar text: one event, UID stable per booking, times in UTC, organised by the
    staff. ``method`` REQUEST books or moves it (SEQUENCE counts the changes), CANCEL ends it."""
    calendar = Calendar()
    calendar.add("prodid", "-//WeNeverWalkAlone//Demo bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{booking.id}@{settings.sender.domain}")
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    start = slot.starts_at.astimezone(dt.UTC)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=slot.duration_minutes))
    event.add("sequence", booking.sequence)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("summary", f"WeNeverWalkAlone demo: {booking.agency}")
    event.add("location", slot.place or VIDEO)
    event.add("description", f"Reference: {booking.reference}")
    organizer = vCalAddress(f"mailto:{organizer_address(settings)}")
    organizer.params["cn"] = "WeNeverWalkAlone"
    event["organizer"] = organizer
    if attendee:
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params["role"] = "REQ-PARTICIPANT"
        event.add("attendee", guest)
    calendar.add_component(event)
    text: str = calendar.to_ical().decode()
    return text


def _when(slot: SlotRow) -> str:
    start = slot.starts_at.astimezone(dt.UTC)
    return (
        f"{start:%A %d %B %Y, %H:%M} UTC, {slot.duration_minutes} minutes\n"
        f"{'Where: ' + slot.place if slot.place else VIDEO}"
    )


async def booking_changed(
    *,
    db: Executor,
    settings: MailSettings,
    booking: BookingRow,
    slot: SlotRow,
    token: str | None,
    what: str,
    stamp: dt.datetime,
) -> None:
    """Tell the department and the staff that a demo was booked, moved or cancelled
    (``what``); the department's message carries the link to move or cancel it (``token``,
    known only to that message), the staff's names the agency and no person."""
    method = "CANCEL" if what == "cancelled" else "REQUEST"
    name = "demo.ics"
    kind = f"text/calendar; method={method}"
    if settings.staff:
        await enqueue(
            db=db,
            recipient=settings.staff,
            kind="staff",
            subject=f"Demo {what}: {booking.agency[:120]}",
            body=f"The demo for {booking.agency} was {what}.\n\n{_when(slot)}\n\n"
            f"Reference: {booking.reference}\nDetails on the administration page:\n"
            f"{settings.public_url.link('/admin')}\n",
            attachment=Attachment(
                name,
                kind,
                invitation(
                    booking=booking,
                    slot=slot,
                    settings=settings,
                    attendee=None,
                    method=method,
                    stamp=stamp,
                ),
            ),
        )
    manage = (
        f"To move or cancel it:\n{settings.public_url.link('/join#booking=' + token)}\n\n"
        if token and what != "cancelled"
        else ""
    )
    await enqueue(
        db=db,
        recipient=booking.email,
        kind="correspondent",
        subject=f"Your WeNeverWalkAlone demo is {what}",
        body=f"Your demo is {what}.\n\n{_when(slot)}\n\n{manage}"
        f"Your reference: {booking.reference}\n\nWeNeverWalkAlone\n"
        f"{settings.public_url.link('/')}\n",
        attachment=Attachment(
            name,
            kind,
            invitation(
                booking=booking,
                slot=slot,
                settings=settings,
                attendee=booking.email,
                method=method,
                stamp=stamp,
            ),
        ),
    )
