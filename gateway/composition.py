"""Build-time composition of the subgraphs' SDL into the supergraph the gateway serves.

``compose`` merges the Federation v2 subgraph schemas (as exported to
``services/<name>/schema.graphql``) and writes a supergraph document: the schema annotated with
``@join__type`` (which subgraph knows a type, by which key, whether it can resolve it),
``@join__field`` (which subgraphs resolve a field) and ``@inaccessible`` (what stays out of the
API schema). The annotations are put on the parsed definitions and printed with them.
:mod:`gateway.supergraph` reads that document back at run time.

It is the gate for every field: what it accepts, the gateway must be able to plan. Each problem
carries the code ``@apollo/composition`` gives the same mistake; what Apollo composes but this
gateway cannot plan (nested keys, ``@interfaceObject``, ``@requires``...) is refused as
``UNSUPPORTED_FEATURE``. Every problem is listed, naming the subgraphs and types.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    REMOVE,
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    ValueNode,
    Visitor,
    parse,
    print_ast,
    validate_schema,
    visit,
)

from gateway.composition_rules import (
    Problem,
    Subgraph,
    check_hidden_answers,
    check_inaccessible,
    elements,
    read_keys,
)
from gateway.supergraph import (
    FEDERATION_DIRECTIVES,
    EntityKey,
    SupergraphError,
    argument,
    directives_named,
    load,
    without_federation,
)

FEDERATION_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})
ROOT_TYPES = ("Query", "Mutation")
BUILT_IN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf", "skip", "include"})
# federation directives whose meaning the gateway does not implement: serving a schema that uses
# them would fetch fields without what they require, or leave an access rule unenforced
UNPLANNED_DIRECTIVES = frozenset(
    {"requires", "provides", "override", "context", "fromContext"}
    | {"authenticated", "requiresScopes", "policy"}
)
INACCESSIBLE_DEFINITION = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)


class CompositionError(Exception):
    """The subgraphs do not compose; every problem is listed, naming subgraphs and types."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("the subgraphs do not compose:\n  - " + "\n  - ".join(map(str, problems)))
        self.problems = problems

    @property
    def codes(self) -> set[str]:
        return {problem.code for problem in self.problems}


# -- reading subgraph SDL --------------------------------------------------------------------


def _strip(node: TypeDefinitionNode) -> str:
    """The printed definition without federation directives or descriptions, for comparison."""
    return print_ast(without_federation(node, keep_descriptions=False))


class _FederationNames(Visitor):
    """Renames each federation directive to its own name, as the ``@link`` imported it
    (``@hidden`` imported ``as`` it, ``@federation__inaccessible``), notes unknown ones and
    drops the subgraph's own directives, which, as in Apollo's composition, stay out of the
    supergraph."""

    def __init__(self, names: dict[str, str], own: set[str]) -> None:
        super().__init__()
        self.names = names
        self.own = own
        self.unknown: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: object) -> object:
        name = node.name.value
        canonical = self.names.get(name)
        if canonical is not None:
            if canonical == name:
                return None
            return dataclasses.replace(node, name=NameNode(value=canonical))
        if name in self.own:
            return REMOVE
        if name not in BUILT_IN_DIRECTIVES:
            self.unknown.add(name)
        return None


def _federation_link(document: DocumentNode) -> dict[str, str] | None:
    """Local directive name -> federation directive, from the schema's ``@link`` to the
    federation specification; None for a subgraph that does not link it (names as written)."""
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for link in directives_named(definition, "link"):
            url = argument(link, "url")
            if not isinstance(url, str) or "specs.apollo.dev/federation/v" not in url:
                continue
            namespace = str(argument(link, "as") or "federation")
            names = {f"{namespace}__{d}": d for d in FEDERATION_DIRECTIVES}
            names["link"] = "link"
            for given in link.arguments or ():
                if given.name.value == "import" and isinstance(given.value, ListValueNode):
                    for item in given.value.values:
                        original, local = _imported(item)
                        if original.startswith("@") and local.startswith("@"):
                            names[local[1:]] = original[1:]
            return names
    return None


