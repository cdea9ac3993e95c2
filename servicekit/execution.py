"""A leaner field executor for the subgraphs' plain attribute fields.

A search page selects a dozen leaf fields of twenty rows; for each, graphql-core builds a
resolve-info object, looks up arguments, calls the resolver, checks for awaitables and
completes the value — about two thirds of a subgraph's CPU once documents are no longer
validated again. A field whose type is a scalar or enum (or a list of them) and that
strawberry resolves by reading an attribute, or by calling a plain synchronous method that
takes nothing but the object (no arguments, no `info`, no extension or permission), needs
none of that: its value is read and coerced directly. Anything else — and any value that is
null, an error or refuses coercion — takes graphql-core's own path, so answers and errors
stay the same (a method that raised is simply called again there).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# (read the value from the object, coerce it (Undefined: refused), is a list) of a plain
# leaf field; None: not one. Kept on the field itself (graphql-core's fields are not
# hashable), made on first use.
_Plan = tuple[Callable[[Any], Any], Callable[[Any], Any], bool] | None
_PLAN = "_wnwa_plain_leaf"


def _reader(field: GraphQLField) -> Callable[[Any], Any] | None:
    if field.resolve is None:
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    if definition.is_basic_field:  # strawberry's own word: no resolver, no extension
        name = definition.python_name
        if definition.default_resolver is getattr:
            return attrgetter(name)  # what strawberry's get_result does, minus 3 calls
        default = definition.default_resolver
        return lambda source: default(source, name)
    if definition.extensions:
        return None
    resolver = definition.base_resolver
    if (
        resolver is None
        or resolver.is_async
        or definition.arguments
        or resolver.self_parameter is None
        or len(resolver.signature.parameters) != 1
        or not inspect.isfunction(resolver.wrapped_func)
    ):
        return None
    method: Callable[[Any], Any] = resolver.wrapped_func
    return method


def _plan(field: GraphQLField) -> _Plan:
    read = _reader(field)
    if read is None:
        return None
    type_: GraphQLOutputType = field.type
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if is_leaf_type(type_):
        return read, _coercer(type_), False
    if isinstance(type_, GraphQLList):
        item = type_.of_type
        if isinstance(item, GraphQLNonNull):
            item = item.of_type
        if is_leaf_type(item):
            return read, _coercer(item), True
    return None


def _coercer(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
    """The leaf's output coercion; an enum's by one dict look-up of a member or its value
    (strawberry's compares the value with each of the enum's values in turn)."""
    if isinstance(leaf, GraphQLEnumType):
        names: dict[Any, str] = {}
        wrapped = getattr(leaf, "wrapped_cls", None)
        for name, value in leaf.values.items():
            with contextlib.suppress(TypeError):  # an unhashable value: left to graphql-core
                names[value.value] = name
            if isinstance(wrapped, type) and issubclass(wrapped, Enum):
                names.update({member: name for member in wrapped if member.value == value.value})
        return lambda value: names.get(value, Undefined)
    return partial(_coerce, leaf)


def _coerce(leaf: GraphQLLeafType, value: Any) -> Any:
    if value is None or isinstance(value, Exception):
        return Undefined
    coerced = leaf.coerce_output_value(value)
    return Undefined if coerced is None else coerced


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the fast path for plain leaf fields."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        field = parent_type.fields.get(field_details_list[0].node.name.value)
        manager = self.middleware_manager
        if field is not None and (manager is None or not manager.middlewares):
            try:
                plan = getattr(field, _PLAN)
            except AttributeError:
                plan = _plan(field)
                setattr(field, _PLAN, plan)
            if plan is not None:
                value = self._plain_value(plan, source)
                if value is not Undefined:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    @staticmethod
    def _plain_value(
        plan: tuple[Callable[[Any], Any], Callable[[Any], Any], bool], source: Any
    ) -> Any:
        read, coerce, is_list = plan
        try:
            value = read(source)
            if not is_list:
                return coerce(value)
            if not isinstance(value, list | tuple):
                return Undefined
            items = [coerce(item) for item in value]
        except Exception:  # graphql-core's own path reports it properly
            return Undefined
        # a null item (allowed or not) is left to graphql-core's own completion
        return Undefined if any(item is Undefined for item in items) else items
