"""The composer's verdict on each case Apollo's composition is held to (the same cases run
through ``@apollo/composition`` in test_apollo_composition.py), what ``@inaccessible`` keeps
and hides, how keys are read, and what a pathological subgraph gets."""

from __future__ import annotations

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

from gateway.composition import CompositionError, compose
from gateway.supergraph import load
from tests.gateway.composition_cases import CASES, FED, Case


def _verdict(case: Case) -> set[str]:
    try:
        compose(case.subgraphs)
    except CompositionError as failure:
        return failure.codes
    return set()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_composer_gives_the_verdict_held_to_apollos(case: Case) -> None:
    assert _verdict(case) == case.codes


def _visible(schema: GraphQLSchema, coordinate: str) -> bool:
    """Whether the API schema shows ``Type``, ``Type.member`` or ``Type.field(argument:)``."""
    type_name, _, rest = coordinate.partition(".")
    named = schema.get_type(type_name)
    if named is None or not rest:
        return named is not None
    member, _, argument = rest.partition("(")
    if isinstance(named, GraphQLEnumType):
        return member in named.values
    assert isinstance(named, GraphQLObjectType | GraphQLInputObjectType)
    field = named.fields.get(member)
    if field is None or not argument:
        return field is not None
    return argument.rstrip(":)") in field.args


HIDING = [c for c in CASES if c.hidden]


@pytest.mark.parametrize("case", HIDING, ids=[c.id for c in HIDING])
def test_what_a_subgraph_hides_is_planned_with_but_not_in_the_api_schema(case: Case) -> None:
    supergraph_text = compose(case.subgraphs)
    supergraph = load(supergraph_text)
    for coordinate in case.hidden:
        assert not _visible(supergraph.schema, coordinate), coordinate
    assert supergraph_text.count("@inaccessible") == len(case.hidden) + 1  # + its definition


def test_a_field_hidden_in_one_subgraph_is_hidden_but_still_owned_and_keyed() -> None:
    (case,) = (c for c in CASES if c.id == "a field inaccessible in one subgraph")
    supergraph = load(compose(case.subgraphs))
    department = supergraph.schema.get_type("Department")
    assert isinstance(department, GraphQLObjectType)
    assert set(department.fields) == {"name", "headcount"}
    # the planner still fetches Department by its hidden key, from either subgraph
    assert set(supergraph.owners("Department", "id")) == {"directory", "membership"}
    for subgraph in ("directory", "membership"):
        key = supergraph.resolvable_key("Department", subgraph)
        assert key is not None
        assert key.fields == ("id",)


def test_a_composite_key_is_read_as_a_selection_set() -> None:
    (case,) = (c for c in CASES if c.id == "composite key written with a comma")
    composed = compose(case.subgraphs)
    assert '@join__type(graph: MEMBERSHIP, key: "force number")' in composed
    key = load(composed).resolvable_key("Department", "membership")
    assert key is not None
    assert key.fields == ("force", "number")


@pytest.mark.parametrize(
    ("case_id", "problem"),
    [
        (
            "key naming a field the type lacks",
            'KEY_INVALID_FIELDS: directory: on type Department, @key(fields: "nope"): Cannot '
            'query field "nope" on type "Department"',
        ),
        (
            "nested key",
            'UNSUPPORTED_FEATURE: directory: on type Department, @key(fields: "region { id }"): '
            "this gateway plans keys made of the type's own non-list scalar and enum fields "
            "only, not the nested selection region { … }",
        ),
        (
            "@interfaceObject",
            "UNSUPPORTED_FEATURE: directory: type Resource is an @interfaceObject, which this "
            "gateway does not plan",
        ),
        (
            "@interfaceObject with no interface of its name",
            'INTERFACE_OBJECT_USAGE_ERROR: Type "Resource" is declared with @interfaceObject in '
            "all the subgraphs in which it is defined (directory)",
        ),
        (
            "an inaccessible required argument",
            'REQUIRED_INACCESSIBLE: Argument "Query.search(county:)" is @inaccessible but is a '
            "required argument of its field.",
        ),
        (
            "an inaccessible value of an enum a field returns",
            "UNSUPPORTED_FEATURE: enum value Standing.LAPSED is @inaccessible, but fields return "
            "Standing",
        ),
        (
            "@inaccessible not imported",
            'INVALID_GRAPHQL: directory: unknown directive "@inaccessible"; import it in the '
            "@link to the federation specification",
        ),
    ],
)
def test_each_problem_names_the_subgraph_the_type_and_apollos_code(
    case_id: str, problem: str
) -> None:
    (case,) = (c for c in CASES if c.id == case_id)
    with pytest.raises(CompositionError) as failure:
        compose(case.subgraphs)
    assert any(str(p).startswith(problem) for p in failure.value.problems), failure.value.problems
    assert problem in str(failure.value)


QUERY = "type Query { nearest: Int }"


@pytest.mark.parametrize(
    ("sdl", "code"),
    [
        ("type Query { a: " + "[" * 5_000 + "Int" + "]" * 5_000 + " }", "INVALID_GRAPHQL"),
        ("type Query { a: Int", "INVALID_GRAPHQL"),
        (
            'type T @key(fields: "'
            + "a { " * 3_000
            + "id"
            + " }" * 3_000
            + '") { id: ID! }\n'
            + QUERY,
            "KEY_INVALID_FIELDS",
        ),
        (
            'type T @key(fields: "' + "id " * 50_000 + '") { id: ID! }\n' + QUERY,
            "KEY_INVALID_FIELDS",
        ),
        ('type T @key(fields: "{ id } { id }") { id: ID! }\n' + QUERY, "KEY_INVALID_FIELDS"),
        ('type T @key(fields: "query { id }") { id: ID! }\n' + QUERY, "KEY_INVALID_FIELDS"),
        ('type T @key(fields: "{}") { id: ID! }\n' + QUERY, "KEY_INVALID_FIELDS"),
        ('type T @key(fields: "...F") { id: ID! }\n' + QUERY, "KEY_INVALID_FIELDS"),
    ],
    ids=[
        "deeply nested type",
        "unterminated",
        "deeply nested key",
        "huge key",
        "two selection sets",
        "an operation",
        "empty braces",
        "fragment spread",
    ],
)
def test_a_pathological_subgraph_gets_a_problem_not_a_crash(sdl: str, code: str) -> None:
    with pytest.raises(CompositionError) as failure:
        compose({"directory": FED + sdl})
    assert failure.value.codes == {code}
    assert all(len(str(p)) < 1_000 for p in failure.value.problems)
