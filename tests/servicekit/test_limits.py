"""What an operation costs, counted without a schema: depth, aliases, fields and pairs of
fields under one name, with fragments expanded where they are spread; what a document
holds (operations, fragments, characters)."""

from __future__ import annotations

import dataclasses

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from servicekit.limits import (
    DocumentCosts,
    OperationLimits,
    document_too_long,
    operation_cost_errors,
    operation_errors,
    same_name_pairs,
)


def _errors(text: str, limits: OperationLimits) -> list[tuple[str, object]]:
    return [
        (error.message, (error.extensions or {}).get("code"))
        for error in operation_cost_errors(parse(text), limits)
    ]


def test_an_operation_within_every_limit_has_no_errors() -> None:
    limits = OperationLimits(max_depth=3, max_aliases=1, max_fields=4)
    assert _errors("{ a { b { c } } x: d }", limits) == []


def test_depth_counts_nested_fields() -> None:
    limits = OperationLimits(max_depth=2)
    assert _errors("{ a { b { c } } }", limits) == [
        ("The operation nests 3 or more levels deep; the limit is 2.", "OPERATION_TOO_COSTLY")
    ]


def test_aliases_are_counted_one_each() -> None:
    limits = OperationLimits(max_aliases=2)
    assert _errors("{ x: a y: a z: a }", limits) == [
        ("The operation uses 3 aliases; the limit is 2.", "OPERATION_TOO_COSTLY")
    ]


def test_a_fragment_counts_every_time_it_is_spread() -> None:
    text = "query { ...F ...F } fragment F on Query { a b }"
    assert _errors(text, OperationLimits(max_fields=4)) == []
    assert _errors(text, OperationLimits(max_fields=3)) == [
        ("The operation selects 4 fields; the limit is 3.", "OPERATION_TOO_COSTLY")
    ]


def test_every_limit_exceeded_is_reported_at_once() -> None:
    limits = OperationLimits(max_depth=1, max_aliases=0, max_fields=1)
    assert [message for message, _ in _errors("{ x: a { b } }", limits)] == [
        "The operation nests 2 or more levels deep; the limit is 1.",
        "The operation uses 1 aliases; the limit is 0.",
        "The operation selects 2 fields; the limit is 1.",
    ]