def _imported(item: ValueNode) -> tuple[str, str]:
    if isinstance(item, StringValueNode):
        return item.value, item.value
    if isinstance(item, ObjectValueNode):
        values = {f.name.value: f.value for f in item.fields}
        name, alias = values.get("name"), values.get("as", values.get("name"))
        if isinstance(name, StringValueNode) and isinstance(alias, StringValueNode):
            return name.value, alias.value
    return "", ""


def _read(subgraph: str, sdl: str, problems: list[Problem]) -> Subgraph | None:
    """The subgraph's type definitions, federation directives under their own names."""
    try:
        document = parse(sdl)
    except GraphQLError as error:
        at = "".join(f" at line {p.line}, column {p.column}" for p in error.locations or ())
        problems.append(Problem("INVALID_GRAPHQL", f"{subgraph}: {error.message}{at}"))
        return None
    names = _federation_link(document)
    if names is not None:
        defined = {
            d.name.value for d in document.definitions if isinstance(d, DirectiveDefinitionNode)
        }
        renaming = _FederationNames(names, defined - set(names))
        document = visit(document, renaming)
        for unknown in sorted(renaming.unknown):
            problems.append(
                Problem(
                    "INVALID_GRAPHQL",
                    f'{subgraph}: unknown directive "@{unknown}"; import it in the @link to '
                    f'the federation specification, or write "@federation__{unknown}"',
                )
            )
    types: dict[str, TypeDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeExtensionNode):
            problems.append(
                Problem(
                    "UNSUPPORTED_FEATURE",
                    f"{subgraph}: `extend type {definition.name.value}` is not supported; "
                    "define the type instead",
                )
            )
        elif isinstance(definition, TypeDefinitionNode):
            name = definition.name.value
            if name in FEDERATION_TYPES or name.startswith(("link__", "federation__")):
                continue
            types[name] = definition
    return Subgraph(subgraph, types)


# -- federation directives the gateway does not plan -----------------------------------------


def _check_directives(subgraphs: list[Subgraph], problems: list[Problem]) -> set[str]:
    """Refuses directives the gateway cannot honour; returns the ``@interfaceObject`` types."""
    interfaces = {
        name
        for s in subgraphs
        for name, node in s.types.items()
        if isinstance(node, InterfaceTypeDefinitionNode)
    }
    interface_objects: dict[str, list[str]] = {}
    misused: set[str] = set()
    for subgraph in subgraphs:
        for coordinate, node in elements(subgraph.types):
            for directive in node.directives or ():
                name = directive.name.value
                if name in UNPLANNED_DIRECTIVES:
                    problems.append(
                        Problem(
                            "UNSUPPORTED_FEATURE",
                            f"{subgraph.name}: @{name} on {coordinate} is not supported by this "
                            "gateway, which would serve the schema without honouring it",
                        )
                    )
                elif name == "external":
                    problems.append(
                        Problem(
                            "UNSUPPORTED_FEATURE",
                            f"{subgraph.name}: @external on {coordinate} is not supported by "
                            "this gateway (it serves no @requires or @provides); leave the field "
                            "to the subgraph that resolves it",
                        )
                    )
                elif name == "interfaceObject":
                    interface_objects.setdefault(coordinate, []).append(subgraph.name)
                    if not directives_named(node, "key"):
                        misused.add(coordinate)
                        problems.append(
                            Problem(
                                "INTERFACE_OBJECT_USAGE_ERROR",
                                f"{subgraph.name}: The @interfaceObject directive can only be "
                                f'applied to entity types but type "{coordinate}" has no @key '
                                "in this subgraph.",
                            )
                        )
    for name, where in sorted(interface_objects.items()):
        if name not in interfaces:
            problems.append(
                Problem(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in '
                    f"which it is defined ({', '.join(where)}) but should be defined as an "
                    "interface in at least one subgraph",
                )
            )
        elif name not in misused:
            problems.append(
                Problem(
                    "UNSUPPORTED_FEATURE",
                    f"{', '.join(where)}: type {name} is an @interfaceObject, which this gateway "
                    "does not plan (it fetches entities by their concrete type); define the "
                    "implementing types in this subgraph instead",
                )
            )
    return set(interface_objects)


