"""The checks Apollo's composition makes that the gateway's composer makes too, each problem
with Apollo's error code: a ``@key``'s ``fields`` read as a selection set, and the rules of
``@inaccessible`` (what the API schema keeps must not need what it hides). Used by
:mod:`gateway.composition`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    ValueNode,
    parse,
    print_ast,
)

from gateway.supergraph import EntityKey, argument, directives_named

# a key is a handful of field names; its parse is bounded whatever a subgraph writes
KEY_MAX_TOKENS = 1_000


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the subgraphs do not compose, with Apollo's error code for it."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Subgraph:
    """One subgraph's type definitions (federation directives under their own names) and
    the keys read from them."""

    name: str
    types: dict[str, TypeDefinitionNode]
    keys: dict[str, list[EntityKey]] = field(default_factory=dict)
    # types with a @key refused here: their sharing would only repeat that problem
    refused_keys: set[str] = field(default_factory=set)

    _fields: dict[str, dict[str, FieldDefinitionNode]] = field(default_factory=dict)

    def fields_of(self, type_name: str) -> dict[str, FieldDefinitionNode]:
        """The fields of an object or interface type by name (read once per type)."""
        found = self._fields.get(type_name)
        if found is None:
            node = self.types.get(type_name)
            members = (
                node.fields
                if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
                else ()
            )
            found = self._fields[type_name] = {f.name.value: f for f in members or ()}
        return found


def elements(types: Mapping[str, TypeDefinitionNode]) -> Iterator[tuple[str, Any]]:
    """Every type, field, argument, input field and enum value, with its coordinate."""
    for name, node in types.items():
        yield name, node
        for member in getattr(node, "fields", None) or ():
            coordinate = f"{name}.{member.name.value}"
            yield coordinate, member
            for given in getattr(member, "arguments", None) or ():
                yield f"{coordinate}({given.name.value}:)", given
        for value in getattr(node, "values", None) or ():
            yield f"{name}.{value.name.value}", value


# -- keys ------------------------------------------------------------------------------------


def named_type(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type  # type: ignore[attr-defined]
    return type_node.name.value


def _is_list(type_node: TypeNode) -> bool:
    if isinstance(type_node, NonNullTypeNode):
        type_node = type_node.type
    return isinstance(type_node, ListTypeNode)


def read_keys(subgraph: Subgraph, problems: list[Problem]) -> None:
    """Each object's (and interface's) keys, their ``fields`` checked as Apollo checks them."""
    for name, node in subgraph.types.items():
        if not isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            continue
        keys = []
        for directive in directives_named(node, "key"):
            fields = _key_fields(subgraph, name, str(argument(directive, "fields") or ""), problems)
            if fields is None:
                subgraph.refused_keys.add(name)
                continue
            keys.append(
                EntityKey(
                    subgraph=subgraph.name,
                    fields=fields,
                    resolvable=argument(directive, "resolvable") is not False,
                )
            )
        if isinstance(node, ObjectTypeDefinitionNode):
            subgraph.keys[name] = keys


def _key_fields(
    subgraph: Subgraph, type_name: str, text: str, problems: list[Problem]
) -> tuple[str, ...] | None:
    """The field names of a key (``fields`` parsed as a selection set); None if refused."""
    shown = text if len(text) <= 80 else text[:60] + "…"
    where = f"{subgraph.name}: on type {type_name}, @key(fields: {json.dumps(shown)})"
    body = text.strip()
    try:
        document = parse(
            body if body.startswith("{") else "{" + body + "}",
            no_location=True,
            max_lexical_tokens=KEY_MAX_TOKENS,
            max_comments=KEY_MAX_TOKENS,
            max_source_length=KEY_MAX_TOKENS * 100,
        )
    except GraphQLError as error:
        problems.append(Problem("KEY_INVALID_FIELDS", f"{where}: {error.message}"))
        return None
    operation = document.definitions[0]
    if (
        len(document.definitions) != 1
        or not isinstance(operation, OperationDefinitionNode)
        or operation.operation != OperationType.QUERY
        or operation.name
        or operation.variable_definitions
        or operation.directives
    ):
        problems.append(Problem("KEY_INVALID_FIELDS", f"{where}: not a selection set"))
        return None
    if not operation.selection_set.selections:
        problems.append(Problem("KEY_INVALID_FIELDS", f"{where}: it selects no field"))
        return None
    found: list[Problem] = []
    unsupported: list[str] = []
    names = _key_selection(subgraph, type_name, operation.selection_set, where, found, unsupported)
    problems.extend(found)
    if found:
        return None
    if unsupported:
        problems.append(
            Problem(
                "UNSUPPORTED_FEATURE",
                f"{where}: this gateway plans keys made of the type's own non-list scalar and "
                f"enum fields only, not {', '.join(unsupported)}",
            )
        )
        return None
    return tuple(dict.fromkeys(names))


def _key_selection(
    subgraph: Subgraph,
    type_name: str,
    selection_set: SelectionSetNode,
    where: str,
    problems: list[Problem],
    unsupported: list[str],
) -> list[str]:
    """The selected field names; Apollo's problems and what the gateway cannot plan noted."""
    fields = subgraph.fields_of(type_name)
    names: list[str] = []
    for selection in selection_set.selections:
        if selection.directives:
            problems.append(
                Problem(
                    "KEY_DIRECTIVE_IN_FIELDS_ARG",
                    f"{where}: cannot have directive applications in the @key(fields:) argument",
                )
            )
            continue
        if isinstance(selection, FragmentSpreadNode):
            problems.append(
                Problem("KEY_INVALID_FIELDS", f"{where}: fragment spreads are not allowed")
            )
            continue
        if isinstance(selection, InlineFragmentNode):
            unsupported.append("an inline fragment")
            condition = selection.type_condition
            _key_selection(
                subgraph,
                condition.name.value if condition else type_name,
                selection.selection_set,
                where,
                problems,
                unsupported,
            )
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        if selection.alias:
            problems.append(
                Problem(
                    "KEY_INVALID_FIELDS",
                    f'{where}: Cannot use alias "{selection.alias.value}" in '
                    f'"{selection.alias.value}: {name}": aliases are not currently supported '
                    "in @key",
                )
            )
            continue
        if name == "__typename":
            unsupported.append("__typename")
            continue
        definition = fields.get(name)
        if definition is None:
            problems.append(
                Problem(
                    "KEY_INVALID_FIELDS",
                    f'{where}: Cannot query field "{name}" on type "{type_name}" (the field '
                    "should be added to this subgraph)",
                )
            )
            continue
        if definition.arguments:
            problems.append(
                Problem(
                    "KEY_FIELDS_HAS_ARGS",
                    f"{where}: field {type_name}.{name} cannot be included because it has "
                    "arguments (fields with argument are not allowed in @key)",
                )
            )
            continue
        if selection.arguments:
            problems.append(
                Problem(
                    "KEY_INVALID_FIELDS", f'{where}: field "{type_name}.{name}" has no arguments'
                )
            )
            continue
        field_type = named_type(definition.type)
        kind = subgraph.types.get(field_type)
        if isinstance(kind, InterfaceTypeDefinitionNode | UnionTypeDefinitionNode):
            label = "Interface" if isinstance(kind, InterfaceTypeDefinitionNode) else "Union"
            problems.append(
                Problem(
                    "KEY_FIELDS_SELECT_INVALID_TYPE",
                    f'{where}: field "{type_name}.{name}" is a {label} type which is not '
                    "allowed in @key",
                )
            )
        elif isinstance(kind, ObjectTypeDefinitionNode):
            if selection.selection_set is None:
                problems.append(
                    Problem(
                        "KEY_INVALID_FIELDS",
                        f'{where}: Invalid empty selection set for field "{type_name}.{name}" '
                        f"of non-leaf type {print_ast(definition.type)}",
                    )
                )
                continue
            unsupported.append(f"the nested selection {name} {{ … }}")
            _key_selection(
                subgraph, field_type, selection.selection_set, where, problems, unsupported
            )
        elif selection.selection_set is not None:
            problems.append(
                Problem(
                    "KEY_INVALID_FIELDS",
                    f'{where}: Field "{name}" must not have a selection since type '
                    f'"{print_ast(definition.type)}" has no subfields.',
                )
            )
        else:
            if _is_list(definition.type):
                unsupported.append(f"the list field {name}")
            names.append(name)
    return names


