"""SQL of the well-being resources that network admins curate for every signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from servicekit.database import Executor
from servicekit.rows import RowReader, RowWriter

from .rules import ResourceIn


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceRow(ResourceIn):
    id: UUID
    retired: bool


# rows carry exactly their type's columns; writes exactly their input type's fields
_resource = RowReader(ResourceRow)
_resource_in = RowWriter(ResourceIn)
_RESOURCE_INSERT = _resource_in.insert(1)


async def list_resources(
    *, db: Executor, category: str | None, audience: str | None, include_retired: bool
) -> list[ResourceRow]:
    """Resources with crisis lines first, then by position and title.

    An audience filter also returns resources written for everyone.
    """
    rows = await db.fetch(
        f"""
        SELECT {_resource.columns} FROM wellbeing_resources
        WHERE ($1 OR NOT retired)
          AND ($2::text IS NULL OR category = $2)
          AND ($3::text IS NULL OR audience IN ($3, 'everyone'))
        ORDER BY (category <> 'crisis_line'), position, title, id
        """,  # noqa: S608 — column lists from the row types
        include_retired,
        category,
        audience,
    )
    return [_resource(row) for row in rows]


async def get_resource(*, db: Executor, resource_id: UUID) -> ResourceRow | None:
    row = await db.fetchrow(
        f"SELECT {_resource.columns} FROM wellbeing_resources WHERE id = $1",  # noqa: S608
        resource_id,
    )
    return _resource(row) if row else None


async def create_resource(*, db: Executor, resource_in: ResourceIn) -> ResourceRow:
    columns, values = _RESOURCE_INSERT
    row = await db.fetchrow(
        f"""
        INSERT INTO wellbeing_resources ({columns}) VALUES ({values})
        RETURNING {_resource.columns}
        """,  # noqa: S608 — column lists from the row types
        *_resource_in.values(resource_in),
    )
    assert row is not None
    return _resource(row)


async def update_resource(
    *, db: Executor, resource_id: UUID, resource_in: ResourceIn
) -> ResourceRow | None:
    row = await db.fetchrow(
        f"""
        UPDATE wellbeing_resources SET {_resource_in.assignments(2)}
        WHERE id = $1
        RETURNING {_resource.columns}
        """,  # noqa: S608 — column lists from the row types
        resource_id,
        *_resource_in.values(resource_in),
    )
    return _resource(row) if row else None


async def set_resource_retired(
    *, db: Executor, resource_id: UUID, retired: bool
) -> ResourceRow | None:
    row = await db.fetchrow(
        f"""
        UPDATE wellbeing_resources SET retired = $2 WHERE id = $1
        RETURNING {_resource.columns}
        """,  # noqa: S608 — column lists from the row types
        resource_id,
        retired,
    )
    return _resource(row) if row else None
