"""Composition of the subgraphs' SDL into the supergraph the gateway serves.

``compose`` merges the Federation v2 subgraph schemas (as exported to
``services/<name>/schema.graphql``) and writes a supergraph document: the public API schema
annotated with ``@join__type`` (which subgraph knows a type, by which key, whether it can
resolve it) and ``@join__field`` (which subgraphs resolve a field). ``load`` reads that
document back into the API schema and the ownership tables the planner needs.

Conflicts fail loudly, naming the subgraphs and types: a type defined differently twice, a
value type in two subgraphs that is not ``@shareable``, a field resolved by two subgraphs, an
entity whose key no subgraph can resolve.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_ast,
)

FEDERATION_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})
FEDERATION_DIRECTIVES = frozenset(
    {
        "key",
        "shareable",
        "link",
        "external",
        "requires",
        "provides",
        "inaccessible",
        "tag",
        "override",
        "extends",
        "interfaceObject",
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "context",
        "fromContext",
        "cost",
        "listSize",
    }
)
ROOT_TYPES = ("Query", "Mutation")


class CompositionError(Exception):
    """The subgraphs do not compose; every problem is listed, naming subgraphs and types."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the subgraphs do not compose:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class EntityKey:
    subgraph: str
    fields: tuple[str, ...]
    resolvable: bool


@dataclass
class Supergraph:
    """The API schema plus who resolves what."""

    schema: GraphQLSchema
    subgraphs: tuple[str, ...]
    # type name -> field name -> subgraphs that resolve it
    field_owners: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # entity type name -> its keys, per subgraph
    entity_keys: dict[str, list[EntityKey]] = field(default_factory=dict)

    def owners(self, type_name: str, field_name: str) -> tuple[str, ...]:
        return self.field_owners.get(type_name, {}).get(field_name, ())

    def resolvable_key(self, type_name: str, subgraph: str) -> EntityKey | None:
        return self._resolvable.get((type_name, subgraph))

    def __post_init__(self) -> None:
        self._resolvable: dict[tuple[str, str], EntityKey] = {}
        for type_name, keys in self.entity_keys.items():
            for key in keys:
                if key.resolvable:
                    self._resolvable.setdefault((type_name, key.subgraph), key)

    def any_key(self, type_name: str) -> EntityKey | None:
        keys = self.entity_keys.get(type_name, [])
        return keys[0] if keys else None


# -- reading subgraph SDL --------------------------------------------------------------------


def _directives(node: object, name: str) -> list[DirectiveNode]:
    return [d for d in getattr(node, "directives", None) or () if d.name.value == name]


def _argument(directive: DirectiveNode, name: str) -> object:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, StringValueNode | BooleanValueNode):
                return value.value
    return None


def _strip(node: TypeDefinitionNode) -> str:
    """The printed definition without federation directives or descriptions, for comparison."""
    printed = print_ast(_without_federation(node, keep_descriptions=False))
    return printed


def _clean(directives: Any) -> tuple[DirectiveNode, ...]:
    return tuple(
        d
        for d in directives or ()
        if d.name.value not in FEDERATION_DIRECTIVES and not d.name.value.startswith("join__")
    )


def _without_federation(node: Any, *, keep_descriptions: bool = True) -> Any:
    """The definition without federation or join directives (and, if asked, descriptions)."""
    changes: dict[str, Any] = {"directives": _clean(node.directives)}
    if not keep_descriptions:
        changes["description"] = None
    if getattr(node, "fields", None) is not None:
        changes["fields"] = tuple(
            _without_federation(member, keep_descriptions=keep_descriptions)
            for member in node.fields
        )
    if isinstance(node, FieldDefinitionNode) and node.arguments:
        changes["arguments"] = tuple(
            _without_federation(argument, keep_descriptions=keep_descriptions)
            for argument in node.arguments
        )
    if isinstance(node, EnumTypeDefinitionNode) and node.values is not None:
        changes["values"] = tuple(
            _without_federation(value, keep_descriptions=keep_descriptions) for value in node.values
        )
    return dataclasses.replace(node, **changes)


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
                        fields=tuple(str(_argument(d, "fields") or "").split()),
                        resolvable=_argument(d, "resolvable") is not False,
                    )
                    for d in _directives(node, "key")
                ]
                objects.setdefault(name, []).append(
                    _ObjectDefinition(subgraph, node, keys, bool(_directives(node, "shareable")))
                )
            else:
                others.setdefault(name, []).append((subgraph, node))

    merged: list[TypeDefinitionNode] = []
    annotations: dict[str, list[str]] = {}
    field_annotations: dict[tuple[str, str], list[str]] = {}

    for name, definitions in sorted(others.items()):
        first_subgraph, first = definitions[0]
        for subgraph, node in definitions[1:]:
            if type(node) is not type(first) or _strip(node) != _strip(first):
                problems.append(
                    f"type {name} is defined differently in {first_subgraph} and {subgraph}"
                )
        merged.append(_without_federation(first))
        annotations[name] = [f"@join__type(graph: {_graph(s)})" for s, _ in definitions]

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
    field_annotations: dict[tuple[str, str], list[str]],
) -> tuple[ObjectTypeDefinitionNode | None, list[str]]:
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
            shareable = definition.shareable or bool(_directives(field_node, "shareable"))
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
        _without_federation(definitions[0].node),
        fields=tuple(_without_federation(fields[field_name]) for field_name in fields),
    )
    for field_name, owners in field_owners.items():
        field_annotations[(name, field_name)] = [
            f"@join__field(graph: {_graph(o)})" for o in owners
        ]
    type_annotations: list[str] = []
    for definition in definitions:
        if definition.keys:
            for key in definition.keys:
                resolvable = "" if key.resolvable else ", resolvable: false"
                key_fields = " ".join(key.fields)
                graph = _graph(definition.subgraph)
                type_annotations.append(
                    f'@join__type(graph: {graph}, key: "{key_fields}"{resolvable})'
                )
        else:
            type_annotations.append(f"@join__type(graph: {_graph(definition.subgraph)})")
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
    annotations: dict[str, list[str]],
    field_annotations: dict[tuple[str, str], list[str]],
) -> str:
    graphs = "\n".join(f'  {_graph(s)} @join__graph(name: "{s}")' for s in subgraphs)
    parts = [
        "# The WeNeverWalkAlone supergraph, composed by `wnwa compose` from\n"
        "# services/<name>/schema.graphql. Do not edit: run `wnwa compose`.",
        _PRELUDE,
        f"enum join__Graph {{\n{graphs}\n}}",
    ]
    for node in sorted(types, key=lambda n: n.name.value):
        printed = print_ast(node)
        name = node.name.value
        directives = " ".join(annotations.get(name, []))
        printed = _annotate(printed, node, directives, field_annotations)
        parts.append(printed)
    return "\n\n".join(parts).rstrip() + "\n"