# -- @inaccessible ---------------------------------------------------------------------------


def check_inaccessible(
    types: dict[str, TypeDefinitionNode], hidden: set[str], problems: list[Problem]
) -> None:
    """Apollo's rules for ``@inaccessible``: what the API schema keeps must not need what it
    hides. ``hidden`` holds the coordinates inaccessible in any subgraph."""
    if not hidden:
        return
    coordinates = dict(elements(types))
    implementers: dict[str, list[ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode]] = {}
    for node in types.values():
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            for named in node.interfaces or ():
                implementers.setdefault(named.name.value, []).append(node)

    def problem(code: str, message: str) -> None:
        problems.append(Problem(code, message))

    def referenced(type_node: TypeNode, by: str) -> None:
        named = named_type(type_node)
        if named in hidden:
            problem(
                "REFERENCED_INACCESSIBLE",
                f'Type "{named}" is @inaccessible but is referenced by "{by}", which is in the '
                "API schema.",
            )

    def default_value(given: InputValueDefinitionNode, by: str) -> None:
        if given.default_value is None:
            return
        for used in _default_value_uses(given.default_value, given.type, types):
            if used in hidden:
                kind = (
                    "Enum value"
                    if isinstance(types.get(used.split(".")[0]), EnumTypeDefinitionNode)
                    else "Input field"
                )
                problem(
                    "DEFAULT_VALUE_USES_INACCESSIBLE",
                    f'{kind} "{used}" is @inaccessible but is used in the default value of '
                    f'"{by}", which is in the API schema.',
                )

    for name, node in types.items():
        if name in hidden:
            if name == "Query":
                problem(
                    "QUERY_ROOT_TYPE_INACCESSIBLE",
                    'Type "Query" is @inaccessible but is the root query type, which must be in '
                    "the API schema.",
                )
            continue
        if isinstance(node, UnionTypeDefinitionNode):
            members = [m.name.value for m in node.types or ()]
            children = "members"
        elif isinstance(node, EnumTypeDefinitionNode):
            members = [f"{name}.{v.name.value}" for v in node.values or ()]
            children = "values"
        else:
            members = [f"{name}.{f.name.value}" for f in getattr(node, "fields", None) or ()]
            children = (
                "input fields" if isinstance(node, InputObjectTypeDefinitionNode) else "fields"
            )
        if members and all(m in hidden for m in members):
            problem(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{name}" is in the API schema but all of its {children} are @inaccessible.',
            )
        if isinstance(node, InputObjectTypeDefinitionNode):
            for input_field in node.fields or ():
                coordinate = f"{name}.{input_field.name.value}"
                if coordinate in hidden:
                    if _required(input_field):
                        problem(
                            "REQUIRED_INACCESSIBLE",
                            f'Input field "{coordinate}" is @inaccessible but is a required '
                            "input field of its type.",
                        )
                    continue
                referenced(input_field.type, coordinate)
                default_value(input_field, coordinate)
        if not isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            continue
        interfaces = [
            i
            for i in (types.get(n.name.value) for n in node.interfaces or ())
            if isinstance(i, InterfaceTypeDefinitionNode) and i.name.value not in hidden
        ]
        for field_node in node.fields or ():
            field_name = field_node.name.value
            coordinate = f"{name}.{field_name}"
            if coordinate in hidden:
                for interface in interfaces:
                    implemented = f"{interface.name.value}.{field_name}"
                    if implemented not in hidden and implemented in coordinates:
                        problem(
                            "IMPLEMENTED_BY_INACCESSIBLE",
                            f'Field "{coordinate}" is @inaccessible but implements the interface '
                            f'field "{implemented}", which is in the API schema.',
                        )
                continue
            referenced(field_node.type, coordinate)
            for given in field_node.arguments or ():
                argument_coordinate = f"{coordinate}({given.name.value}:)"
                if argument_coordinate not in hidden:
                    referenced(given.type, argument_coordinate)
                    default_value(given, argument_coordinate)
                    continue
                if _required(given):
                    problem(
                        "REQUIRED_INACCESSIBLE",
                        f'Argument "{argument_coordinate}" is @inaccessible but is a required '
                        "argument of its field.",
                    )
                for implementer in implementers.get(name, ()):
                    implementing_coordinate = (
                        f"{implementer.name.value}.{field_name}({given.name.value}:)"
                    )
                    implementing = coordinates.get(implementing_coordinate)
                    if (
                        implementing is not None
                        and _required(implementing)
                        and implementer.name.value not in hidden
                        and f"{implementer.name.value}.{field_name}" not in hidden
                        and implementing_coordinate not in hidden
                    ):
                        problem(
                            "REQUIRED_INACCESSIBLE",
                            f'Argument "{argument_coordinate}" is @inaccessible but is '
                            f'implemented by the required argument "{implementing_coordinate}", '
                            "which is in the API schema.",
                        )
                for interface in interfaces:
                    implemented = f"{interface.name.value}.{field_name}"
                    implemented_argument = f"{implemented}({given.name.value}:)"
                    if (
                        implemented_argument in coordinates
                        and implemented not in hidden
                        and implemented_argument not in hidden
                    ):
                        problem(
                            "IMPLEMENTED_BY_INACCESSIBLE",
                            f'Argument "{argument_coordinate}" is @inaccessible but implements '
                            f'the interface argument "{implemented_argument}", which is in the '
                            "API schema.",
                        )


