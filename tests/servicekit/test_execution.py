"""The lean path for plain leaf fields answers exactly as graphql-core's own path does."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from servicekit.errors import GENERIC_ERROR
from servicekit.execution import _plan
from servicekit.graphql import ServiceSchema


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    TEAL = "teal"


@strawberry.type
class Thing:
    name: str
    colours: list[Colour]
    nickname: str | None
    tags: list[str | None]
    count: int
    broken: str  # filled with None below: the schema says it cannot be null

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def palette(self) -> list[Colour]:
        return list(reversed(self.colours))

    @strawberry.field
    def strict(self) -> str:
        if self.name == "b":
            raise ValueError("no")
        return "ok"


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [
            Thing(
                name="a",
                colours=[Colour.RED, Colour.TEAL],
                nickname=None,
                tags=["x", None],
                count=3,
                broken="fine",
            ),
            Thing(
                name="b",
                colours=[],
                nickname="bee",
                tags=[],
                count=0,
                broken=None,  # type: ignore[arg-type]
            ),
        ]


QUERIES = [
    "{ things { name colours nickname tags count shout palette } }",
    "{ things { name strict } }",
    "{ things { n: name broken } }",
    "{ things { ...F } } fragment F on Thing { name @include(if: false) count }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_plain_leaf_fields_answer_as_graphql_core_does(query: str) -> None:
    lean = ServiceSchema(query=Query)
    plain = ServiceSchema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    ours, theirs = await lean.execute(query), await plain.execute(query)

    def shaped(result: Any) -> Any:
        return result.data, [error.formatted for error in result.errors or []]

    assert shaped(ours) == shaped(theirs)


async def test_a_null_in_a_non_null_leaf_is_reported_at_its_path() -> None:
    result = await ServiceSchema(query=Query).execute("{ things { name broken } }")
    assert result.data is None
    [error] = result.errors or []
    assert error.path == ["things", 1, "broken"]
    assert error.message == GENERIC_ERROR  # a server-side bug, masked as any other


def test_attribute_and_plain_method_leaf_fields_take_the_lean_path() -> None:
    # a strawberry release that stops saying a field is basic would silently lose the path
    schema = ServiceSchema(query=Query)
    thing = schema._schema.type_map["Thing"]
    assert isinstance(thing, GraphQLObjectType)
    fields = thing.fields
    lean = {name for name, field in fields.items() if _plan(field) is not None}
    assert lean == set(fields)
