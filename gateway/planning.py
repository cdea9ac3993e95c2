"""Turning a client's selections into subgraph documents.

``SelectionPlanner`` projects a selection set onto one subgraph: it keeps the fields that
subgraph resolves, inlines fragment spreads (so type conditions stay exact), adds
``__typename`` everywhere and, on an entity that needs fields from another subgraph, the key
fields under reserved aliases (``__key_id``) so the gateway can build representations.
The fields left out are fetched afterwards with ``_entities``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    is_composite_type,
    parse_type,
    print_ast,
    visit,
)

from gateway.supergraph import Supergraph

KEY_PREFIX = "__key_"
TYPENAME = FieldNode(name=NameNode(value="__typename"))


def _name(value: str) -> NameNode:
    return NameNode(value=value)


def key_alias(field_name: str) -> str:
    return f"{KEY_PREFIX}{field_name}"


class SelectionPlanner:
    """Projects selections of one operation onto subgraphs."""

    def __init__(
        self, supergraph: Supergraph, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.supergraph = supergraph
        self.schema: GraphQLSchema = supergraph.schema
        self.fragments = fragments

    def project(
        self, selection_set: SelectionSetNode | None, parent: GraphQLCompositeType, subgraph: str
    ) -> SelectionSetNode | None:
        """The part of ``selection_set`` (on ``parent``) that ``subgraph`` can resolve."""
        if selection_set is None:
            return None
        selections: list[SelectionNode] = [TYPENAME]
        needs_keys = False
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name == "__typename":
                    if selection.alias is not None:
                        selections.append(selection)
                    continue
                if subgraph not in self._owners(parent, name):
                    needs_keys = True
                    continue
                selections.append(self._project_field(selection, parent, subgraph))
            else:
                condition, inner, directives = self._fragment_parts(selection, parent)
                projected = self.project(inner, condition, subgraph)
                # the projection adds the condition type's keys itself when it needs them
                if projected is not None and len(projected.selections) > 1:
                    selections.append(
                        InlineFragmentNode(
                            type_condition=NamedTypeNode(name=_name(condition.name)),
                            directives=directives,
                            selection_set=projected,
                        )
                    )
        if needs_keys:
            selections.extend(self._key_selections(parent, subgraph))
        return SelectionSetNode(selections=tuple(selections))

    def _project_field(
        self, node: FieldNode, parent: GraphQLCompositeType, subgraph: str
    ) -> FieldNode:
        if node.selection_set is None:
            return node
        field_type = get_named_type(parent.fields[node.name.value].type)  # type: ignore[union-attr]
        assert is_composite_type(field_type)
        return dataclasses.replace(
            node,
            selection_set=self.project(node.selection_set, field_type, subgraph),
        )

    def _fragment_parts(
        self, selection: SelectionNode, parent: GraphQLCompositeType
    ) -> tuple[GraphQLCompositeType, SelectionSetNode, Any]:
        if isinstance(selection, FragmentSpreadNode):
            fragment = self.fragments[selection.name.value]
            condition = self.schema.get_type(fragment.type_condition.name.value)
            return condition, fragment.selection_set, selection.directives  # type: ignore[return-value]
        assert isinstance(selection, InlineFragmentNode)
        condition = (
            self.schema.get_type(selection.type_condition.name.value)
            if selection.type_condition
            else parent
        )
        return condition, selection.selection_set, selection.directives  # type: ignore[return-value]

    def _owners(self, parent: GraphQLCompositeType, field_name: str) -> tuple[str, ...]:
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return self.supergraph.owners(parent.name, field_name)
        return ()

    def _key_selections(self, parent: GraphQLCompositeType, subgraph: str) -> list[FieldNode]:
        key = self.supergraph.any_key(parent.name)
        if key is None:
            return []
        return [FieldNode(alias=_name(key_alias(field)), name=_name(field)) for field in key.fields]

    def inline_fragments(self, node: FieldNode) -> FieldNode:
        """``node`` with every fragment spread replaced by an inline fragment."""
        if node.selection_set is None:
            return node
        return dataclasses.replace(node, selection_set=self._inline(node.selection_set))

    def _inline(self, selection_set: SelectionSetNode) -> SelectionSetNode:
        selections: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                selections.append(
                    InlineFragmentNode(
                        type_condition=fragment.type_condition,
                        directives=selection.directives,
                        selection_set=self._inline(fragment.selection_set),
                    )
                )
            elif (
                isinstance(selection, InlineFragmentNode | FieldNode)
                and selection.selection_set is not None
            ):
                selections.append(
                    dataclasses.replace(
                        selection, selection_set=self._inline(selection.selection_set)
                    )
                )
            else:
                selections.append(selection)
        return SelectionSetNode(selections=tuple(selections))


def used_variables(nodes: Iterable[Any]) -> set[str]:
    """Names of the variables referenced anywhere in ``nodes``."""
    found: set[str] = set()

    class Collector(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            found.add(node.name.value)

    for node in nodes:
        visit(node, Collector())
    return found


class SubgraphDocument(NamedTuple):
    """A printed operation for a subgraph, and the client's variables it uses."""

    text: str
    variables: set[str]


