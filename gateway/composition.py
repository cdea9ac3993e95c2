"""Build-time composition of the subgraphs' SDL into the supergraph the gateway serves.

``compose`` merges the Federation v2 subgraph schemas (as exported to
``services/<name>/schema.graphql``) and writes a supergraph document: the public API schema
annotated with ``@join__type`` (which subgraph knows a type, by which key, whether it can
resolve it) and ``@join__field`` (which subgraphs resolve a field). The annotations are put
on the parsed definitions and printed with them. :mod:`gateway.supergraph` reads that
document back at run time.

Conflicts fail loudly, naming the subgraphs and types: a type defined differently twice, a
value type in two subgraphs that is not ``@shareable``, a field resolved by two subgraphs, an
entity whose key no subgraph can resolve.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    parse,
    print_ast,
)

from gateway.supergraph import EntityKey, argument, directives_named, without_federation

FEDERATION_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})
ROOT_TYPES = ("Query", "Mutation")


class CompositionError(Exception):
    """The subgraphs do not compose; every problem is listed, naming subgraphs and types."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the subgraphs do not compose:\n  - " + "\n  - ".join(problems))
        self.problems = problems


# -- reading subgraph SDL --------------------------------------------------------------------


def _strip(node: TypeDefinitionNode) -> str:
    """The printed definition without federation directives or descriptions, for comparison."""
    return print_ast(without_federation(node, keep_descriptions=False))


@dataclass
class _ObjectDefinition:
    subgraph: str
    node: ObjectTypeDefinitionNode
    keys: list[EntityKey]
    shareable: bool


