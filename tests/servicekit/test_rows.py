"""Rolling upgrades: a migration that adds a column must not break the version still serving."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import pytest

from servicekit.rows import RowReader, RowWriter
from tests.conftest import ServiceFactory
from tests.support.tokens import TokenIssuer
from wnwa.registry import service_named

READS = {
    "directory": (
        ("officer",),
        """{ searchPeerSupporters(first: 5, filter: {includeOwnDepartment: true}) {
               matches { supporter { id displayName areasOfSupport weeklySchedule { day } } } }
             wellbeingResources { title telLink } }""",
        ("searchPeerSupporters", "matches"),
    ),
    "membership": (
        ("network_admin",),
        """{ memberDepartments(first: 5) { nodes { name county } }
             departments(first: 5) { nodes { record { ori status } } }
             feeTiers { minSwornOfficers }
             departmentContacts(first: 5) { nodes { id } } }""",
        ("memberDepartments", "nodes"),
    ),
    "professionals": (
        ("officer", "vetter"),
        """{ professionals(first: 5) { nodes { fullName } }
             applications(first: 5) { nodes { reference licenses { number } } } }""",
        ("professionals", "nodes"),
    ),
}


@pytest.mark.parametrize("name", READS)
async def test_reads_survive_a_migration_that_adds_a_column_to_every_table(
    start_service: ServiceFactory, issuer: TokenIssuer, name: str
) -> None:
    roles, query, listed = READS[name]
    token = issuer.token(*roles)
    async with start_service(name) as service:
        connection = await asyncpg.connect(service.database_url)
        try:
            await service_named(name).seed(connection)
            before = await service.graphql(query, token=token)
            tables = await connection.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
            for table in tables:
                # what the next release's migration might do while this one still serves
                await connection.execute(
                    f'ALTER TABLE "{table["table_name"]}"'
                    " ADD COLUMN added_by_next_release text DEFAULT 'new'"
                )
        finally:
            await connection.close()
        after = await service.graphql(query, token=token)
    assert "errors" not in after, after["errors"]
    assert after == before
    first, second = listed
    assert after["data"][first][second]  # the demo data is there to be read


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    weekly_hours: tuple[int, int]
    distance: float | None = None


def test_a_reader_selects_its_row_types_columns_only() -> None:
    reader = RowReader(
        _Row,
        alias="r",
        sources={"weekly_hours": "hours"},
        convert={"weekly_hours": tuple},
        computed=("distance",),
    )
    assert reader.columns == "r.id, r.hours AS weekly_hours"
    record = {"id": 7, "weekly_hours": [1, 2], "added_later": "ignored"}
    assert reader(record, distance=1.5) == _Row(id=7, weekly_hours=(1, 2), distance=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not fields"):
        RowReader(_Row, convert={"nope": str})


@dataclass(frozen=True, slots=True, kw_only=True)
class _In:
    name: str
    weekly_hours: tuple[int, int]
    note: str | None = None


def test_a_writer_writes_every_field_of_its_input_type_in_order() -> None:
    writer = RowWriter(_In, sources={"weekly_hours": "hours"}, convert={"weekly_hours": list})
    assert writer.insert(3) == ("name, hours, note", "$3, $4, $5")
    assert writer.assignments(2) == "name = $2, hours = $3, note = $4"
    assert writer.values(_In(name="a", weekly_hours=(1, 2))) == ["a", [1, 2], None]
    with pytest.raises(ValueError, match="not fields"):
        RowWriter(_In, sources={"nope": "x"})
