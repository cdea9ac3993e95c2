"""Answering a query without graphql-core's executor: its root fields are fetched as the
executor would fetch them, and the client's answer is shaped from the subgraphs' answers
directly, which costs a fraction of the executor's per-field work. Whatever needs the
executor's exact handling hands the operation back to it (on the same answers)."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution import VariableValues
from graphql.pyutils import Undefined

from gateway.fetch_context import ErrorMarker, FetchContext, run_all
from gateway.root_fetch import RootEntry, RootFetcher


class _Shaped:
    """A field of an object in the answer: response key, its nodes, its type (None:
    ``__typename``), the Python type of a value that is its own serialization (None: ask
    the type), the object type when the field holds one object (not a list, not abstract),
    and that object's own plan, kept once it is known not to depend on variables."""

    __slots__ = ("child", "key", "nodes", "object_type", "plain", "type")

    def __init__(
        self,
        key: str,
        nodes: list[FieldNode],
        field_type: GraphQLOutputType | None,
        plain: type | None,
    ) -> None:
        self.key = key
        self.nodes = nodes
        self.type = field_type
        self.plain = plain
        inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        self.object_type = inner if isinstance(inner, GraphQLObjectType) else None
        self.child: list[_Shaped] | None = None


# the plans of objects' selections, worked out once per document and kept with it (only those
# that depend on no variable): by object type and the selecting nodes' identity
ShapePlans = dict[tuple[str, tuple[int, ...]], list[_Shaped]]

# scalars whose values of this Python type serialize to themselves (graphql-core's rules)
_PLAIN: dict[str, type] = {"String": str, "Boolean": bool, "Float": float, "ID": str}
# stands for "this answer needs graphql-core's own completion" while shaping one directly
_EXECUTOR = object()


