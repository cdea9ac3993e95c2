"""The lean paths — plain leaf fields, and lists and objects made of them completed whole —
answer exactly as graphql-core's own path does."""

from __future__ import annotations

import enum
import gc
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

import pytest
import strawberry
from graphql import GraphQLNamedType, GraphQLObjectType, Node
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from servicekit.errors import GENERIC_ERROR
from servicekit.execution import LeanExecutionContext, _plan
from servicekit.graphql import ServiceSchema


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    TEAL = "teal"


@strawberry.type
class Owner:
    name: str
    colour: Colour | None = None

    @strawberry.field
    def greeting(self, to: str = "you") -> str:  # an argument: graphql-core's path
        return f"{self.name} greets {to}"


@strawberry.type
class Thing:
    name: str
    colours: list[Colour]
    nickname: str | None
    tags: list[str | None]
    count: int
    broken: str  # filled with None below: the schema says it cannot be null
    owner: Owner
    previous_owners: list[Owner]
    maybe_owner: Owner | None = None
    strict_owner: Owner = strawberry.field(default=None)  # left None: a bug

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
                owner=Owner(name="ann", colour=Colour.TEAL),
                previous_owners=[Owner(name="bo"), Owner(name="cy", colour=Colour.RED)],
                strict_owner=Owner(name="di"),
            ),
            Thing(
                name="b",
                colours=[],
                nickname="bee",
                tags=[],
                count=0,
                broken=None,  # type: ignore[arg-type]
                owner=Owner(name="ed"),
                previous_owners=[],
                maybe_owner=Owner(name="fay"),
            ),
        ]


QUERIES = [
    "{ things { name colours nickname tags count shout palette } }",
    "{ things { name strict } }",
    "{ things { n: name broken } }",
    "{ things { ...F } } fragment F on Thing { name @include(if: false) count }",
    "{ things { __typename owner { name colour __typename } maybeOwner { name } } }",
    "{ things { previousOwners { n: name c: colour } owner { ... on Owner { name } } } }",
    '{ things { owner { name greeting(to: "me") } } }',
    "{ things { name strictOwner { name } } }",
    "{ things { owner { name } o2: owner { colour } } }",
    "query($on: Boolean!) { things { owner { name @skip(if: $on) colour } } }",
]
VARIABLES = {"on": True}


@pytest.mark.parametrize("query", QUERIES)
async def test_plain_leaf_fields_answer_as_graphql_core_does(query: str) -> None:
    lean = ServiceSchema(query=Query)
    plain = ServiceSchema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    ours = await lean.execute(query, variable_values=VARIABLES)
    theirs = await plain.execute(query, variable_values=VARIABLES)

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
    assert lean == set(fields) - {"owner", "previousOwners", "maybeOwner", "strictOwner"}


async def test_a_list_of_plain_objects_is_completed_whole() -> None:
    # graphql-core completes objects one field at a time: the whole path must skip it
    completed_one_by_one: list[str] = []

    class Counting(LeanExecutionContext):
        def complete_object_value(self, return_type: Any, *args: Any) -> Any:
            completed_one_by_one.append(return_type.name)
            return super().complete_object_value(return_type, *args)

    schema = ServiceSchema(query=Query, execution_context_class=Counting)
    result = await schema.execute(
        "{ things { name count owner { name colour } previousOwners { name } } }"
    )
    assert result.errors is None
    assert result.data is not None
    assert result.data["things"][0]["previousOwners"] == [{"name": "bo"}, {"name": "cy"}]
    assert completed_one_by_one == []


async def test_a_selection_shaped_by_variables_is_completed_afresh_each_time() -> None:
    # plans are kept across requests only for selections without directives
    schema = ServiceSchema(query=Query)
    query = "query($on: Boolean!) { things { owner { name @skip(if: $on) colour } } }"
    skipped = await schema.execute(query, variable_values={"on": True})
    shown = await schema.execute(query, variable_values={"on": False})
    assert skipped.data is not None
    assert shown.data is not None
    assert skipped.data["things"][0]["owner"] == {"colour": "TEAL"}
    assert shown.data["things"][0]["owner"] == {"name": "ann", "colour": "TEAL"}


async def test_plans_are_kept_with_their_document_and_hold_no_part_of_it() -> None:
    # a plan is kept in the document cache's entry of its document, forgotten with it; it
    # holds no node of the document (the cache weighs the document, not what pins it)
    schema = ServiceSchema(query=Query)
    query = "{ things { name owner { name } previousOwners { name } } }"
    for _ in range(2):  # the first execution parses, validates and keeps the document
        result = await schema.execute(query)
        assert result.errors is None
    kept = schema.valid_documents.with_plans(query)
    assert kept is not None
    plans = kept[1].plans
    assert plans
    # what the plans hold: their closures and arguments, never the schema's types or the
    # modules and globals their functions live in
    seen: set[int] = set()
    pending: list[Any] = list(plans.items())
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, type | ModuleType | GraphQLNamedType):
            continue
        seen.add(id(item))
        assert not isinstance(item, Node), item
        if isinstance(item, FunctionType):
            pending.extend(cell.cell_contents for cell in item.__closure__ or ())
        elif not isinstance(item, BuiltinFunctionType | MethodType):
            pending.extend(gc.get_referents(item))
