"""Composition fails loudly, naming the subgraphs and types; the result loads back."""

from __future__ import annotations

import pytest

from gateway.composition import CompositionError, compose, load

DEPARTMENTS = """
type Department @key(fields: "id") { id: ID! name: String! }
type PageInfo @shareable { endCursor: String hasNextPage: Boolean! }
type Query { department(id: ID!): Department }
"""

SUPPORTERS = """
type Department @key(fields: "id", resolvable: false) { id: ID! }
type PageInfo @shareable { endCursor: String hasNextPage: Boolean! }
type Supporter @key(fields: "id") { id: ID! department: Department! }
type Query { supporter(id: ID!): Supporter }
"""


def test_entities_and_shareable_types_compose_into_one_schema() -> None:
    supergraph = load(compose({"membership": DEPARTMENTS, "directory": SUPPORTERS}))
    assert supergraph.subgraphs == ("directory", "membership")
    assert supergraph.owners("Department", "name") == ("membership",)
    assert set(supergraph.owners("Department", "id")) == {"directory", "membership"}
    assert supergraph.owners("Query", "supporter") == ("directory",)
    membership_key = supergraph.resolvable_key("Department", "membership")
    assert membership_key is not None
    assert membership_key.fields == ("id",)
    assert supergraph.resolvable_key("Department", "directory") is None
    assert supergraph.schema.get_type("Supporter") is not None


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            'type Department @key(fields: "id") { id: ID! name: String! }',
            "field Department.name is resolved by both membership and other",
        ),
        (
            "type PageInfo { endCursor: String hasNextPage: Boolean! }",
            "type PageInfo is defined in directory and membership and other but is neither",
        ),
        (
            "enum DepartmentStatus { ACTIVE }",
            "type DepartmentStatus is defined differently in membership and other",
        ),
        (
            "type Query { department(id: ID!): Department }",
            "field Query.department is resolved by both membership and other",
        ),
        (
            'type Department @key(fields: "id") { id: ID! name: Int! }',
            "field Department.name has different types or arguments in membership and other",
        ),
    ],
)
def test_conflicts_name_the_subgraphs_and_types(extra: str, problem: str) -> None:
    membership = DEPARTMENTS + "\nenum DepartmentStatus { ACTIVE LAPSED }\n"
    other = extra + ("\ntype Query { nothing: Int }" if "type Query" not in extra else "")
    with pytest.raises(CompositionError) as failure:
        compose({"membership": membership, "directory": SUPPORTERS, "other": other})
    assert any(problem in p for p in failure.value.problems), failure.value.problems


def test_an_entity_nobody_can_resolve_is_refused() -> None:
    only_stubs = SUPPORTERS
    with pytest.raises(CompositionError, match="no subgraph can resolve entity Department"):
        compose({"directory": only_stubs})