# -- composing -------------------------------------------------------------------------------


@dataclass
class _ObjectDefinition:
    subgraph: str
    node: ObjectTypeDefinitionNode
    keys: list[EntityKey]
    shareable: bool


def compose(subgraph_sdl: Mapping[str, str]) -> str:
    """The supergraph document for the given subgraphs (name -> SDL); raises CompositionError."""
    problems: list[Problem] = []
    subgraphs = [
        read
        for name, sdl in sorted(subgraph_sdl.items())
        if (read := _read(name, sdl, problems)) is not None
    ]
    for subgraph in subgraphs:
        read_keys(subgraph, problems)
    interface_objects = _check_directives(subgraphs, problems)

    objects: dict[str, list[_ObjectDefinition]] = {}
    others: dict[str, list[tuple[str, TypeDefinitionNode]]] = {}
    hidden: set[str] = set()
    for subgraph in subgraphs:
        hidden.update(
            c for c, node in elements(subgraph.types) if directives_named(node, "inaccessible")
        )
        for name, node in subgraph.types.items():
            if name in interface_objects:
                continue
            if isinstance(node, ObjectTypeDefinitionNode):
                objects.setdefault(name, []).append(
                    _ObjectDefinition(
                        subgraph.name,
                        node,
                        subgraph.keys.get(name, []),
                        bool(directives_named(node, "shareable")),
                    )
                )
            else:
                others.setdefault(name, []).append((subgraph.name, node))

    merged: list[TypeDefinitionNode] = []
    annotations: dict[str, list[DirectiveNode]] = {}
    field_annotations: dict[tuple[str, str], list[DirectiveNode]] = {}

    for name, definitions in sorted(others.items()):
        first_subgraph, first = definitions[0]
        if name in objects:
            _kind_mismatch(
                name, [(d.subgraph, d.node) for d in objects[name]] + definitions, problems
            )
            continue
        if any(type(node) is not type(first) for _, node in definitions):
            _kind_mismatch(name, definitions, problems)
            continue
        first_text = _strip(first)
        for subgraph_name, node in definitions[1:]:
            if _strip(node) != first_text:
                problems.append(
                    Problem(
                        "UNSUPPORTED_FEATURE",
                        f"type {name} is defined differently in {first_subgraph} and "
                        f"{subgraph_name}; this composer merges identical definitions only",
                    )
                )
        merged.append(without_federation(first))
        annotations[name] = [_join_type(s) for s, _ in definitions]

    refused_keys = {name for s in subgraphs for name in s.refused_keys}
    for name, object_definitions in sorted(objects.items()):
        if name in others:
            continue
        merged_node, type_annotations = _merge_object(
            name, object_definitions, [] if name in refused_keys else problems, field_annotations
        )
        if merged_node is not None:
            merged.append(merged_node)
        annotations[name] = type_annotations

    by_name = {node.name.value: node for node in merged}
    check_inaccessible(by_name, hidden, problems)
    check_hidden_answers(by_name, hidden, problems)
    if problems:
        raise CompositionError(problems)
    supergraph = _print_supergraph(
        [s.name for s in subgraphs], merged, annotations, field_annotations, hidden
    )
    _check_loads(supergraph)
    return supergraph


_KIND_LABELS = {
    ObjectTypeDefinitionNode: "Object Type",
    InterfaceTypeDefinitionNode: "Interface Type",
    UnionTypeDefinitionNode: "Union Type",
    EnumTypeDefinitionNode: "Enum Type",
    InputObjectTypeDefinitionNode: "InputObject Type",
    ScalarTypeDefinitionNode: "Scalar Type",
}


def _kind_mismatch(
    name: str, definitions: list[tuple[str, TypeDefinitionNode]], problems: list[Problem]
) -> None:
    kinds: dict[str, list[str]] = {}
    for subgraph, node in definitions:
        kinds.setdefault(_KIND_LABELS.get(type(node), type(node).__name__), []).append(subgraph)
    problems.append(
        Problem(
            "TYPE_KIND_MISMATCH",
            f'Type "{name}" has mismatched kind: it is defined as '
            + " but ".join(f"{kind} in {', '.join(where)}" for kind, where in kinds.items()),
        )
    )


