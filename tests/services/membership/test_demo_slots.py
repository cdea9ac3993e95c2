"""Demos at the department's convenience: staff publish slots, a department books one on
/join and gets (as do the staff) a confirmation with an iCalendar invitation and a link to
move or cancel it; a slot is held by one live booking at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from typing import Any

import asyncpg
from icalendar import Calendar

from servicekit.clock import FixedClock
from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.support.mail import arrived, mail_env, smtp_sink, text_of
from tests.support.proof_of_work import contact_form_proof
from tests.support.servers import free_port
from tests.support.tokens import TokenIssuer

NOW = dt.datetime(2028, 3, 1, 9, 0, tzinfo=dt.UTC)
PUBLIC_URL = "https://portal.wnwa.example"
PUBLISH = """
mutation($input: DemoSlotInput!) {
  publishDemoSlot(input: $input) {
    slot { id startsAt endsAt durationMinutes format place } errors { field message }
  }
}
"""
OPEN = "{ openDemoSlots { id startsAt format place } }"
BOOK = """
mutation($input: DemoBookingInput!, $proof: String) {
  bookDemo(input: $input, proofOfWork: $proof) { reference errors { field message } }
}
"""
BOOKING = (
    "query($token: String!) { demoBooking(token: $token) { reference cancelled slot { id } } }"
)
MOVE = """
mutation($token: String!, $slot: ID!, $proof: String) {
  moveDemoBooking(token: $token, slotId: $slot, proofOfWork: $proof) {
    booking { reference slot { id } } errors { field message }
  }
}
"""
CANCEL = """
mutation($token: String!) {
  cancelDemoBooking(token: $token) { booking { cancelled } errors { field message } }
}
"""
CONTACT = {
    "agency": "Marlow Township Police Department",
    "contactName": "Sam Ortiz",
    "contactRole": "Chief",
    "email": "chief@marlow-township.example",
}


async def publish(
    service: ServiceUnderTest, token: str, starts_at: dt.datetime, **extra: Any
) -> dict[str, Any]:
    answer = await service.graphql(
        PUBLISH,
        {"input": {"startsAt": starts_at.isoformat(), "format": "VIRTUAL", **extra}},
        token=token,
    )
    payload: dict[str, Any] = answer["data"]["publishDemoSlot"]
    assert payload["errors"] == [], payload
    slot: dict[str, Any] = payload["slot"]
    return slot


async def book(service: ServiceUnderTest, slot_id: str) -> dict[str, Any]:
    answer = await service.graphql(
        BOOK,
        {
            "input": {**CONTACT, "slotId": slot_id},
            "proof": await contact_form_proof(service.graphql, "DEMO_REQUEST"),
        },
    )
    receipt: dict[str, Any] = answer["data"]["bookDemo"]
    return receipt


def invitation(message: Any) -> Calendar:
    parts = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    assert len(parts) == 1
    assert parts[0].get_param("method") in ("REQUEST", "CANCEL")
    return Calendar.from_ical(parts[0].get_content())


async def test_a_booking_is_confirmed_to_both_with_an_invitation_and_a_link_to_move_it(
    start_service: ServiceFactory, issuer: TokenIssuer
) -> None:
    admin = issuer.token("network_admin")
    port = free_port()
    with smtp_sink(port) as sink:
        async with start_service(
            "membership",
            clock=FixedClock(NOW),
            environment={"WNWA_PUBLIC_URL": PUBLIC_URL},
            **mail_env(port),
        ) as membership:
            start = dt.datetime(2028, 3, 7, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
            slot = await publish(membership, admin, start, durationMinutes=45)
            other = await publish(
                membership,
                admin,
                start + dt.timedelta(days=1),
                format="IN_PERSON",
                place="Marlow Township Hall, 12 Main St",
            )
            receipt = await book(membership, slot["id"])
            assert receipt["errors"] == []
            open_slots = await membership.graphql(OPEN)
            assert [s["id"] for s in open_slots["data"]["openDemoSlots"]] == [other["id"]]

            messages = await arrived(sink, 2)
            to_staff = next(m for m in messages if m["To"] == "staff@wnwa.example")
            to_them = next(m for m in messages if m["To"] == CONTACT["email"])
            link = re.search(rf"{re.escape(PUBLIC_URL)}/join#booking=(\S+)", text_of(to_them))
            assert link is not None
            token = link.group(1)
            # the staff's copy names the agency only, and carries no link to the booking
            assert token not in text_of(to_staff)
            assert "Sam Ortiz" not in text_of(to_staff)
            db = await asyncpg.connect(membership.database_url)
            try:  # only the digest is kept
                stored = await db.fetchval("SELECT manage_digest FROM demo_requests")
                assert stored == hashlib.sha256(token.encode()).digest()
                assert (
                    await db.fetchval(
                        "SELECT count(*) FROM demo_requests"
                        " WHERE preferred_times LIKE '%' || $1 || '%'",
                        token,
                    )
                    == 0
                )
            finally:
                await db.close()

            uids = set()
            for message in (to_staff, to_them):
                calendar = invitation(message)
                assert str(calendar["METHOD"]) == "REQUEST"
                event = calendar.walk("VEVENT")[0]
                assert event.decoded("DTSTART") == dt.datetime(2028, 3, 7, 16, 30, tzinfo=dt.UTC)
                assert event.decoded("DTEND") == dt.datetime(2028, 3, 7, 17, 15, tzinfo=dt.UTC)
                assert event["DTSTART"].to_ical() == b"20280307T163000Z"
                assert str(event["ORGANIZER"]) == "mailto:staff@wnwa.example"
                assert str(event["LOCATION"]) == "Video link sent by staff"
                uids.add(str(event["UID"]))
            assert len(uids) == 1
            attendees = invitation(to_them).walk("VEVENT")[0].get("ATTENDEE")
            assert str(attendees) == f"mailto:{CONTACT['email']}"
            assert invitation(to_staff).walk("VEVENT")[0].get("ATTENDEE") is None

            found = await membership.graphql(BOOKING, {"token": token})
            assert found["data"]["demoBooking"]["slot"] == {"id": slot["id"]}

            moved = await membership.graphql(
                MOVE,
                {
                    "token": token,
                    "slot": other["id"],
                    "proof": await contact_form_proof(membership.graphql, "DEMO_REQUEST"),
                },
            )
            assert moved["data"]["moveDemoBooking"]["errors"] == []
            after_move = await arrived(sink, 4)
            moved_ics = invitation(next(m for m in after_move[2:] if m["To"] == CONTACT["email"]))
            event = moved_ics.walk("VEVENT")[0]
            assert str(event["UID"]) in uids  # the same event, updated
            assert event.decoded("SEQUENCE") == 1
            assert str(event["LOCATION"]) == "Marlow Township Hall, 12 Main St"
            assert [s["id"] for s in (await membership.graphql(OPEN))["data"]["openDemoSlots"]] == [
                slot["id"]
            ]

            cancelled = await membership.graphql(CANCEL, {"token": token})
            assert cancelled["data"]["cancelDemoBooking"]["booking"] == {"cancelled": True}
            after_cancel = await arrived(sink, 6)
            cancel_ics = invitation(
                next(m for m in after_cancel[4:] if m["To"] == CONTACT["email"])
            )
            assert str(cancel_ics["METHOD"]) == "CANCEL"
            assert len((await membership.graphql(OPEN))["data"]["openDemoSlots"]) == 2
            again = await membership.graphql(CANCEL, {"token": token})
            assert again["data"]["cancelDemoBooking"]["errors"][0]["field"] == "token"


async def test_two_bookings_of_one_slot_at_once_only_one_wins(
    start_service: ServiceFactory, issuer: TokenIssuer
) -> None:
    admin = issuer.token("network_admin")
    async with start_service("membership", clock=FixedClock(NOW)) as membership:
        slot = await publish(membership, admin, NOW + dt.timedelta(days=3))
        proofs = [await contact_form_proof(membership.graphql, "DEMO_REQUEST") for _ in range(2)]
        answers = await asyncio.gather(
            *(
                membership.graphql(BOOK, {"input": {**CONTACT, "slotId": slot["id"]}, "proof": p})
                for p in proofs
            )
        )
        receipts = [answer["data"]["bookDemo"] for answer in answers]
        assert sorted(bool(r["reference"]) for r in receipts) == [False, True]
        loser = next(r for r in receipts if not r["reference"])
        assert loser["errors"][0]["field"] == "input.slotId"
        db = await asyncpg.connect(membership.database_url)
        try:
            assert await db.fetchval("SELECT count(*) FROM demo_requests") == 1
            assert await db.fetchval("SELECT count(*) FROM mail_outbox") == 2  # the winner's
        finally:
            await db.close()


async def test_slots_are_validated_and_for_admins_and_bookings_need_a_free_future_slot(
    start_service: ServiceFactory, issuer: TokenIssuer
) -> None:
    admin = issuer.token("network_admin")
    async with start_service("membership", clock=FixedClock(NOW)) as membership:
        refused = await membership.graphql(
            PUBLISH,
            {
                "input": {
                    "startsAt": "2028-03-01T08:00:00Z",
                    "durationMinutes": 5,
                    "format": "IN_PERSON",
                }
            },
            token=admin,
        )
        fields = {e["field"] for e in refused["data"]["publishDemoSlot"]["errors"]}
        assert fields == {"input.startsAt", "input.durationMinutes", "input.place"}
        coordinator = await membership.graphql(
            PUBLISH,
            {"input": {"startsAt": "2028-03-05T08:00:00Z", "format": "VIRTUAL"}},
            token=issuer.token("coordinator"),
        )
        assert coordinator["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        unknown = await membership.graphql(
            BOOK, {"input": {**CONTACT, "email": "nope", "slotId": "x"}}
        )
        errors = {e["field"] for e in unknown["data"]["bookDemo"]["errors"]}
        assert errors == {"input.email", "input.slotId"}  # nothing spent, nothing written
        forged = await membership.graphql(MOVE, {"token": "guess", "slot": "x"})
        assert {e["field"] for e in forged["data"]["moveDemoBooking"]["errors"]} == {
            "token",
            "slotId",
        }
        assert (await membership.graphql(BOOKING, {"token": "guess"}))["data"] == {
            "demoBooking": None
        }
