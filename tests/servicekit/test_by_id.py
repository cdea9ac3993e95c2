"""Changing one row by the id a client sent: unknown and malformed ids get the same answer."""

from __future__ import annotations

from uuid import UUID, uuid4

from servicekit.by_id import change_by_id
from servicekit.graphql import FieldError

KNOWN = uuid4()


async def mark(row_id: UUID) -> str | None:
    return f"marked {row_id}" if row_id == KNOWN else None


async def test_a_known_id_gives_the_changed_row_and_no_error() -> None:
    assert await change_by_id(str(KNOWN), mark, thing="contact") == (f"marked {KNOWN}", [])


async def test_an_unknown_or_malformed_id_names_the_field_and_the_thing() -> None:
    unknown = [FieldError(field="id", message="There is no contact with this id.")]
    assert await change_by_id(str(uuid4()), mark, thing="contact") == (None, unknown)
    assert await change_by_id("not-an-id", mark, thing="contact") == (None, unknown)
    assert await change_by_id(None, mark, thing="resource", field="resourceId") == (
        None,
        [FieldError(field="resourceId", message="There is no resource with this id.")],
    )


async def test_a_malformed_id_never_reaches_the_database() -> None:
    seen: list[UUID] = []

    async def change(row_id: UUID) -> str | None:
        seen.append(row_id)
        return None

    await change_by_id("'; DROP TABLE x; --", change, thing="contact")
    assert seen == []
