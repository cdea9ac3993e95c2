"""GraphiQL's example operations stay true to the schema: each one validates against the API
schema the gateway builds from the supergraph, and the variables it opens with are valid for
each. No servers: this runs in the fast tier."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse, specified_rules, validate
from graphql.execution.values import get_variable_values

from gateway import playground
from gateway.settings import SUPERGRAPH_FILE
from gateway.supergraph import load
from servicekit.telemetry_policy import OPERATION_NAMES

SCHEMA = load(SUPERGRAPH_FILE.read_text(encoding="utf-8")).schema


def test_every_example_validates_against_the_supergraph() -> None:
    names: list[str] = []
    for example in playground.EXAMPLES:
        document = parse(example.query)
        assert validate(SCHEMA, document, specified_rules) == [], example.query
        [operation] = document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        assert operation.name is not None, "GraphiQL lists the examples by name"
        names.append(operation.name.value)
        # the variables it opens with coerce: none missing, none of the wrong type
        coerced = get_variable_values(
            SCHEMA, operation.variable_definitions or (), example.variables
        )
        assert not isinstance(coerced, list), (operation.name.value, coerced)
    assert len(names) == len(set(names))
    # their names reach the telemetry as written (any other becomes "(unlisted)")
    assert set(names) <= OPERATION_NAMES


def test_the_opening_document_and_variables_serve_every_example() -> None:
    document = parse(playground.operations())
    assert validate(SCHEMA, document, specified_rules) == []
    merged = playground.variables()
    for example in playground.EXAMPLES:
        for name, value in example.variables.items():
            assert f'"{name}"' in merged
            assert value is not None
    shared: dict[str, object] = {}
    for example in playground.EXAMPLES:
        for name, value in example.variables.items():
            assert shared.setdefault(name, value) == value, f"${name} differs between examples"


def test_each_kind_of_caller_has_an_example() -> None:
    text = playground.operations()
    for root_field in (
        "searchPeerSupporters",  # an officer finds a supporter
        "professionals",  # by insurance and ZIP code
        "departmentPeerSupporters",  # a coordinator's department
        "applications",  # the vetting queue
        "applicationRequirements",  # anyone, before signing in
    ):
        assert f"  {root_field}" in text, root_field