def check_hidden_answers(
    types: dict[str, TypeDefinitionNode], hidden: set[str], problems: list[Problem]
) -> None:
    """Refuses what hides a value only an answer carries. An operation one subgraph resolves
    is passed through as written and its answer is not read, so an @inaccessible enum value a
    field returns, or an @inaccessible object type a union or interface answers with, would
    reach the client; Apollo composes them, and this gateway does not serve them."""
    if not hidden:
        return
    returned: set[str] = set()
    unions: dict[str, list[str]] = {}  # member type -> the visible unions holding it
    for name, node in types.items():
        if name in hidden:
            continue
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            returned.update(
                named_type(f.type)
                for f in node.fields or ()
                if f"{name}.{f.name.value}" not in hidden
            )
        if isinstance(node, UnionTypeDefinitionNode):
            for member in node.types or ():
                unions.setdefault(member.name.value, []).append(name)
    for name, node in types.items():
        if isinstance(node, EnumTypeDefinitionNode) and name in returned and name not in hidden:
            values = [f"{name}.{v.name.value}" for v in node.values or ()]
            for value in (v for v in values if v in hidden):
                problems.append(
                    Problem(
                        "UNSUPPORTED_FEATURE",
                        f"enum value {value} is @inaccessible, but fields return {name}: this "
                        "gateway passes one subgraph's answer through unread, so the value "
                        "would reach clients; hide the fields returning it, or keep the value "
                        "out of the schema until it is public",
                    )
                )
        if isinstance(node, ObjectTypeDefinitionNode) and name in hidden:
            wider = [i.name.value for i in node.interfaces or () if i.name.value not in hidden]
            wider += unions.get(name, [])
            if wider:
                problems.append(
                    Problem(
                        "UNSUPPORTED_FEATURE",
                        f"type {name} is @inaccessible, but a field returning "
                        f"{' or '.join(wider)} may answer with it: this gateway passes one "
                        "subgraph's answer through unread, so its __typename would reach "
                        "clients; take it out of the union or interface while it is hidden",
                    )
                )


