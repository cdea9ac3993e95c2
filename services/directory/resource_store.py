"""SQL of the well-being resources: the network's, which network admins curate for every
signed-in user, and each department's own, which its coordinators keep for its people."""

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
    department_id: UUID | None  # None: the network's


# rows carry exactly their type's columns; writes exactly their input type's fields
_resource = RowReader(ResourceRow)
_resource_in = RowWriter(ResourceIn)
_RESOURCE_INSERT = _resource_in.insert(2)


async def list_resources(
    *,
    db: Executor,
    category: str | None,
    audience: str | None,
    include_retired: bool,
    department_id: UUID | None,
) -> list[ResourceRow]:
    """The network's resources and ``department_id``'s own: crisis lines first, the
    network's before the department's, then by position and title.

    An audience filter also returns resources written for everyone.
    """
    rows = await db.fetch(
        f"""
        SELECT {_resource.columns} FROM wellbeing_resources
        WHERE ($1 OR NOT retired)
          AND ($2::text IS NULL OR category = $2)
          AND ($3::text IS NULL OR audience IN ($3, 'everyone'))
          AND (department_id IS NULL OR department_id = $4)
        ORDER BY (category <> 'crisis_line'), (department_id IS NOT NULL), position, title, id
        """,  # noqa: S608 — column lists from the row types
        include_retired,
        category,
        audience,
        department_id,
    )
    return [_resource(row) for row in rows]


async def list_department_resources(*, db: Executor, department_id: UUID) -> list[ResourceRow]:
    """One department's own resources, retired ones included, for its coordinators."""
    rows = await db.fetch(
        f"""
        SELECT {_resource.columns} FROM wellbeing_resources WHERE department_id = $1
        ORDER BY (category <> 'crisis_line'), position, title, id
        """,  # noqa: S608 — column lists from the row types
        department_id,
    )
    return [_resource(row) for row in rows]


async def count_department_resources(*, db: Executor, department_id: UUID) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM wellbeing_resources WHERE department_id = $1", department_id
    )
    return count


# Each change names whose resource it is (a department, or None: the network's), so network
# admins change only the network's and a coordinator only their own department's.


async def get_resource(
    *, db: Executor, resource_id: UUID, department_id: UUID | None
) -> ResourceRow | None:
    row = await db.fetchrow(
        f"""
        SELECT {_resource.columns} FROM wellbeing_resources
        WHERE id = $1 AND department_id IS NOT DISTINCT FROM $2
        """,  # noqa: S608 — column lists from the row types
        resource_id,
        department_id,
    )
    return _resource(row) if row else None


async def create_resource(
    *, db: Executor, resource_in: ResourceIn, department_id: UUID | None = None
) -> ResourceRow:
    columns, values = _RESOURCE_INSERT
    row = await db.fetchrow(
        f"""
        INSERT INTO wellbeing_resources (department_id, {columns}) VALUES ($1, {values})
        RETURNING {_resource.columns}
        """,  # noqa: S608 — column lists from the row types
        department_id,
        *_resource_in.values(resource_in),
    )
    assert row is not None
    return _resource(row)


async def update_resource(
    *, db: Executor, resource_id: UUID, resource_in: ResourceIn, department_id: UUID | None
) -> ResourceRow | None:
    row = await db.fetchrow(
        f"""
        UPDATE wellbeing_resources SET {_resource_in.assignments(3)}
        WHERE id = $1 AND department_id IS NOT DISTINCT FROM $2
        RETURNING {_resource.columns}
        """,  # noqa: S608 — column lists from the row types
        resource_id,
        department_id,
        *_resource_in.values(resource_in),
    )
    return _resource(row) if row else None


async def set_resource_retired(
    *, db: Executor, resource_id: UUID, retired: bool, department_id: UUID | None
) -> ResourceRow | None:
    row = await db.fetchrow(
        f"""
        UPDATE wellbeing_resources SET retired = $3
        WHERE id = $1 AND department_id IS NOT DISTINCT FROM $2
        RETURNING {_resource.columns}
        """,  # noqa: S608 — column lists from the row types
        resource_id,
        department_id,
        retired,
    )
    return _resource(row) if row else None