def fan_out(levels: int) -> str:
    """``levels`` fragments each spreading the next twice: 2**levels fields from ~40 bytes
    a level."""
    return (
        "query { ...F0 }"
        + "".join(f" fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
        + f" fragment F{levels} on Query {{ __typename }}"
    )


def test_a_fragment_fan_out_is_counted_exactly_without_expanding_it() -> None:
    assert _errors(fan_out(3), OperationLimits(max_fields=8)) == []
    assert _errors(fan_out(60), OperationLimits(max_fragments=61)) == [
        (
            f"The operation selects {2**60} fields; the limit is 1000.",
            "OPERATION_TOO_COSTLY",
        )
    ]


def test_the_count_walks_each_selection_set_once() -> None:
    # work done, not time: each selection set of the document is walked once, however many
    # times its fragment is spread
    for levels in (10, 30, 60):
        document = parse(fan_out(levels))
        costs = DocumentCosts(document, OperationLimits(max_fragments=61))
        costs.errors()
        assert costs.walked == levels + 2


def test_a_long_chain_of_fragments_is_counted_without_recursion() -> None:
    text = (
        "query { ...F0 }"
        + "".join(f" fragment F{i} on Query {{ a ...F{i + 1} }}" for i in range(3000))
        + " fragment F3000 on Query { a }"
    )
    limits = OperationLimits(max_fields=3001, max_fragments=3001, max_field_pairs=10**7)
    assert _errors(text, limits) == []
    assert _errors(text, dataclasses.replace(limits, max_fields=3000)) == [
        ("The operation selects 3001 fields; the limit is 3000.", "OPERATION_TOO_COSTLY")
    ]


def test_depth_adds_up_through_nested_spreads() -> None:
    text = "query { a { ...F } } fragment F on A { b { ...G } } fragment G on B { c { d } }"
    assert _errors(text, OperationLimits(max_depth=4)) == []
    assert _errors(text, OperationLimits(max_depth=3)) == [
        ("The operation nests 4 or more levels deep; the limit is 3.", "OPERATION_TOO_COSTLY")
    ]


def test_a_fragment_cycle_is_not_followed_round() -> None:
    text = "query { ...F } fragment F on Query { a ...F }"
    assert _errors(text, OperationLimits(max_fields=1)) == []


def test_introspection_is_not_charged_for_its_depth() -> None:
    text = "{ __schema { types { fields { type { ofType { name } } } } } }"
    assert _errors(text, OperationLimits(max_depth=1)) == []


def test_each_operation_of_a_document_is_counted_on_its_own() -> None:
    document = parse("query A { a { b { c } } } query B { a }")
    limits = OperationLimits(max_depth=2)
    a, b = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    assert len(operation_errors(a, {}, limits)) == 1
    assert operation_errors(b, {}, limits) == []
    assert len(operation_cost_errors(document, limits)) == 1


NO_INTROSPECTION_ALIAS = (
    "Introspection takes no aliases inside `__schema` or `__type`, nor on `__schema`: "
    "ask for each of its fields once.",
    "OPERATION_TOO_COSTLY",
)


def test_introspection_fields_are_counted_like_any_others() -> None:
    text = "{ __schema { types { name fields { name } } } }"
    assert _errors(text, OperationLimits(max_fields=5, max_depth=1)) == []
    assert _errors(text, OperationLimits(max_fields=4)) == [
        ("The operation selects 5 fields; the limit is 4.", "OPERATION_TOO_COSTLY")
    ]
    # a fan-out of fragments inside introspection counts as anywhere else
    fan_out = (
        "{ __schema { ...F0 } }"
        + "".join(f" fragment F{i} on __Schema {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on __Schema { types { name } }"
    )
    assert _errors(fan_out, OperationLimits(max_fragments=31)) == [
        (f"The operation selects {2**31 + 1} fields; the limit is 1000.", "OPERATION_TOO_COSTLY")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "{ __schema { t: types { name } } }",
        "{ s: __schema { types { name } } }",
        '{ __type(name: "Query") { fields { n: name } } }',
        "{ __schema { types { ...T } } } fragment T on __Type { f: fields { name } }",
        # an alias hidden deeper than the depth limit, in a fragment spread inside
        "{ __schema { types { ...T } } } fragment T on __Type { "
        + "ofType { " * 14
        + "f: fields { name }"
        + " }" * 14
        + " }",
    ],
)
def test_nothing_inside_introspection_and_not_schema_itself_takes_an_alias(text: str) -> None:
    assert _errors(text, OperationLimits()) == [NO_INTROSPECTION_ALIAS]


def test_each_type_asked_for_by_name_may_have_its_alias() -> None:
    text = '{ a: __type(name: "A") { name } b: __type(name: "B") { name } }'
    assert _errors(text, OperationLimits(max_aliases=2)) == []
    assert _errors(text, OperationLimits(max_aliases=1)) == [
        ("The operation uses 2 aliases; the limit is 1.", "OPERATION_TOO_COSTLY")
    ]


def test_a_document_holds_so_many_operations_and_fragments() -> None:
    operations = " ".join(f"query Q{i} {{ a }}" for i in range(4))
    fragments = " ".join(f"fragment F{i} on Query {{ a }}" for i in range(3))
    text = f"{operations} query Spread {{ ...F0 ...F1 ...F2 }} {fragments}"
    assert _errors(text, OperationLimits(max_operations=5, max_fragments=3)) == []
    assert _errors(text, OperationLimits(max_operations=4, max_fragments=2)) == [
        ("The document holds 5 operations; the limit is 4.", "OPERATION_TOO_COSTLY"),
        ("The document defines 3 fragments; the limit is 2.", "OPERATION_TOO_COSTLY"),
    ]


def _pairs(text: str) -> int:
    document = parse(text)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return same_name_pairs(operation.selection_set, fragments, 10**9, 1000)


def test_fields_under_one_name_at_one_place_are_counted_in_pairs() -> None:
    assert _pairs("{ a b c { d } }") == 0
    assert _pairs("{ a a a }") == 3
    assert _pairs("{ x: a x: b }") == 1  # by the name they answer under
    # under fields of one name, their fields are at one place too
    assert _pairs("{ a { b } a { b } }") == 2
    assert _pairs("{ a { b } ... on Query { a { b } } }") == 2
    # a fragment is expanded once per place, however often it is spread there
    assert _pairs("{ a ...F ...F } fragment F on Query { a }") == 1
    assert _pairs("{ a { ...F } a { ...F } } fragment F on A { b }") == 1 + 0
    # a cycle (validation refuses it) stops the walk
    assert _pairs("{ a { ...F } } fragment F on A { a { ...F } }") >= 0


def test_many_pairs_of_fields_under_one_name_are_refused() -> None:
    text = "{ " + " ".join(["a { b }"] * 3) + " }"
    assert _errors(text, OperationLimits(max_field_pairs=6)) == []
    assert _errors(text, OperationLimits(max_field_pairs=5)) == [
        (
            "The operation selects 6 or more pairs of fields under the same name at the same "
            "place (each pair is compared to merge them); the limit is 5.",
            "OPERATION_TOO_COSTLY",
        )
    ]


def test_a_document_too_long_is_refused_before_it_is_parsed() -> None:
    assert document_too_long("{ a }", 5) is None
    error = document_too_long("{ a b }", 5)
    assert error is not None
    assert error.message == "The document is 7 characters long; the limit is 5."
    assert error.extensions == {"code": "OPERATION_TOO_COSTLY"}