def _type_definitions(subgraph: str, document: DocumentNode) -> dict[str, TypeDefinitionNode]:
    types: dict[str, TypeDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            continue
        if isinstance(definition, ObjectTypeExtensionNode):
            raise CompositionError(
                [
                    f"{subgraph}: `extend type {definition.name.value}` is not supported; "
                    "define the type instead"
                ]
            )
        if isinstance(definition, TypeDefinitionNode):
            name = definition.name.value
            if name in FEDERATION_TYPES or name.startswith(("link__", "federation__")):
                continue
            types[name] = definition
    return types


# -- composing -------------------------------------------------------------------------------


def compose(subgraph_sdl: Mapping[str, str]) -> str:
    """The supergraph document for the given subgraphs (name -> SDL); raises CompositionError."""
    problems: list[str] = []
    objects: dict[str, list[_ObjectDefinition]] = {}
    others: dict[str, list[tuple[str, TypeDefinitionNode]]] = {}
    for subgraph, sdl in sorted(subgraph_sdl.items()):
        for name, node in _type_definitions(subgraph, parse(sdl)).items():
            if isinstance(node, ObjectTypeDefinitionNode):
                keys = [
                    EntityKey(
                        subgraph=subgraph,
                        fields=tuple(str(argument(d, "fields") or "").split()),
                        resolvable=argument(d, "resolvable") is not False,
                    )
                    for d in directives_named(node, "key")
                ]
                objects.setdefault(name, []).append(
                    _ObjectDefinition(
                        subgraph, node, keys, bool(directives_named(node, "shareable"))
                    )
                )
            else:
                others.setdefault(name, []).append((subgraph, node))

    merged: list[TypeDefinitionNode] = []
    annotations: dict[str, list[DirectiveNode]] = {}
    field_annotations: dict[tuple[str, str], list[DirectiveNode]] = {}

    for name, definitions in sorted(others.items()):
        first_subgraph, first = definitions[0]
        for subgraph, node in definitions[1:]:
            if type(node) is not type(first) or _strip(node) != _strip(first):
                problems.append(
                    f"type {name} is defined differently in {first_subgraph} and {subgraph}"
                )
        merged.append(without_federation(first))
        annotations[name] = [_join_type(s) for s, _ in definitions]

    for name, object_definitions in sorted(objects.items()):
        merged_node, type_annotations = _merge_object(
            name, object_definitions, problems, field_annotations
        )
        if merged_node is not None:
            merged.append(merged_node)
        annotations[name] = type_annotations

    if problems:
        raise CompositionError(problems)
    return _print_supergraph(sorted(subgraph_sdl), merged, annotations, field_annotations)


def _merge_object(
    name: str,
    definitions: list[_ObjectDefinition],
    problems: list[str],
    field_annotations: dict[tuple[str, str], list[DirectiveNode]],
) -> tuple[ObjectTypeDefinitionNode | None, list[DirectiveNode]]:
    subgraphs = [d.subgraph for d in definitions]
    is_root = name in ROOT_TYPES
    is_entity = any(d.keys for d in definitions)
    if len(definitions) > 1 and not is_root:
        if is_entity and not all(d.keys for d in definitions):
            missing = [d.subgraph for d in definitions if not d.keys]
            problems.append(f"entity {name} has no @key in {', '.join(missing)}")
        if not is_entity and not all(d.shareable for d in definitions):
            problems.append(
                f"type {name} is defined in {' and '.join(subgraphs)} but is neither an entity "
                "(@key) nor @shareable in all of them"
            )
    if is_entity and not any(key.resolvable for d in definitions for key in d.keys):
        problems.append(
            f"no subgraph can resolve entity {name} by its key "
            f"(every @key in {', '.join(subgraphs)} is resolvable: false)"
        )

    fields: dict[str, FieldDefinitionNode] = {}
    field_owners: dict[str, list[str]] = {}
    field_shapes: dict[str, tuple[str, str]] = {}
    for definition in definitions:
        own_keys = {f for key in definition.keys for f in key.fields}
        for field_node in definition.node.fields or ():
            field_name = field_node.name.value
            if is_root and field_name in FEDERATION_ROOT_FIELDS:
                continue
            shape = _field_shape(field_node)
            shareable = definition.shareable or bool(directives_named(field_node, "shareable"))
            if field_name in fields:
                owner_subgraph, owner_shape = field_shapes[field_name]
                if shape != owner_shape:
                    problems.append(
                        f"field {name}.{field_name} has different types or arguments in "
                        f"{owner_subgraph} and {definition.subgraph}"
                    )
                elif not (field_name in own_keys or shareable):
                    problems.append(
                        f"field {name}.{field_name} is resolved by both {owner_subgraph} and "
                        f"{definition.subgraph}; keep it in one subgraph or mark it @shareable"
                    )
            else:
                fields[field_name] = field_node
                field_shapes[field_name] = (definition.subgraph, shape)
            field_owners.setdefault(field_name, []).append(definition.subgraph)

    if not fields:
        return None, []
    base = dataclasses.replace(
        without_federation(definitions[0].node),
        fields=tuple(without_federation(fields[field_name]) for field_name in fields),
    )
    for field_name, owners in field_owners.items():
        field_annotations[(name, field_name)] = [_join_field(o) for o in owners]
    type_annotations: list[DirectiveNode] = []
    for definition in definitions:
        if definition.keys:
            type_annotations.extend(_join_type(definition.subgraph, key) for key in definition.keys)
        else:
            type_annotations.append(_join_type(definition.subgraph))
    return base, type_annotations


def _field_shape(node: FieldDefinitionNode) -> str:
    arguments = ", ".join(f"{a.name.value}: {print_ast(a.type)}" for a in (node.arguments or ()))
    return f"({arguments}): {print_ast(node.type)}"


def _graph(subgraph: str) -> str:
    return subgraph.upper()


_PRELUDE = "\n".join(
    (
        "directive @join__graph(name: String!) on ENUM_VALUE",
        "directive @join__type(graph: join__Graph!, key: String, resolvable: Boolean = true)"
        " repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "directive @join__field(graph: join__Graph!) repeatable on FIELD_DEFINITION",
    )
)


def _print_supergraph(
    subgraphs: list[str],
    types: list[TypeDefinitionNode],
    annotations: dict[str, list[DirectiveNode]],
    field_annotations: dict[tuple[str, str], list[DirectiveNode]],
) -> str:
    graphs = EnumTypeDefinitionNode(
        name=_name("join__Graph"),
        directives=(),
        values=tuple(
            EnumValueDefinitionNode(
                name=_name(_graph(s)),
                directives=(_directive("join__graph", name=StringValueNode(value=s)),),
            )
            for s in subgraphs
        ),
    )
    parts = [
        "# The WeNeverWalkAlone supergraph, composed by `wnwa compose` from\n"
        "# services/<name>/schema.graphql. Do not edit: run `wnwa compose`.",
        _PRELUDE,
        print_ast(graphs),
    ]
    for node in sorted(types, key=lambda n: n.name.value):
        parts.append(print_ast(_annotated(node, annotations, field_annotations)))
    return "\n\n".join(parts).rstrip() + "\n"


def _annotated(
    node: TypeDefinitionNode,
    annotations: dict[str, list[DirectiveNode]],
    field_annotations: dict[tuple[str, str], list[DirectiveNode]],
) -> TypeDefinitionNode:
    """The definition with its join directives: the type's, and each object field's."""
    name = node.name.value
    changes: dict[str, Any] = {"directives": (*annotations.get(name, ()), *(node.directives or ()))}
    if isinstance(node, ObjectTypeDefinitionNode):
        changes["fields"] = tuple(
            dataclasses.replace(
                field_node,
                directives=(
                    *(field_node.directives or ()),
                    *field_annotations.get((name, field_node.name.value), ()),
                ),
            )
            for field_node in node.fields or ()
        )
    return dataclasses.replace(node, **changes)


def _name(value: str) -> NameNode:
    return NameNode(value=value)


def _directive(directive: str, /, **arguments: ConstValueNode) -> ConstDirectiveNode:
    return ConstDirectiveNode(
        name=_name(directive),
        arguments=tuple(
            ConstArgumentNode(name=_name(argument), value=value)
            for argument, value in arguments.items()
        ),
    )


def _join_type(subgraph: str, key: EntityKey | None = None) -> DirectiveNode:
    graph = EnumValueNode(value=_graph(subgraph))
    if key is None:
        return _directive("join__type", graph=graph)
    if key.resolvable:
        return _directive(
            "join__type", graph=graph, key=StringValueNode(value=" ".join(key.fields))
        )
    return _directive(
        "join__type",
        graph=graph,
        key=StringValueNode(value=" ".join(key.fields)),
        resolvable=BooleanValueNode(value=False),
    )


def _join_field(subgraph: str) -> ConstDirectiveNode:
    return _directive("join__field", graph=EnumValueNode(value=_graph(subgraph)))