def _merge_object(
    name: str,
    definitions: list[_ObjectDefinition],
    problems: list[Problem],
    field_annotations: dict[tuple[str, str], list[DirectiveNode]],
) -> tuple[ObjectTypeDefinitionNode | None, list[DirectiveNode]]:
    is_root = name in ROOT_TYPES
    is_entity = any(d.keys for d in definitions)
    if is_entity and not any(key.resolvable for d in definitions for key in d.keys):
        problems.append(
            Problem(
                "UNSUPPORTED_FEATURE",
                f"no subgraph can resolve entity {name} by its key (every @key in "
                f"{', '.join(d.subgraph for d in definitions)} is resolvable: false)",
            )
        )

    fields: dict[str, FieldDefinitionNode] = {}
    # field name -> (subgraph, may be resolved elsewhere too) for each subgraph defining it
    owners: dict[str, list[tuple[str, bool]]] = {}
    for definition in definitions:
        own_keys = {f for key in definition.keys for f in key.fields}
        for field_node in definition.node.fields or ():
            field_name = field_node.name.value
            if is_root and field_name in FEDERATION_ROOT_FIELDS:
                continue
            if directives_named(field_node, "external"):
                continue  # refused already; counting it as resolved here would mislead
            shared = (
                definition.shareable
                or bool(directives_named(field_node, "shareable"))
                or field_name in own_keys
            )
            first = fields.setdefault(field_name, field_node)
            if first is not field_node:
                _compare_fields(
                    name, first, field_node, owners[field_name][0][0], definition.subgraph, problems
                )
            owners.setdefault(field_name, []).append((definition.subgraph, shared))

    for field_name, field_owners in owners.items():
        if len(field_owners) > 1 and not all(shared for _, shared in field_owners):
            alone = [s for s, shared in field_owners if not shared]
            problems.append(
                Problem(
                    "INVALID_FIELD_SHARING",
                    f"field {name}.{field_name} is resolved by "
                    f"{' and '.join(s for s, _ in field_owners)} but is not @shareable in "
                    f"{', '.join(alone)}; keep it in one subgraph or mark it @shareable",
                )
            )

    if not is_root:
        _check_reachable(name, definitions, owners, problems)
    if not fields:
        return None, []
    base = dataclasses.replace(
        without_federation(definitions[0].node),
        fields=tuple(without_federation(fields[field_name]) for field_name in fields),
    )
    for field_name, field_owners in owners.items():
        field_annotations[(name, field_name)] = [_join_field(s) for s, _ in field_owners]
    type_annotations: list[DirectiveNode] = []
    for definition in definitions:
        if definition.keys:
            type_annotations.extend(_join_type(definition.subgraph, key) for key in definition.keys)
        else:
            type_annotations.append(_join_type(definition.subgraph))
    return base, type_annotations


def _check_reachable(
    name: str,
    definitions: list[_ObjectDefinition],
    owners: dict[str, list[tuple[str, bool]]],
    problems: list[Problem],
) -> None:
    """Each field of an object a subgraph returns is in its answer or fetched by key from a
    subgraph that can resolve the object: what Apollo's satisfiability check asks."""
    resolvers = {d.subgraph for d in definitions if any(k.resolvable for k in d.keys)}
    for definition in definitions:
        present = {f.name.value for f in definition.node.fields or ()}
        missing = [f for f in owners if f not in present]
        if not missing:
            continue
        if not definition.keys:
            reason = f"{name} has no @key in {definition.subgraph}"
        else:
            missing = [f for f in missing if not resolvers & {s for s, _ in owners[f]}]
            reason = f"no subgraph resolving them can resolve {name} by its key"
        if missing:
            problems.append(
                Problem(
                    "SATISFIABILITY_ERROR",
                    f"a {name} from {definition.subgraph} cannot have "
                    f"{', '.join(missing)}: {reason}",
                )
            )


