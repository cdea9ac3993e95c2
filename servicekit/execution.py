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

The same holds one level up: a list of objects (twenty matches of a search) whose selected
fields are all such plain fields, or objects made only of them, is completed whole — one
dictionary per object, built by reading and coercing its fields in the selection's order —
instead of field by field through graphql-core. Anything the whole completion cannot vouch
for (a null where none is allowed, a value refused, a field with a resolver or arguments, a
`@stream` or `@defer`, an interface) sends the whole value down graphql-core's path.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
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
    """The leaf's output coercion (kept on the type, made on first use)."""
    try:
        coerce: Callable[[Any], Any] = getattr(leaf, _COERCER)
    except AttributeError:
        coerce = _new_coercer(leaf)
        setattr(leaf, _COERCER, coerce)
    return coerce


_COERCER = "_wnwa_coercer"


def _new_coercer(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
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


# completes a value whole: the completed value, or Undefined (graphql-core's path then)
_Complete = Callable[[Any], Any]


def _plain_reader(field: GraphQLField) -> Callable[[Any], Any] | None:
    """How to read ``field`` without its resolver (kept on the field, made on first use)."""
    try:
        read: Callable[[Any], Any] | None = getattr(field, _READER)
    except AttributeError:
        read = _reader(field)
        setattr(field, _READER, read)
    return read


_READER = "_wnwa_plain_reader"


class DocumentPlans:
    """The plans made for one parsed document's selections, kept with the document in the
    service's document cache and forgotten with it (a document's text, its aliases and its
    operation's name are a request's words: nothing may keep them longer than that cache).
    An execution started inside :meth:`in_use` keeps its plans here."""

    def __init__(self) -> None:
        self.plans: dict[_PlanKey, tuple[GraphQLOutputType, _Complete | None]] = {}

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        token = _DOCUMENT_PLANS.set(self)
        try:
            yield
        finally:
            _DOCUMENT_PLANS.reset(token)


# a plan's place in its document: its type, and the response path with the parent types
_PlanKey = tuple[int, str | None, tuple[tuple[str, str | None], ...]]
_DOCUMENT_PLANS: contextvars.ContextVar[DocumentPlans | None] = contextvars.ContextVar(
    "wnwa_document_plans", default=None
)


def _without_directives(
    nodes: list[FieldNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> bool:
    """Whether no directive appears on ``nodes`` or anywhere in their selections (fragments
    included): then collecting their fields does not depend on the request's variables."""
    if any(node.directives for node in nodes):
        return False
    pending = [node.selection_set for node in nodes]
    spread: set[str] = set()
    while pending:
        selection_set = pending.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if selection.directives:
                return False
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or fragment.directives:
                    return False
                if name not in spread:
                    spread.add(name)
                    pending.append(fragment.selection_set)
            elif isinstance(selection, FieldNode | InlineFragmentNode):
                pending.append(selection.selection_set)
    return True


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the fast paths for plain fields and for lists
    and objects made of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # plans made in this request, and the ones kept with its document (when it came
        # from the service's document cache)
        self._whole: dict[tuple[int, int], tuple[Any, _Complete | None]] = {}
        self._kept = _DOCUMENT_PLANS.get()

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is None or not manager.middlewares:
            complete = self._whole_completion(return_type, field_details_list, path)
            if complete is not None:
                value = complete(result)
                if value is not Undefined:
                    return value
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _whole_completion(
        self, return_type: GraphQLOutputType, field_details_list: Any, path: Path
    ) -> _Complete | None:
        """The plan completing a value of ``return_type`` whole (lists and objects only).

        A selection without directives (fragments included) is completed the same way in
        every execution of its document: its plan is kept with the document in the service's
        document cache, by its type and typed response path, and forgotten with it. Any other
        selection gets a plan of this request's own."""
        named = return_type
        while isinstance(named, GraphQLNonNull | GraphQLList):
            named = named.of_type
        if not isinstance(named, GraphQLObjectType):
            return None
        local = (id(return_type), id(field_details_list))
        if local in self._whole:
            return self._whole[local][1]
        kept_plans = None if self._kept is None else self._kept.plans
        key = self._plan_key(return_type, path)
        if kept_plans is not None and key in kept_plans:
            return kept_plans[key][1]
        complete = self._completion(return_type, field_details_list)
        nodes = [details.node for details in field_details_list]
        if kept_plans is not None and _without_directives(nodes, self.fragment_definitions):
            # the type is kept with its plan: the id in the key cannot be reused meanwhile
            kept_plans[key] = (return_type, complete)
        # the list is kept with its plan: its id cannot be reused while the request runs
        self._whole[local] = (field_details_list, complete)
        return complete

    def _plan_key(self, return_type: GraphQLOutputType, path: Path) -> _PlanKey:
        operation = self.operation.name.value if self.operation.name else None
        at: list[tuple[str, str | None]] = []
        step: Path | None = path
        while step is not None:
            if isinstance(step.key, str):
                at.append((step.key, step.typename))
            step = step.prev
        return id(return_type), operation, tuple(at)

    def _completion(self, type_: GraphQLOutputType, field_details_list: Any) -> _Complete | None:
        """How to complete a value of ``type_`` whole; None when it cannot be."""
        nullable = not isinstance(type_, GraphQLNonNull)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            if any(details.node.directives for details in field_details_list):
                return None  # @stream
            item = self._completion(type_.of_type, field_details_list)
            return None if item is None else partial(_complete_list, item, nullable)
        if isinstance(type_, GraphQLObjectType):
            if type_.is_type_of is not None:
                return None
            collected = self.collect_subfields(type_, field_details_list)
            if collected.new_defer_usages:
                return None
            fields: list[tuple[str, Callable[[Any], Any], _Complete]] = []
            for response_name, details in collected.grouped_field_set.items():
                name = details[0].node.name.value
                if name == "__typename":
                    fields.append((response_name, _constant(type_.name), _same))
                    continue
                field = type_.fields.get(name)
                read = None if field is None else _plain_reader(field)
                if field is None or read is None:
                    return None
                complete = self._completion(field.type, details)
                if complete is None:
                    return None
                fields.append((response_name, read, complete))
            return partial(_complete_object, fields, nullable)
        if is_leaf_type(type_):
            return partial(_complete_leaf, _coercer(type_), nullable)
        return None

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


def _complete_leaf(coerce: Callable[[Any], Any], nullable: bool, value: Any) -> Any:
    if value is None:
        return None if nullable else Undefined
    return coerce(value)


def _complete_list(item: _Complete, nullable: bool, value: Any) -> Any:
    if value is None:
        return None if nullable else Undefined
    if not isinstance(value, list | tuple):
        return Undefined
    items = []
    for each in value:
        completed = item(each)
        if completed is Undefined:
            return Undefined
        items.append(completed)
    return items


def _complete_object(
    fields: list[tuple[str, Callable[[Any], Any], _Complete]], nullable: bool, value: Any
) -> Any:
    if value is None:
        return None if nullable else Undefined
    completed: dict[str, Any] = {}
    for response_name, read, complete in fields:
        try:
            field_value = complete(read(value))
        except Exception:  # graphql-core's own path reports it properly
            return Undefined
        if field_value is Undefined:
            return Undefined
        completed[response_name] = field_value
    return completed


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _source: value


def _same(value: Any) -> Any:
    return value
