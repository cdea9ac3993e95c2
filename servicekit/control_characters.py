"""No control characters in the text a client sends, whichever way it comes.

Every string a client sends — written into the document (arguments at any depth of an input
object or list, directive arguments, variables' default values) or sent as a variable — may
hold tabs, line feeds and carriage returns (a bio has paragraphs), but no other C0 control
character (U+0000 to U+001F). PostgreSQL cannot store U+0000 at all (the query would fail as a
bug), and none of the others belongs in a name, a reference, a search or a message. The
rule does not depend on the argument's type: an ID, an enum or a date holding one is as
wrong. Refused as ``BAD_USER_INPUT`` request errors that name the argument or variable, at
the gateway and at every subgraph alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)

_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# a control character reaches a string literal only as an escape or written raw (which the
# parser lets through in strings and block strings): a document with neither needs no walk
_MAY_HOLD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\\\\]")
_AT_MOST = 20  # errors reported for one request
_ALLOWED = "Text may hold tabs and line breaks, but no other control character."


# in a JSON text a string holds a control character only through an escape (orjson refuses
# them raw): \u0000 to \u001f, \b or \f, or an escaped backslash, which may start a GraphQL
# escape inside a query's literal
_JSON_ESCAPE = re.compile(rb"\\(?:u00[01]|[bf\\])")


def json_may_hold_control_characters(body: bytes) -> bool:
    """Whether any string of a JSON request ``body`` (its query's literals included) could
    hold a control character: one scan of the bytes (a fraction of parsing them), so that
    most requests need no walk through their variables or their document."""
    return _JSON_ESCAPE.search(body) is not None


def may_hold_control_characters(query: str) -> bool:
    """Whether a string literal of ``query`` could hold a control character (cheap)."""
    return _MAY_HOLD.search(query) is not None


def holds_control_character(text: str) -> bool:
    """Whether ``text`` holds a character this rule refuses."""
    return _REFUSED.search(text) is not None


def _refused(text: str) -> str | None:
    found = _REFUSED.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _error(what: str, character: str, node: Node | None = None) -> GraphQLError:
    return GraphQLError(
        f"{what} holds a control character ({character}). {_ALLOWED}",
        nodes=node,
        extensions={"code": "BAD_USER_INPUT"},
    )


def variable_errors(variables: Mapping[str, Any] | None) -> list[GraphQLError]:
    """An error for each variable (or string inside one) that holds a refused character."""
    errors: list[GraphQLError] = []
    # iterative: variables may be nested as deep as the JSON parser allows (1,024 levels)
    pending: list[tuple[str, Any]] = [
        (f"${name}", value) for name, value in (variables or {}).items()
    ]
    while pending and len(errors) < _AT_MOST:
        path, value = pending.pop()
        if isinstance(value, str):
            character = _refused(value)
            if character is not None:
                errors.append(_error(f"The variable `{path}`", character))
        elif isinstance(value, Mapping):
            pending.extend((f"{path}.{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return errors


def literal_errors(document: DocumentNode) -> list[GraphQLError]:
    """An error for each string literal of ``document`` that holds a refused character."""
    finder = _LiteralFinder()
    visit(document, finder)
    return finder.errors[:_AT_MOST]


class _LiteralFinder(Visitor):
    """Walks arguments (of fields and directives) and variables' default values."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[GraphQLError] = []
        self._owners: list[str] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self._owners.append(f"`{node.name.value}`")

    def leave_field(self, node: FieldNode, *_: Any) -> None:
        self._owners.pop()

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self._owners.append(f"`@{node.name.value}`")

    def leave_directive(self, node: DirectiveNode, *_: Any) -> None:
        self._owners.pop()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        owner = self._owners[-1] if self._owners else "the operation"
        self._check(node.value, node.name.value, lambda path: f"The argument `{path}` of {owner}")

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        if node.default_value is not None:
            name = f"${node.variable.name.value}"
            self._check(node.default_value, name, lambda path: f"The default value of `{path}`")

    def _check(self, value: ValueNode, path: str, what: Callable[[str], str]) -> None:
        pending: list[tuple[str, ValueNode]] = [(path, value)]
        while pending:
            where, node = pending.pop()
            if isinstance(node, StringValueNode):
                character = _refused(node.value)
                if character is not None:
                    self.errors.append(_error(what(where), character, node))
            elif isinstance(node, ObjectValueNode):
                pending.extend(
                    (f"{where}.{field.name.value}", field.value) for field in node.fields
                )
            elif isinstance(node, ListValueNode):
                pending.extend(
                    (f"{where}[{index}]", item) for index, item in enumerate(node.values)
                )