class DirectAnswer:
    """Shapes a query's answer from the subgraphs' answers, or says the executor must."""

    def __init__(
        self, context: FetchContext, roots: RootFetcher, shapes: ShapePlans | None = None
    ) -> None:
        self.context = context
        self.roots = roots
        # held here so shaping every object of an answer looks nothing up twice
        self._schema = context.supergraph.schema
        self._shapes: ShapePlans = {} if shapes is None else shapes
        self._plain = context.plain
        self._fields_of = context.fields_of

    async def answer(self, variables: VariableValues) -> dict[str, Any] | None:
        """The ``data`` of a query, fetched as graphql-core would fetch it and shaped from the
        subgraphs' answers directly.

        None when any part needs the executor's exact handling — an error, a null where the
        schema forbids one, a value to coerce, introspection: graphql-core then answers from
        the very same subgraph answers (nothing is fetched twice). ``variables`` are the
        coerced variable values.
        """
        context = self.context
        root = self._schema.query_type
        if context.operation.operation != OperationType.QUERY or root is None:
            return None
        fields = self._fields_of([context.operation], root, variables)
        by_subgraph: dict[str, list[RootEntry]] = {}
        for response_key, nodes in fields.items():
            definition = root.fields.get(nodes[0].name.value)
            owners = context.supergraph.owners(root.name, nodes[0].name.value)
            if definition is None or not owners:
                return None  # introspection, or a field no service resolves
            node = context.merged(nodes)
            by_subgraph.setdefault(owners[0], []).append(
                (response_key, node, definition.type, variables)
            )
        subgraphs = list(by_subgraph)
        answers = await run_all(self.roots.fetch(s, by_subgraph[s]) for s in subgraphs)
        fetched = self.roots.fetched
        for subgraph, data in zip(subgraphs, answers, strict=True):
            for response_key, *_ in by_subgraph[subgraph]:
                fetched[response_key] = data.get(response_key)
        shaped: dict[str, Any] = {}
        for response_key, nodes in fields.items():
            field_type = root.fields[nodes[0].name.value].type
            value = self._shape(fetched[response_key], field_type, nodes, variables)
            if value is _EXECUTOR:
                return None
            shaped[response_key] = value
        return shaped

    def _shape(
        self, value: Any, field_type: GraphQLOutputType, nodes: list[FieldNode], variables: Any
    ) -> Any:
        """The client's view of ``value`` (a field of type ``field_type`` selected by
        ``nodes``), or ``_EXECUTOR`` when graphql-core must complete it."""
        if isinstance(field_type, GraphQLNonNull):
            if value is None:
                return _EXECUTOR
            field_type = field_type.of_type
        if value is None:
            return None
        if isinstance(value, ErrorMarker):
            return _EXECUTOR
        if isinstance(field_type, GraphQLList):
            if not isinstance(value, list):
                return _EXECUTOR
            item_type = field_type.of_type
            named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
            items = []
            if isinstance(named, GraphQLObjectType):
                # a list of one object type: its plan is looked up once, not per item
                plan = self._object_shape(nodes, named, variables)
                if plan is None:
                    return _EXECUTOR
                for item in value:
                    if item is None or not isinstance(item, dict):
                        shaped = self._shape(item, item_type, nodes, variables)
                    else:
                        shaped = self._shape_object(item, named, plan, variables)
                    if shaped is _EXECUTOR:
                        return _EXECUTOR
                    items.append(shaped)
                return items
            for item in value:
                shaped = self._shape(item, item_type, nodes, variables)
                if shaped is _EXECUTOR:
                    return _EXECUTOR
                items.append(shaped)
            return items
        if is_leaf_type(field_type):
            return _serialized(value, field_type)
        if not isinstance(value, dict):
            return _EXECUTOR
        schema = self._schema
        runtime: Any = field_type
        if is_abstract_type(field_type):
            runtime = schema.get_type(str(value.get("__typename")))
            if not isinstance(runtime, GraphQLObjectType) or not schema.is_sub_type(
                field_type, runtime
            ):
                return _EXECUTOR
        if not isinstance(runtime, GraphQLObjectType):
            return _EXECUTOR
        plan = self._object_shape(nodes, runtime, variables)
        if plan is None:
            return _EXECUTOR
        return self._shape_object(value, runtime, plan, variables)

    def _shape_object(
        self,
        value: dict[str, Any],
        runtime: GraphQLObjectType,
        plan: list[_Shaped],
        variables: Any,
    ) -> Any:
        shaped_object: dict[str, Any] = {}
        for field in plan:
            if field.type is None:
                shaped_object[field.key] = runtime.name
                continue
            field_value = value.get(field.key)
            # a string, boolean or float of a field of that very type is its own answer
            if field.plain is not None and field_value.__class__ is field.plain:
                shaped_object[field.key] = field_value
                continue
            object_type = field.object_type
            if object_type is not None and field_value.__class__ is dict:
                # one object: its plan is kept with the field once known to be plain
                child = field.child or self._child_shape(field, object_type, variables)
                if child is None:
                    return _EXECUTOR
                shaped = self._shape_object(field_value, object_type, child, variables)
            else:
                shaped = self._shape(field_value, field.type, field.nodes, variables)
            if shaped is _EXECUTOR:
                return _EXECUTOR
            shaped_object[field.key] = shaped
        return shaped_object

    def _child_shape(
        self, field: _Shaped, object_type: GraphQLObjectType, variables: Any
    ) -> list[_Shaped] | None:
        plan = self._object_shape(field.nodes, object_type, variables)
        if plan is not None and self._shapes.get(_shape_key(field.nodes, object_type)) is plan:
            field.child = plan  # kept: it depends on no variable
        return plan

    def _object_shape(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> list[_Shaped] | None:
        key = _shape_key(nodes, runtime)
        plan = self._shapes.get(key)
        if plan is None:
            plan = self._shape_plan(nodes, runtime, variables)
            # kept only when no directive (@skip, @include) makes it depend on variables
            if plan is not None and self._plain(nodes):
                self._shapes[key] = plan
        return plan

    def _shape_plan(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> list[_Shaped] | None:
        """Per response key of ``runtime``'s selection: its nodes, its type (None for
        ``__typename``) and the Python type a value needs to be passed as it is; None when
        a field is not one of the type's (introspection)."""
        plan: list[_Shaped] = []
        for response_key, field_nodes in self._fields_of(nodes, runtime, variables).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                plan.append(_Shaped(response_key, field_nodes, None, None))
                continue
            definition = runtime.fields.get(name)
            if definition is None:
                return None
            named = get_named_type(definition.type)
            plan.append(_Shaped(response_key, field_nodes, definition.type, _PLAIN.get(named.name)))
        return plan


def _shape_key(nodes: list[FieldNode], runtime: GraphQLObjectType) -> tuple[str, tuple[int, ...]]:
    return runtime.name, tuple(map(id, nodes))


def _serialized(value: Any, leaf_type: GraphQLLeafType) -> Any:
    """A scalar or enum value as graphql-core serializes it, or ``_EXECUTOR`` when that
    would be an error (graphql-core then reports it)."""
    try:
        serialized = leaf_type.serialize(value)
    except Exception:
        return _EXECUTOR
    return _EXECUTOR if serialized is None or serialized is Undefined else serialized