def _annotate(
    printed: str,
    node: TypeDefinitionNode,
    directives: str,
    field_annotations: dict[tuple[str, str], list[str]],
) -> str:
    """Insert join directives into a printed type definition."""
    name = node.name.value
    lines = printed.split("\n")
    keyword = {
        ObjectTypeDefinitionNode: "type",
        InterfaceTypeDefinitionNode: "interface",
        UnionTypeDefinitionNode: "union",
        EnumTypeDefinitionNode: "enum",
        InputObjectTypeDefinitionNode: "input",
        ScalarTypeDefinitionNode: "scalar",
    }[type(node)]
    header = f"{keyword} {name}"
    for index, line in enumerate(lines):
        if line.startswith(header + " ") or line == header:
            lines[index] = line.replace(header, f"{header} {directives}".rstrip(), 1)
            break
    if isinstance(node, ObjectTypeDefinitionNode):
        for index, line in enumerate(lines):
            stripped = line.strip()
            if (
                not line.startswith("  ")
                or line.startswith("   ")
                or stripped.startswith(('"', "#"))
            ):
                continue
            field_name = stripped.split("(")[0].split(":")[0].strip()
            join = field_annotations.get((name, field_name))
            if join and not stripped.endswith(("(", ",")):
                lines[index] = f"{line} {' '.join(join)}"
            elif join and stripped.endswith("("):
                _annotate_multiline_field(lines, index, join)
    return "\n".join(lines)


def _annotate_multiline_field(lines: list[str], start: int, join: list[str]) -> None:
    for index in range(start + 1, len(lines)):
        if lines[index].startswith("  )"):
            lines[index] = f"{lines[index]} {' '.join(join)}"
            return


# -- loading the supergraph ------------------------------------------------------------------


def load(supergraph_sdl: str) -> Supergraph:
    """The API schema and ownership tables of a supergraph written by :func:`compose`."""
    document = parse(supergraph_sdl)
    graph_names: dict[str, str] = {}
    field_owners: dict[str, dict[str, tuple[str, ...]]] = {}
    entity_keys: dict[str, list[EntityKey]] = {}
    api_definitions = []
    for definition in document.definitions:
        if (
            isinstance(definition, EnumTypeDefinitionNode)
            and definition.name.value == "join__Graph"
        ):
            for value in definition.values or ():
                for directive in _directives(value, "join__graph"):
                    graph_names[value.name.value] = str(_argument(directive, "name"))
            continue
        if not isinstance(definition, TypeDefinitionNode):
            continue
        api_definitions.append(definition)
    for definition in api_definitions:
        name = definition.name.value
        for directive in _directives(definition, "join__type"):
            key = _argument(directive, "key")
            if key is None:
                continue
            graph = _enum_argument(directive, "graph")
            entity_keys.setdefault(name, []).append(
                EntityKey(
                    subgraph=graph_names[graph],
                    fields=tuple(str(key).split()),
                    resolvable=_argument(directive, "resolvable") is not False,
                )
            )
        if isinstance(definition, ObjectTypeDefinitionNode):
            owners: dict[str, tuple[str, ...]] = {}
            for field_node in definition.fields or ():
                owners[field_node.name.value] = tuple(
                    graph_names[_enum_argument(d, "graph")]
                    for d in _directives(field_node, "join__field")
                )
            field_owners[name] = owners
    api = DocumentNode(definitions=tuple(_without_federation(d) for d in api_definitions))
    schema = build_ast_schema(api)
    return Supergraph(
        schema=schema,
        subgraphs=tuple(sorted(graph_names.values())),
        field_owners=field_owners,
        entity_keys=entity_keys,
    )


def _enum_argument(directive: DirectiveNode, name: str) -> str:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return str(getattr(argument.value, "value", ""))
    raise CompositionError([f"@{directive.name.value} lacks its {name} argument"])