def operation_document(
    kind: OperationType,
    name: str | None,
    selections: list[FieldNode],
    variable_definitions: Iterable[VariableDefinitionNode],
) -> SubgraphDocument:
    """A printed subgraph operation holding ``selections``, and the variables they use."""
    used = used_variables(selections)
    definitions = tuple(d for d in variable_definitions if d.variable.name.value in used)
    operation = OperationDefinitionNode(
        operation=kind,
        name=_name(name) if name else None,
        variable_definitions=definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(selections)),
    )
    return SubgraphDocument(print_ast(DocumentNode(definitions=(operation,))), used)


def representations_variable(name: str) -> VariableDefinitionNode:
    """``$name: [_Any!]!``, the argument of ``_entities``."""
    return VariableDefinitionNode(
        variable=VariableNode(name=_name(name)),
        type=parse_type("[_Any!]!"),
        directives=(),
    )


def aliased(node: FieldNode, response_key: str) -> FieldNode:
    """``node`` answering under ``response_key``."""
    alias = None if response_key == node.name.value else _name(response_key)
    return dataclasses.replace(node, alias=alias)


def entities_field(
    alias: str, variable: str, type_name: str, selection_set: SelectionSetNode
) -> FieldNode:
    """``alias: _entities(representations: $variable) { ... on Type { … } }``."""
    return FieldNode(
        alias=_name(alias),
        name=_name("_entities"),
        arguments=(
            ArgumentNode(name=_name("representations"), value=VariableNode(name=_name(variable))),
        ),
        directives=(),
        selection_set=SelectionSetNode(
            selections=(
                InlineFragmentNode(
                    type_condition=NamedTypeNode(name=_name(type_name)),
                    directives=(),
                    selection_set=selection_set,
                ),
            )
        ),
    )


def single_subgraph(
    supergraph: Supergraph,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> str | None:
    """The one subgraph that can resolve every field of ``operation``, if there is one.

    Such an operation needs no planning: the subgraph runs it as written, and its answer
    (same schema types, same aliases, same paths) is the answer. Introspection stays at
    the gateway, whose schema is the composed one.
    """
    schema = supergraph.schema
    root = (
        schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    )
    if root is None:
        return None
    candidates: set[str] | None = None

    def walk(selection_set: SelectionSetNode | None, parent: Any) -> bool:
        nonlocal candidates
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name == "__typename":
                    continue
                if name.startswith("__"):
                    return False
                owners = set(supergraph.owners(parent.name, name))
                candidates = owners if candidates is None else candidates & owners
                if not candidates:
                    return False
                field = parent.fields.get(name) if hasattr(parent, "fields") else None
                if field is None:
                    return False
                named = get_named_type(field.type)
                if is_composite_type(named) and not walk(selection.selection_set, named):
                    return False
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                if not walk(selection.selection_set, condition):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    return False
                condition = schema.get_type(fragment.type_condition.name.value)
                if not walk(fragment.selection_set, condition):
                    return False
        return True

    if not walk(operation.selection_set, root) or not candidates:
        return None
    return sorted(candidates)[0]
