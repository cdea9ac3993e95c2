"""The supergraph at run time: the API schema and who resolves what.

:func:`load` reads a supergraph document written by :func:`gateway.composition.compose`
(``gateway/supergraph.graphql``) back into the API schema the gateway validates against and
the ownership tables the planner uses: which subgraphs resolve each field, and by which keys
each entity can be fetched. What the supergraph marks ``@inaccessible`` stays in the tables (a
key field may be one) but not in the API schema, so no client can query or introspect it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    build_ast_schema,
    parse,
)

from gateway.scalars import check_platform_scalars

# the directives of Federation v2 subgraph schemas, none of which the API schema keeps
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


class SupergraphError(Exception):
    """The supergraph document lacks something the gateway needs."""


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


# -- reading directives on SDL nodes (shared with composition) -------------------------------


def directives_named(node: object, name: str) -> list[DirectiveNode]:
    return [d for d in getattr(node, "directives", None) or () if d.name.value == name]


def argument(directive: DirectiveNode, name: str) -> object:
    """A string or boolean argument's value, or None."""
    for given in directive.arguments or ():
        if given.name.value == name:
            value = given.value
            if isinstance(value, StringValueNode | BooleanValueNode):
                return value.value
    return None


def enum_argument(directive: DirectiveNode, name: str) -> str:
    for given in directive.arguments or ():
        if given.name.value == name:
            return str(getattr(given.value, "value", ""))
    raise SupergraphError(f"@{directive.name.value} lacks its {name} argument")


def _api_directives(directives: Any) -> tuple[DirectiveNode, ...]:
    return tuple(
        d
        for d in directives or ()
        if d.name.value not in FEDERATION_DIRECTIVES and not d.name.value.startswith("join__")
    )


def without_federation(node: Any, *, keep_descriptions: bool = True) -> Any:
    """The definition without federation or join directives (and, if asked, descriptions)."""
    changes: dict[str, Any] = {"directives": _api_directives(node.directives)}
    if not keep_descriptions:
        changes["description"] = None
    if getattr(node, "fields", None) is not None:
        changes["fields"] = tuple(
            without_federation(member, keep_descriptions=keep_descriptions)
            for member in node.fields
        )
    if isinstance(node, FieldDefinitionNode) and node.arguments:
        changes["arguments"] = tuple(
            without_federation(given, keep_descriptions=keep_descriptions)
            for given in node.arguments
        )
    if isinstance(node, EnumTypeDefinitionNode) and node.values is not None:
        changes["values"] = tuple(
            without_federation(value, keep_descriptions=keep_descriptions) for value in node.values
        )
    return dataclasses.replace(node, **changes)


# -- loading ---------------------------------------------------------------------------------


def load(supergraph_sdl: str) -> Supergraph:
    """The API schema and ownership tables of a supergraph written by ``compose``."""
    document = parse(supergraph_sdl)
    graph_names: dict[str, str] = {}
    api_definitions: list[TypeDefinitionNode] = []
    for definition in document.definitions:
        if (
            isinstance(definition, EnumTypeDefinitionNode)
            and definition.name.value == "join__Graph"
        ):
            for value in definition.values or ():
                for directive in directives_named(value, "join__graph"):
                    graph_names[value.name.value] = str(argument(directive, "name"))
            continue
        if isinstance(definition, TypeDefinitionNode):
            api_definitions.append(definition)
    field_owners: dict[str, dict[str, tuple[str, ...]]] = {}
    entity_keys: dict[str, list[EntityKey]] = {}
    for definition in api_definitions:
        name = definition.name.value
        for directive in directives_named(definition, "join__type"):
            key = argument(directive, "key")
            if key is None:
                continue
            entity_keys.setdefault(name, []).append(
                EntityKey(
                    subgraph=graph_names[enum_argument(directive, "graph")],
                    fields=tuple(str(key).split()),
                    resolvable=argument(directive, "resolvable") is not False,
                )
            )
        if isinstance(definition, ObjectTypeDefinitionNode):
            field_owners[name] = {
                field_node.name.value: tuple(
                    graph_names[enum_argument(d, "graph")]
                    for d in directives_named(field_node, "join__field")
                )
                for field_node in definition.fields or ()
            }
    hidden = {d.name.value for d in api_definitions if directives_named(d, "inaccessible")}
    api = DocumentNode(
        definitions=tuple(
            without_federation(_accessible(d, hidden))
            for d in api_definitions
            if d.name.value not in hidden
        )
    )
    schema = build_ast_schema(api)
    check_platform_scalars(schema)
    return Supergraph(
        schema=schema,
        subgraphs=tuple(sorted(graph_names.values())),
        field_owners=field_owners,
        entity_keys=entity_keys,
    )


def _accessible(node: Any, hidden_types: set[str]) -> Any:
    """The definition without its ``@inaccessible`` members, nor members, interfaces or union
    members naming an inaccessible type."""
    changes: dict[str, Any] = {}
    for members in ("fields", "arguments", "values"):
        if getattr(node, members, None):
            changes[members] = tuple(
                _accessible(member, hidden_types)
                for member in getattr(node, members)
                if not directives_named(member, "inaccessible")
            )
    for named in ("interfaces", "types"):
        if getattr(node, named, None):
            changes[named] = tuple(
                n for n in getattr(node, named) if n.name.value not in hidden_types
            )
    return dataclasses.replace(node, **changes) if changes else node