def _required(given: InputValueDefinitionNode) -> bool:
    return isinstance(given.type, NonNullTypeNode) and given.default_value is None


def _default_value_uses(
    value: ValueNode, type_node: TypeNode, types: Mapping[str, TypeDefinitionNode]
) -> Iterator[str]:
    """The enum values and input fields a default value names, as coordinates."""
    if isinstance(type_node, NonNullTypeNode):
        type_node = type_node.type
    if isinstance(type_node, ListTypeNode):
        items = value.values if isinstance(value, ListValueNode) else (value,)
        for item in items:
            yield from _default_value_uses(item, type_node.type, types)
        return
    assert isinstance(type_node, NamedTypeNode)
    definition = types.get(type_node.name.value)
    if isinstance(definition, EnumTypeDefinitionNode) and isinstance(value, EnumValueNode):
        yield f"{definition.name.value}.{value.value}"
    elif isinstance(definition, InputObjectTypeDefinitionNode) and isinstance(
        value, ObjectValueNode
    ):
        input_fields = {f.name.value: f for f in definition.fields or ()}
        for given in value.fields:
            yield f"{definition.name.value}.{given.name.value}"
            input_field = input_fields.get(given.name.value)
            if input_field is not None:
                yield from _default_value_uses(given.value, input_field.type, types)
