"""The planner on a small hand-written supergraph: which part of a client's selection each
subgraph is sent, and which operations one subgraph answers alone. No servers."""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    print_ast,
)

from gateway.composition import compose
from gateway.planning import (
    SelectionPlanner,
    aliased,
    entities_field,
    operation_document,
    representations_variable,
    single_subgraph,
)
from gateway.supergraph import Supergraph, load

MEMBERSHIP = """
type Department @key(fields: "id") { id: ID! name: String! state: String! }
type Query { department(id: ID!): Department feeTiers: [Int!]! }
"""
DIRECTORY = """
type Department @key(fields: "id", resolvable: false) { id: ID! }
type Supporter @key(fields: "id") { id: ID! displayName: String! department: Department! }
type Query { supporters(first: Int!, zip: String): [Supporter!]! }
"""


def _supergraph() -> Supergraph:
    return load(compose({"membership": MEMBERSHIP, "directory": DIRECTORY}))


def _operation(text: str) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    document = parse(text)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return operations[0], fragments


def _root_field(operation: OperationDefinitionNode) -> FieldNode:
    field = operation.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    return field


def test_a_subgraph_is_sent_only_its_own_fields_plus_the_keys_to_fetch_the_rest() -> None:
    supergraph = _supergraph()
    operation, fragments = _operation(
        "{ supporters(first: 20) { displayName department { name state } } }"
    )
    planner = SelectionPlanner(supergraph, fragments)
    supporter = supergraph.schema.get_type("Supporter")
    projected = planner.project(_root_field(operation).selection_set, supporter, "directory")  # type: ignore[arg-type]
    assert projected is not None
    # directory knows the department only by its id: it returns that, under the key alias
    assert print_ast(projected) == (
        "{\n  __typename\n  displayName\n  department {\n    __typename\n    __key_id: id\n  }\n}"
    )


def test_fragments_are_inlined_and_keep_their_type_condition() -> None:
    supergraph = _supergraph()
    operation, fragments = _operation(
        "query Page { supporters(first: 1) { ...Card } }\n"
        "fragment Card on Supporter { displayName department { name } }"
    )
    planner = SelectionPlanner(supergraph, fragments)
    inlined = planner.inline_fragments(_root_field(operation))
    assert print_ast(inlined) == (
        "supporters(first: 1) {\n"
        "  ... on Supporter {\n"
        "    displayName\n"
        "    department {\n"
        "      name\n"
        "    }\n"
        "  }\n"
        "}"
    )


def test_the_entities_document_asks_for_the_missing_fields_by_representation() -> None:
    supergraph = _supergraph()
    planner = SelectionPlanner(supergraph, {})
    department = supergraph.schema.get_type("Department")
    # what the gateway found missing on a department directory returned: its name, asked
    # for under the client's own response key
    name = FieldNode(name=NameNode(value="name"))
    wanted = SelectionSetNode(selections=(aliased(name, "title"),))
    projected = planner.project(wanted, department, "membership")  # type: ignore[arg-type]
    assert projected is not None
    query, used = operation_document(
        OperationType.QUERY,
        None,
        [entities_field("e0", "reps0", "Department", projected)],
        [representations_variable("reps0")],
    )
    assert query == (
        "query ($reps0: [_Any!]!) {\n"
        "  e0: _entities(representations: $reps0) {\n"
        "    ... on Department {\n"
        "      __typename\n"
        "      title: name\n"
        "    }\n"
        "  }\n"
        "}"
    )
    assert used == {"reps0"}


def test_only_the_variables_a_subgraph_document_uses_are_declared() -> None:
    operation, _ = _operation(
        "query Find($first: Int!, $zip: String, $unused: ID) "
        "{ supporters(first: $first, zip: $zip) { id } }"
    )
    query, used = operation_document(
        OperationType.QUERY,
        "Find",
        [_root_field(operation)],
        operation.variable_definitions or (),
    )
    assert used == {"first", "zip"}
    assert query.startswith("query Find($first: Int!, $zip: String) {\n")


def test_an_operation_one_subgraph_resolves_alone_goes_to_it_as_written() -> None:
    supergraph = _supergraph()

    def single(text: str) -> str | None:
        operation, fragments = _operation(text)
        return single_subgraph(supergraph, operation, fragments)

    assert single("{ supporters(first: 5) { id displayName } }") == "directory"
    assert single("{ supporters(first: 5) { department { id } } }") == "directory"
    assert single("{ department(id: 1) { name } feeTiers }") == "membership"
    assert single("query Q { ...F } fragment F on Query { feeTiers }") == "membership"
    # a field only membership resolves, under directory's supporters: planned, not passed
    assert single("{ supporters(first: 5) { department { name } } }") is None
    # two root fields of two subgraphs
    assert single("{ feeTiers supporters(first: 1) { id } }") is None
    # introspection stays at the gateway
    assert single("{ __schema { queryType { name } } }") is None
