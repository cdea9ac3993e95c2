"""Composition fails loudly, naming the subgraphs and types; the result loads back."""

from __future__ import annotations

import pytest

from gateway.composition import CompositionError, compose
from gateway.supergraph import load

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
            "INVALID_FIELD_SHARING: field Department.name is resolved by membership and other",
        ),
        (
            "type PageInfo { endCursor: String hasNextPage: Boolean! }",
            "INVALID_FIELD_SHARING: field PageInfo.endCursor is resolved by directory and "
            "membership and other but is not @shareable in other",
        ),
        (
            "enum DepartmentStatus { ACTIVE }",
            "UNSUPPORTED_FEATURE: type DepartmentStatus is defined differently in membership "
            "and other",
        ),
        (
            "type Query { department(id: ID!): Department }",
            "INVALID_FIELD_SHARING: field Query.department is resolved by membership and other",
        ),
        (
            'type Department @key(fields: "id") { id: ID! name: Int! }',
            "FIELD_TYPE_MISMATCH: field Department.name has type String! in membership but Int! "
            "in other",
        ),
        (
            "input DepartmentStatus { active: Boolean }",
            'TYPE_KIND_MISMATCH: Type "DepartmentStatus" has mismatched kind: it is defined as '
            "Enum Type in membership but InputObject Type in other",
        ),
        (
            "type Department { id: ID! budget: Int }",
            "SATISFIABILITY_ERROR: a Department from membership cannot have budget: no subgraph "
            "resolving them can resolve Department by its key",
        ),
    ],
)
def test_conflicts_name_the_subgraphs_and_types(extra: str, problem: str) -> None:
    membership = DEPARTMENTS + "\nenum DepartmentStatus { ACTIVE LAPSED }\n"
    other = extra + ("\ntype Query { nothing: Int }" if "type Query" not in extra else "")
    with pytest.raises(CompositionError) as failure:
        compose({"membership": membership, "directory": SUPPORTERS, "other": other})
    assert any(str(p).startswith(problem) for p in failure.value.problems), failure.value.problems


def test_an_entity_nobody_can_resolve_is_refused() -> None:
    only_stubs = SUPPORTERS
    with pytest.raises(CompositionError, match="no subgraph can resolve entity Department"):
        compose({"directory": only_stubs})


def test_join_directives_say_who_knows_each_type_and_resolves_each_field() -> None:
    composed = compose({"membership": DEPARTMENTS, "directory": SUPPORTERS})
    definitions = composed.split("\n\n")
    assert definitions[2] == (
        "enum join__Graph {\n"
        '  DIRECTORY @join__graph(name: "directory")\n'
        '  MEMBERSHIP @join__graph(name: "membership")\n'
        "}"
    )
    assert definitions[3:] == [
        # a key each subgraph declares; directory's only refers to departments
        'type Department @join__type(graph: DIRECTORY, key: "id", resolvable: false) '
        '@join__type(graph: MEMBERSHIP, key: "id") {\n'
        "  id: ID! @join__field(graph: DIRECTORY) @join__field(graph: MEMBERSHIP)\n"
        "  name: String! @join__field(graph: MEMBERSHIP)\n"
        "}",
        # a shareable value type: known to, and resolved by, both
        "type PageInfo @join__type(graph: DIRECTORY) @join__type(graph: MEMBERSHIP) {\n"
        "  endCursor: String @join__field(graph: DIRECTORY) @join__field(graph: MEMBERSHIP)\n"
        "  hasNextPage: Boolean! @join__field(graph: DIRECTORY) "
        "@join__field(graph: MEMBERSHIP)\n"
        "}",
        # root fields: each from the one subgraph that defines it
        "type Query @join__type(graph: DIRECTORY) @join__type(graph: MEMBERSHIP) {\n"
        "  supporter(id: ID!): Supporter @join__field(graph: DIRECTORY)\n"
        "  department(id: ID!): Department @join__field(graph: MEMBERSHIP)\n"
        "}",
        'type Supporter @join__type(graph: DIRECTORY, key: "id") {\n'
        "  id: ID! @join__field(graph: DIRECTORY)\n"
        "  department: Department! @join__field(graph: DIRECTORY)\n"
        "}\n",
    ]


def test_descriptions_arguments_and_deprecations_survive_with_the_join_directives() -> None:
    documented = '''
    """A department of the network."""
    type Department @key(fields: "id") {
      id: ID!
      "Its name, as the department writes it."
      name: String!
      members(
        "How many to return."
        first: Int = 10
      ): [String!]! @deprecated(reason: "Ask the directory.")
    }
    type Query { department(id: ID!): Department }
    '''
    composed = compose({"membership": documented})
    department = composed.split("\n\n")[3]
    assert department == (
        '"""A department of the network."""\n'
        'type Department @join__type(graph: MEMBERSHIP, key: "id") {\n'
        "  id: ID! @join__field(graph: MEMBERSHIP)\n"
        '  "Its name, as the department writes it."\n'
        "  name: String! @join__field(graph: MEMBERSHIP)\n"
        "  members(\n"
        '    "How many to return."\n'
        "    first: Int = 10\n"
        '  ): [String!]! @deprecated(reason: "Ask the directory.") '
        "@join__field(graph: MEMBERSHIP)\n"
        "}"
    )
    supergraph = load(composed)
    assert supergraph.owners("Department", "members") == ("membership",)
    members = supergraph.schema.get_type("Department").fields["members"]  # type: ignore[union-attr]
    assert members.deprecation_reason == "Ask the directory."
