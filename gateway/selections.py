"""Reading the client's selections: merged field nodes, directives, ``@skip``/``@include``.

Pure functions of graphql-core's AST, shared by root fetches, entity fetches and shaping.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphql import (
    FieldNode,
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution import get_directive_values


def merge_nodes(nodes: list[FieldNode]) -> FieldNode:
    """One field node holding the selections of all nodes answering one response key."""
    if len(nodes) == 1 or nodes[0].selection_set is None:
        return nodes[0]
    selections = tuple(
        s for node in nodes for s in (node.selection_set.selections if node.selection_set else ())
    )
    return with_selection(nodes[0], SelectionSetNode(selections=selections))


def with_selection(node: FieldNode, selection_set: SelectionSetNode | None) -> FieldNode:
    """``node`` with ``selection_set`` in place of its own."""
    return dataclasses.replace(node, selection_set=selection_set)


def has_directives(nodes: list[FieldNode]) -> bool:
    """Whether any selection directly under ``nodes`` (fragments included) has directives."""

    def check(selection_set: SelectionSetNode | None) -> bool:
        for selection in selection_set.selections if selection_set else ():
            if selection.directives:
                return True
            if isinstance(selection, InlineFragmentNode) and check(selection.selection_set):
                return True
        return False

    return any(check(node.selection_set) for node in nodes)


def included(selection: Any, variables: Any) -> bool:
    """Whether ``@skip``/``@include`` keep ``selection`` under these variable values."""
    skip = get_directive_values(GraphQLSkipDirective, selection, variables)
    if skip and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, selection, variables)
    return not (include and include.get("if") is False)