def _compare_fields(
    type_name: str,
    first: FieldDefinitionNode,
    other: FieldDefinitionNode,
    first_subgraph: str,
    subgraph: str,
    problems: list[Problem],
) -> None:
    where = f"{type_name}.{first.name.value}"
    if print_ast(first.type) != print_ast(other.type):
        problems.append(
            Problem(
                "FIELD_TYPE_MISMATCH",
                f"field {where} has type {print_ast(first.type)} in {first_subgraph} but "
                f"{print_ast(other.type)} in {subgraph}",
            )
        )
    if _arguments(first) != _arguments(other):
        problems.append(
            Problem(
                "FIELD_ARGUMENT_TYPE_MISMATCH",
                f"field {where} has different arguments in {first_subgraph} and {subgraph}",
            )
        )


def _arguments(node: FieldDefinitionNode) -> str:
    return ", ".join(f"{a.name.value}: {print_ast(a.type)}" for a in node.arguments or ())


# -- printing --------------------------------------------------------------------------------


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
    hidden: set[str],
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
        _PRELUDE + ("\n" + INACCESSIBLE_DEFINITION if hidden else ""),
        print_ast(graphs),
    ]
    for node in sorted(types, key=lambda n: n.name.value):
        parts.append(print_ast(_annotated(node, annotations, field_annotations, hidden)))
    return "\n\n".join(parts).rstrip() + "\n"


def _annotated(
    node: TypeDefinitionNode,
    annotations: dict[str, list[DirectiveNode]],
    field_annotations: dict[tuple[str, str], list[DirectiveNode]],
    hidden: set[str],
) -> TypeDefinitionNode:
    """The definition with its join directives (the type's, and each object field's) and
    ``@inaccessible`` on each element some subgraph hides."""
    name = node.name.value
    changes: dict[str, Any] = {
        "directives": (
            *annotations.get(name, ()),
            *(node.directives or ()),
            *_hidden_mark(name, hidden),
        )
    }
    if getattr(node, "fields", None) is not None:
        changes["fields"] = tuple(
            dataclasses.replace(
                member,
                directives=(
                    *(member.directives or ()),
                    *_hidden_mark(f"{name}.{member.name.value}", hidden),
                    *field_annotations.get((name, member.name.value), ()),
                ),
                **_hidden_arguments(f"{name}.{member.name.value}", member, hidden),
            )
            for member in node.fields  # type: ignore[attr-defined]
        )
    if isinstance(node, EnumTypeDefinitionNode):
        changes["values"] = tuple(
            dataclasses.replace(
                value,
                directives=(
                    *(value.directives or ()),
                    *_hidden_mark(f"{name}.{value.name.value}", hidden),
                ),
            )
            for value in node.values or ()
        )
    return dataclasses.replace(node, **changes)


_INACCESSIBLE = ConstDirectiveNode(name=NameNode(value="inaccessible"), arguments=())


def _hidden_mark(coordinate: str, hidden: set[str]) -> tuple[ConstDirectiveNode, ...]:
    return (_INACCESSIBLE,) if coordinate in hidden else ()


def _hidden_arguments(coordinate: str, member: Any, hidden: set[str]) -> dict[str, Any]:
    if not isinstance(member, FieldDefinitionNode) or not member.arguments or not hidden:
        return {}
    return {
        "arguments": tuple(
            dataclasses.replace(
                given,
                directives=(
                    *(given.directives or ()),
                    *_hidden_mark(f"{coordinate}({given.name.value}:)", hidden),
                ),
            )
            for given in member.arguments
        )
    }


def _check_loads(supergraph: str) -> None:
    """What composes, the gateway must be able to load: the last gate before it is written."""
    errors: list[Exception]
    try:
        errors = list(validate_schema(load(supergraph).schema))
    except (GraphQLError, SupergraphError, TypeError) as error:
        errors = [error]
    if errors:
        raise CompositionError(
            [
                Problem("INVALID_FEDERATION_SUPERGRAPH", f"the gateway cannot load it: {e}")
                for e in errors
            ]
        )


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
