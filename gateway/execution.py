"""Executing a client operation over the subgraphs.

graphql-core validates and executes the operation against the composed API schema, so
aliases, fragments, variables, ``@skip``/``@include``, lists, null propagation, ``__typename``
and error paths follow the specification by construction. Only two kinds of resolver exist:

- a root field is fetched from its owning subgraph; a query's root fields that share a
  subgraph travel in one request; a mutation's run one at a time, in order;
- every other field reads the value the subgraphs returned (under its response key).

After each subgraph answer, the entities in it that need fields from another subgraph are
gathered, level by level, and fetched with ``_entities``: one request per subgraph per level,
holding one aliased ``_entities`` field per distinct selection, each representation once.
Subgraph errors are placed where they happened, so graphql-core reports them at the right
path and nulls out exactly what the specification says.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_directive_values
from graphql.pyutils import Undefined

from gateway.planning import (
    KEY_PREFIX,
    SelectionPlanner,
    aliased,
    entities_field,
    key_alias,
    operation_document,
    representations_variable,
)
from gateway.subgraphs import SubgraphClient, SubgraphResponse, SubgraphUnavailable
from gateway.supergraph import Supergraph

# a root field to fetch: response key, field node, type, variable values
_Entry = tuple[str, FieldNode, GraphQLOutputType, Any]
# a field of an object in the answer: response key, its nodes, its type (None: __typename),
# the Python type of a value that is its own serialization (None: ask the type)
_Shaped = tuple[str, list[FieldNode], GraphQLOutputType | None, type | None]
# scalars whose values of this Python type serialize to themselves (graphql-core's rules)
_PLAIN: dict[str, type] = {"String": str, "Boolean": bool, "Float": float, "ID": str}
_Result = TypeVar("_Result")
# stands for "this answer needs graphql-core's own completion" while shaping one directly
_EXECUTOR = object()


@dataclass(frozen=True, slots=True)
class ErrorMarker:
    """Stands where a subgraph reported an error; reading it raises that error."""

    message: str
    extensions: Mapping[str, Any] | None = None


@dataclass(slots=True)
class _Need:
    """An entity object missing some requested fields that ``subgraph`` resolves."""

    target: dict[str, Any]
    type_name: str
    subgraph: str
    fields: list[tuple[str, list[FieldNode], GraphQLOutputType]]


@dataclass(slots=True)
class _RootBatch:
    entries: list[_Entry] = field(default_factory=list)
    future: asyncio.Future[dict[str, Any]] | None = None


class OperationExecution:
    """The context of one client operation: its subgraph calls and their answers."""

    def __init__(
        self,
        *,
        supergraph: Supergraph,
        client: SubgraphClient,
        operation: OperationDefinitionNode,
        planner: SelectionPlanner,
        variables: Mapping[str, Any],
        authorization: str | None,
        plans: dict[Any, Any] | None = None,
        answered: Mapping[str, SubgraphResponse | SubgraphUnavailable] | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.client = client
        self.operation = operation
        self.planner = planner
        self.raw_variables = dict(variables)
        self.authorization = authorization
        self.extra_errors: list[GraphQLError] = []
        self._batches: dict[str, _RootBatch] = {}
        self._dispatches: set[asyncio.Task[None]] = set()  # held so none is collected mid-flight
        # what depends only on the document (merged and inlined nodes, subgraph documents),
        # kept with the cached document and keyed by its nodes' identity
        self._plans = {} if plans is None else plans
        # a subgraph's answer to this whole operation, already received and holding no data
        # (a request error, or the service unreachable): its root fields are answered from it
        self._answered = dict(answered or {})
        # root fields already fetched (with their entities) by answer_directly
        self._fetched: dict[str, Any] = {}

    def _memo(self, key: tuple[Any, ...], make: Any) -> Any:
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = make()
        return found

    def _inline(self, node: FieldNode) -> FieldNode:
        inlined: FieldNode = self._memo(
            ("inline", id(node)), lambda: self.planner.inline_fragments(node)
        )
        return inlined

    # -- resolvers --------------------------------------------------------------------------

    async def resolve_root(self, info: GraphQLResolveInfo[Any]) -> Any:
        if str(info.path.key) in self._fetched:
            value = self._fetched[str(info.path.key)]
            if isinstance(value, ErrorMarker):
                raise GraphQLError(value.message, extensions=dict(value.extensions or {}) or None)
            return value
        owners = self.supergraph.owners(info.parent_type.name, info.field_name)
        if not owners:
            raise GraphQLError(f"No service resolves {info.parent_type.name}.{info.field_name}.")
        subgraph = owners[0]
        nodes = info.field_nodes
        node = self._memo(("merge", *map(id, nodes)), lambda: _merge_nodes(nodes))
        entry: _Entry = (str(info.path.key), node, info.return_type, info.variable_values)
        if self.operation.operation == OperationType.MUTATION:
            data = await self._fetch_roots(subgraph, [entry])
        else:
            data = await self._batched(subgraph, entry)
        value = data.get(str(info.path.key))
        if isinstance(value, ErrorMarker):
            raise GraphQLError(value.message, extensions=dict(value.extensions or {}) or None)
        return value

    async def _batched(self, subgraph: str, entry: _Entry) -> dict[str, Any]:
        batch = self._batches.get(subgraph)
        if batch is None or (batch.future is not None and batch.future.done()):
            batch = self._batches[subgraph] = _RootBatch()
        batch.entries.append(entry)
        if batch.future is None:
            loop = asyncio.get_running_loop()
            batch.future = loop.create_future()
            # dispatch once every sibling root resolver of this tick has joined the batch
            loop.call_soon(self._start_dispatch, subgraph, batch)
        return await asyncio.shield(batch.future)

    def _start_dispatch(self, subgraph: str, batch: _RootBatch) -> None:
        task = asyncio.ensure_future(self._dispatch(subgraph, batch))
        self._dispatches.add(task)
        task.add_done_callback(self._dispatches.discard)

    async def _dispatch(self, subgraph: str, batch: _RootBatch) -> None:
        assert batch.future is not None
        entries = list(batch.entries)
        del self._batches[subgraph]
        try:
            batch.future.set_result(await self._fetch_roots(subgraph, entries))
        except Exception as error:  # handed to every waiting resolver
            batch.future.set_exception(error)

    async def _fetch_roots(self, subgraph: str, entries: list[_Entry]) -> dict[str, Any]:
        root_type = (
            self.supergraph.schema.mutation_type
            if self.operation.operation == OperationType.MUTATION
            else self.supergraph.schema.query_type
        )
        assert root_type is not None

        def plan() -> tuple[str, set[str]]:
            selections = []
            for response_key, node, return_type, _ in entries:
                inlined = self._inline(node)
                named = get_named_type(return_type)
                if is_composite_type(named):
                    inlined = _with_selection(
                        inlined,
                        self.planner.project(inlined.selection_set, named, subgraph),
                    )
                selections.append(aliased(inlined, str(response_key)))
            return operation_document(
                self.operation.operation,
                self.operation.name.value if self.operation.name else None,
                selections,
                self.operation.variable_definitions or (),
            )

        plan_key = ("root", subgraph, *((key, id(node)) for key, node, *_ in entries))
        query, used = self._memo(plan_key, plan)
        variables = {name: v for name, v in self.raw_variables.items() if name in used}
        try:
            answered = self._answered.get(subgraph)
            if isinstance(answered, SubgraphUnavailable):
                raise answered
            response = answered or await self._call(subgraph, query, variables)
        except SubgraphUnavailable as unavailable:
            marker = ErrorMarker(
                str(unavailable), {"code": "SUBGRAPH_UNAVAILABLE", "service": subgraph}
            )
            return {str(key): marker for key, *_ in entries}
        data: dict[str, Any] = dict(response.data or {})
        self._place_errors(response, data, [str(key) for key, *_ in entries])
        needs: list[_Need] = []
        for response_key, node, return_type, variables in entries:
            value = data.get(str(response_key))
            if node.selection_set is not None and value is not None:
                inlined = self._inline(node)
                self._collect(value, [inlined], return_type, subgraph, variables, needs)
        await self._resolve_needs(needs, entries[0][3])
        return data

    # -- answering a query without graphql-core's executor ----------------------------------

    async def answer_directly(self, variables: VariableValues) -> dict[str, Any] | None:
        """The ``data`` of a query, fetched as graphql-core would fetch it and shaped from the
        subgraphs' answers directly, which costs a fraction of the executor's per-field work.

        None when any part needs the executor's exact handling — an error, a null where the
        schema forbids one, a value to coerce, introspection: graphql-core then answers from
        the very same subgraph answers (nothing is fetched twice). ``variables`` are the
        coerced variable values.
        """
        root = self.supergraph.schema.query_type
        if self.operation.operation != OperationType.QUERY or root is None:
            return None
        fields = self._fields_of([self.operation], root, variables)
        by_subgraph: dict[str, list[_Entry]] = {}
        for response_key, nodes in fields.items():
            definition = root.fields.get(nodes[0].name.value)
            owners = self.supergraph.owners(root.name, nodes[0].name.value)
            if definition is None or not owners:
                return None  # introspection, or a field no service resolves
            node = self._memo(("merge", *map(id, nodes)), lambda nodes=nodes: _merge_nodes(nodes))
            by_subgraph.setdefault(owners[0], []).append(
                (response_key, node, definition.type, variables)
            )
        subgraphs = list(by_subgraph)
        answers = await _all(self._fetch_roots(s, by_subgraph[s]) for s in subgraphs)
        for subgraph, data in zip(subgraphs, answers, strict=True):
            for response_key, *_ in by_subgraph[subgraph]:
                self._fetched[response_key] = data.get(response_key)
        shaped: dict[str, Any] = {}
        for response_key, nodes in fields.items():
            field_type = root.fields[nodes[0].name.value].type
            value = self._shape(self._fetched[response_key], field_type, nodes, variables)
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
        schema = self.supergraph.schema
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
        for response_key, field_nodes, sub_type, plain in plan:
            if sub_type is None:
                shaped_object[response_key] = runtime.name
                continue
            field_value = value.get(response_key)
            # a string, boolean or float of a field of that very type is its own answer
            if plain is not None and field_value.__class__ is plain:
                shaped_object[response_key] = field_value
                continue
            shaped = self._shape(field_value, sub_type, field_nodes, variables)
            if shaped is _EXECUTOR:
                return _EXECUTOR
            shaped_object[response_key] = shaped
        return shaped_object

    def _object_shape(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> list[_Shaped] | None:
        key = ("shape", runtime.name, *map(id, nodes))
        plan: list[_Shaped] | None = self._plans.get(key)
        if plan is None:
            plan = self._shape_plan(nodes, runtime, variables)
            # kept only when no directive (@skip, @include) makes it depend on variables
            if plan is not None and self._memo(
                ("plain", *map(id, nodes)), lambda: not _has_directives(nodes)
            ):
                self._plans[key] = plan
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
                plan.append((response_key, field_nodes, None, None))
                continue
            definition = runtime.fields.get(name)
            if definition is None:
                return None
            named = get_named_type(definition.type)
            plan.append((response_key, field_nodes, definition.type, _PLAIN.get(named.name)))
        return plan

    # -- entity fetches ---------------------------------------------------------------------

    def _collect(
        self,
        value: Any,
        nodes: list[FieldNode],
        field_type: GraphQLOutputType,
        subgraph: str,
        variables: Any,
        needs: list[_Need],
    ) -> None:
        """Walk a subgraph's answer; record entities that lack requested fields."""
        if value is None or isinstance(value, ErrorMarker):
            return
        named = get_named_type(field_type)
        if isinstance(named, GraphQLObjectType):
            # one object type: its plan is looked up once for a whole list of them
            plan = self._collect_plan(nodes, named, variables)
            self._collect_objects(value, named, plan, subgraph, variables, needs)
        elif is_abstract_type(named):
            self._collect_abstract(value, nodes, subgraph, variables, needs)

    def _collect_abstract(
        self, value: Any, nodes: list[FieldNode], subgraph: str, variables: Any, needs: list[_Need]
    ) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect_abstract(item, nodes, subgraph, variables, needs)
            return
        if not isinstance(value, dict):
            return
        runtime = self.supergraph.schema.get_type(str(value.get("__typename")))
        if isinstance(runtime, GraphQLObjectType):
            plan = self._collect_plan(nodes, runtime, variables)
            self._collect_objects(value, runtime, plan, subgraph, variables, needs)

    def _collect_objects(
        self,
        value: Any,
        runtime: GraphQLObjectType,
        plan: list[tuple[str, list[FieldNode], GraphQLOutputType, bool, str]],
        subgraph: str,
        variables: Any,
        needs: list[_Need],
    ) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect_objects(item, runtime, plan, subgraph, variables, needs)
            return
        if not isinstance(value, dict):
            return
        missing: dict[str, list[tuple[str, list[FieldNode], GraphQLOutputType]]] = {}
        for response_key, field_nodes, field_type, nested, owner in plan:
            if response_key in value:
                if nested:
                    self._collect(
                        value[response_key], field_nodes, field_type, subgraph, variables, needs
                    )
                continue
            missing.setdefault(owner, []).append((response_key, field_nodes, field_type))
        for owner, fields in missing.items():
            needs.append(_Need(target=value, type_name=runtime.name, subgraph=owner, fields=fields))

    def _collect_plan(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> list[tuple[str, list[FieldNode], GraphQLOutputType, bool, str]]:
        key = ("fields", runtime.name, *map(id, nodes))
        plan: list[tuple[str, list[FieldNode], GraphQLOutputType, bool, str]] | None
        plan = self._plans.get(key)
        if plan is None:
            plan = self._field_plan(nodes, runtime, variables)
            # kept only when no directive (@skip, @include) makes it depend on variables
            if self._memo(("plain", *map(id, nodes)), lambda: not _has_directives(nodes)):
                self._plans[key] = plan
        return plan

    def _field_plan(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> list[tuple[str, list[FieldNode], GraphQLOutputType, bool, str]]:
        """Per requested field of ``runtime``: its response key, nodes, type, whether it has
        a selection to walk, and which subgraph supplies it when the answer lacks it."""
        plan = []
        for response_key, field_nodes in self._fields_of(nodes, runtime, variables).items():
            name = field_nodes[0].name.value
            definition = runtime.fields.get(name)
            if name == "__typename" or definition is None:
                continue
            nested = field_nodes[0].selection_set is not None
            owner = self._owner_for(runtime.name, name)
            plan.append((response_key, field_nodes, definition.type, nested, owner))
        return plan

    def _owner_for(self, type_name: str, field_name: str) -> str:
        owners = self.supergraph.owners(type_name, field_name)
        for owner in owners:
            if self.supergraph.resolvable_key(type_name, owner) is not None:
                return owner
        return owners[0] if owners else ""

    def _fields_of(
        self,
        nodes: Sequence[FieldNode | OperationDefinitionNode],
        runtime: GraphQLObjectType,
        variables: Any,
    ) -> dict[str, list[FieldNode]]:
        """The fields selected under ``nodes`` on ``runtime``, by response key, fragments
        followed and ``@skip``/``@include`` applied (as graphql-core collects them)."""
        grouped: dict[str, list[FieldNode]] = {}

        def visit(selection_set: SelectionSetNode | None) -> None:
            for selection in selection_set.selections if selection_set else ():
                if not _included(selection, variables):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is None or self._applies(condition.name.value, runtime):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.planner.fragments.get(selection.name.value)
                    if fragment is not None and self._applies(
                        fragment.type_condition.name.value, runtime
                    ):
                        visit(fragment.selection_set)

        for node in nodes:
            visit(node.selection_set)
        return grouped

    def _applies(self, condition: str, runtime: GraphQLObjectType) -> bool:
        if condition == runtime.name:
            return True
        condition_type = self.supergraph.schema.get_type(condition)
        return is_abstract_type(condition_type) and self.supergraph.schema.is_sub_type(
            condition_type,
            runtime,
        )

    async def _resolve_needs(self, needs: list[_Need], variables: Any) -> None:
        """Fetch what the needs ask for, level by level, until nothing is missing."""
        while needs:
            by_subgraph: dict[str, dict[tuple[Any, ...], list[_Need]]] = {}
            for need in needs:
                signature = _signature(need)
                by_subgraph.setdefault(need.subgraph, {}).setdefault(signature, []).append(need)
            rounds = [
                self._fetch_entities(subgraph, list(groups.values()), variables)
                for subgraph, groups in by_subgraph.items()
            ]
            next_needs: list[_Need] = []
            for found in await _all(rounds):
                next_needs.extend(found)
            needs = next_needs

    async def _fetch_entities(
        self, subgraph: str, groups: list[list[_Need]], variables: Any
    ) -> list[_Need]:
        """One ``_entities`` request to ``subgraph`` for every group of needs; what its answer
        still lacks (from further subgraphs) is returned for the next level."""
        signatures = tuple(_signature(group[0]) for group in groups)
        query, used = self._memo(
            ("entities", subgraph, *signatures), lambda: self._entities_document(subgraph, groups)
        )
        representation_sets, targets = self._representations(subgraph, groups)
        variables_out = {name: value for name, value in self.raw_variables.items() if name in used}
        variables_out.update(
            {_representations(i): reps for i, reps in enumerate(representation_sets)}
        )
        try:
            response = await self._call(subgraph, query, variables_out)
        except SubgraphUnavailable as unavailable:
            marker = ErrorMarker(
                str(unavailable), {"code": "SUBGRAPH_UNAVAILABLE", "service": subgraph}
            )
            for owners in targets:
                for needs_at in owners:
                    for need in needs_at:
                        self._mark_fields(need, marker)
            return []
        next_needs = self._merge_entities(subgraph, response.data or {}, targets, variables)
        self._place_entity_errors(response.errors, targets)
        return next_needs

    def _entities_document(self, subgraph: str, groups: list[list[_Need]]) -> tuple[str, set[str]]:
        """The ``_entities`` document: one aliased field (``e0``, ``e1``…) per group, each
        asking for the group's missing fields as ``subgraph`` can resolve them."""
        selections = []
        for index, group in enumerate(groups):
            first = group[0]
            runtime = self.supergraph.schema.get_type(first.type_name)
            assert isinstance(runtime, GraphQLObjectType)
            wanted = [
                aliased(_merge_nodes(nodes), response_key)
                for response_key, nodes, _ in first.fields
            ]
            projected = self.planner.project(
                SelectionSetNode(selections=tuple(wanted)), runtime, subgraph
            )
            assert projected is not None
            selections.append(
                entities_field(f"e{index}", _representations(index), first.type_name, projected)
            )
        # the client's own variables travel too when the selection uses them (@include…)
        return operation_document(
            OperationType.QUERY,
            None,
            selections,
            [
                *(representations_variable(_representations(i)) for i in range(len(groups))),
                *(self.operation.variable_definitions or ()),
            ],
        )

    def _representations(
        self, subgraph: str, groups: list[list[_Need]]
    ) -> tuple[list[list[dict[str, Any]]], list[list[list[_Need]]]]:
        """Per group, each distinct representation once, and per representation the needs
        its answer fills. A need ``subgraph`` has no key for is marked as an error."""
        representation_sets: list[list[dict[str, Any]]] = []
        targets: list[list[list[_Need]]] = []
        for group in groups:
            type_name = group[0].type_name
            key = self.supergraph.resolvable_key(type_name, subgraph)
            representations: list[dict[str, Any]] = []
            positions: dict[tuple[Any, ...], int] = {}
            owners: list[list[_Need]] = []
            for need in group:
                if key is None:
                    self._mark_fields(
                        need, ErrorMarker(f"No service can resolve {type_name} here.")
                    )
                    continue
                representation: dict[str, Any] = {"__typename": type_name}
                for key_field in key.fields:
                    representation[key_field] = need.target.get(
                        key_alias(key_field), need.target.get(key_field)
                    )
                signature = tuple(representation.items())
                if signature not in positions:
                    positions[signature] = len(representations)
                    representations.append(representation)
                    owners.append([])
                owners[positions[signature]].append(need)
            representation_sets.append(representations)
            targets.append(owners)
        return representation_sets, targets

    def _merge_entities(
        self,
        subgraph: str,
        data: Mapping[str, Any],
        targets: list[list[list[_Need]]],
        variables: Any,
    ) -> list[_Need]:
        """Copy each entity's answer into the objects that needed it; collect what the merged
        fields in turn still lack."""
        next_needs: list[_Need] = []
        for index, owners in enumerate(targets):
            results = data.get(f"e{index}")
            for position, needs_at in enumerate(owners):
                result = (
                    results[position]
                    if isinstance(results, list) and position < len(results)
                    else None
                )
                for need in needs_at:
                    self._fill(need, result, answered=isinstance(results, list), subgraph=subgraph)
                    if isinstance(result, dict):
                        for response_key, nodes, field_type in need.fields:
                            self._collect(
                                need.target.get(response_key),
                                nodes,
                                field_type,
                                subgraph,
                                variables,
                                next_needs,
                            )
        return next_needs

    def _fill(self, need: _Need, result: Any, *, answered: bool, subgraph: str) -> None:
        """Put one entity's answer into ``need``'s object (with the keys it carries, for
        later levels); when the subgraph gave no list at all, mark the fields unresolved."""
        for response_key, _, _ in need.fields:
            if isinstance(result, dict):
                need.target[response_key] = result.get(response_key)
            elif result is None and not answered:
                need.target[response_key] = ErrorMarker(
                    f"The {subgraph} service could not resolve this {need.type_name}."
                )
        if isinstance(result, dict):
            for extra, extra_value in result.items():
                if extra.startswith(KEY_PREFIX) and extra not in need.target:
                    need.target[extra] = extra_value

    def _place_entity_errors(
        self, errors: list[dict[str, Any]], targets: list[list[list[_Need]]]
    ) -> None:
        """Each error of an ``_entities`` answer where it happened in the client's answer
        (``e<group>.<position>.…``); one without such a path is reported as is."""
        for error in errors:
            path = error.get("path")
            if isinstance(path, list) and len(path) >= 2 and isinstance(path[1], int):
                group_index = int(str(path[0])[1:]) if str(path[0]).startswith("e") else -1
                if 0 <= group_index < len(targets) and path[1] < len(targets[group_index]):
                    for need in targets[group_index][path[1]]:
                        if len(path) > 2:
                            _mark_path(need.target, path[2:], _marker(error))
                        else:
                            self._mark_fields(need, _marker(error))
                    continue
            self.extra_errors.append(GraphQLError(str(error.get("message", "Error"))))

    def _mark_fields(self, need: _Need, marker: ErrorMarker) -> None:
        for response_key, _, _ in need.fields:
            need.target[response_key] = marker

    # -- plumbing ---------------------------------------------------------------------------

    async def _call(
        self, subgraph: str, query: str, variables: Mapping[str, Any]
    ) -> SubgraphResponse:
        if self.operation.operation == OperationType.QUERY:
            return await self.client.fetch_query(
                subgraph, query, variables, authorization=self.authorization
            )
        return await self.client.fetch(subgraph, query, variables, authorization=self.authorization)

    def _place_errors(
        self, response: SubgraphResponse, data: dict[str, Any], keys: list[str]
    ) -> None:
        for error in response.errors:
            path = error.get("path")
            if isinstance(path, list) and path and str(path[0]) in keys:
                _mark_path(data, path, _marker(error))
            elif response.data is None:
                for key in keys:
                    data[key] = _marker(error)
            else:
                self.extra_errors.append(GraphQLError(str(error.get("message", "Error"))))


async def _all(calls: Iterable[Coroutine[Any, Any, _Result]]) -> list[_Result]:
    """The results of ``calls``, run concurrently; a lone call is awaited as it is (a task
    of its own would only cost time)."""
    pending = list(calls)
    if len(pending) == 1:
        return [await pending[0]]
    return list(await asyncio.gather(*pending))


def _representations(index: int) -> str:
    """The variable holding one group's representations (kept clear of clients' names)."""
    return f"_wnwaRepresentations{index}"


def _signature(need: _Need) -> tuple[Any, ...]:
    """What an entity fetch asks for: the type and each field's nodes (by identity)."""
    return (need.type_name, *((key, *map(id, nodes)) for key, nodes, _ in need.fields))


def _has_directives(nodes: list[FieldNode]) -> bool:
    """Whether any selection directly under ``nodes`` (fragments included) has directives."""

    def check(selection_set: SelectionSetNode | None) -> bool:
        for selection in selection_set.selections if selection_set else ():
            if selection.directives:
                return True
            if isinstance(selection, InlineFragmentNode) and check(selection.selection_set):
                return True
        return False

    return any(check(node.selection_set) for node in nodes)


def _marker(error: Mapping[str, Any]) -> ErrorMarker:
    extensions = error.get("extensions")
    safe = (
        {k: v for k, v in extensions.items() if k == "code"}
        if isinstance(extensions, dict)
        else None
    )
    return ErrorMarker(str(error.get("message", "Error")), safe or None)


def _mark_path(container: Any, path: list[Any], marker: ErrorMarker) -> None:
    """Put ``marker`` where ``path`` leads (as deep as the data goes)."""
    for index, segment in enumerate(path):
        last = index == len(path) - 1
        if isinstance(container, dict) and isinstance(segment, str):
            if last or not isinstance(container.get(segment), dict | list):
                if container.get(segment) is None or last:
                    container[segment] = marker
                return
            container = container[segment]
        elif (
            isinstance(container, list)
            and isinstance(segment, int)
            and 0 <= segment < len(container)
        ):
            if last or not isinstance(container[segment], dict | list):
                container[segment] = marker
                return
            container = container[segment]
        else:
            return


def _serialized(value: Any, leaf_type: GraphQLLeafType) -> Any:
    """A scalar or enum value as graphql-core serializes it, or ``_EXECUTOR`` when that
    would be an error (graphql-core then reports it)."""
    try:
        serialized = leaf_type.serialize(value)
    except Exception:
        return _EXECUTOR
    return _EXECUTOR if serialized is None or serialized is Undefined else serialized


def _included(selection: Any, variables: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, selection, variables)
    if skip and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, selection, variables)
    return not (include and include.get("if") is False)


def _merge_nodes(nodes: list[FieldNode]) -> FieldNode:
    """One field node holding the selections of all nodes answering one response key."""
    if len(nodes) == 1 or nodes[0].selection_set is None:
        return nodes[0]
    selections = tuple(
        s for node in nodes for s in (node.selection_set.selections if node.selection_set else ())
    )
    return _with_selection(nodes[0], SelectionSetNode(selections=selections))


def _with_selection(node: FieldNode, selection_set: SelectionSetNode | None) -> FieldNode:
    return dataclasses.replace(node, selection_set=selection_set)


def resolve_field(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
    """The gateway's one resolver: root fields fetch, others read the answer."""
    if info.parent_type in (info.schema.query_type, info.schema.mutation_type):
        execution: OperationExecution = info.context
        return execution.resolve_root(info)
    if not isinstance(source, dict):
        return None
    value = source.get(str(info.path.key))
    if isinstance(value, ErrorMarker):
        raise GraphQLError(value.message, extensions=dict(value.extensions or {}) or None)
    return value
