"""What an operation costs, counted without a schema: depth, aliases and fields, with
fragments expanded where they are spread."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse

from servicekit.limits import (
    DocumentCosts,
    OperationLimits,
    operation_cost_errors,
    operation_errors,
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
    assert _errors(fan_out(60), OperationLimits()) == [
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
        costs = DocumentCosts(document, OperationLimits())
        costs.errors()
        assert costs.walked == levels + 2


def test_a_long_chain_of_fragments_is_counted_without_recursion() -> None:
    text = (
        "query { ...F0 }"
        + "".join(f" fragment F{i} on Query {{ a ...F{i + 1} }}" for i in range(3000))
        + " fragment F3000 on Query { a }"
    )
    assert _errors(text, OperationLimits(max_fields=3001)) == []
    assert _errors(text, OperationLimits(max_fields=3000)) == [
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
