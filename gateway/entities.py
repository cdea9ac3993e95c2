"""Entity fetches: the objects of an answer that lack fields another subgraph resolves are
gathered, level by level, and fetched with ``_entities`` — one request per subgraph per
level, holding one aliased ``_entities`` field per distinct selection, each representation
once. Errors are placed where they happened in the client's answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)

from gateway.fetch_context import ErrorMarker, FetchContext, error_marker, mark_path, run_all
from gateway.planning import (
    KEY_PREFIX,
    SubgraphDocument,
    aliased,
    entities_field,
    key_alias,
    operation_document,
    representations_variable,
)
from gateway.selections import merge_nodes
from gateway.subgraphs import SubgraphUnavailable

_LEAF, _OBJECT, _ABSTRACT = 0, 1, 2


class _Step:
    """One requested field of an object type, as the walk over an answer meets it: its
    response key, nodes, type, what kind of value it holds, the subgraph that supplies it
    when the answer lacks it, and (for an object field) the plan of its own selection,
    kept once it is known not to depend on variables."""

    __slots__ = ("child", "key", "kind", "named", "nodes", "owner", "type")

    def __init__(
        self,
        key: str,
        nodes: list[FieldNode],
        field_type: GraphQLOutputType,
        owner: str,
    ) -> None:
        self.key = key
        self.nodes = nodes
        self.type = field_type
        self.owner = owner
        self.named = get_named_type(field_type)
        self.kind = (
            _LEAF
            if nodes[0].selection_set is None
            else _OBJECT
            if isinstance(self.named, GraphQLObjectType)
            else _ABSTRACT
            if is_abstract_type(self.named)
            else _LEAF
        )
        self.child: _Plan | None = None


class _Plan:
    """The requested fields of one object type under some nodes, and, per set of fields an
    object lacks, the needs that makes (by owner, with their signature), worked out once."""

    __slots__ = ("_needs", "steps")

    def __init__(self, steps: list[_Step]) -> None:
        self.steps = steps
        self._needs: dict[tuple[_Step, ...], list[tuple[str, tuple[_Step, ...], Signature]]] = {}

    def needs_of(
        self, missing: tuple[_Step, ...], type_name: str
    ) -> list[tuple[str, tuple[_Step, ...], Signature]]:
        found = self._needs.get(missing)
        if found is None:
            by_owner: dict[str, list[_Step]] = {}
            for step in missing:
                by_owner.setdefault(step.owner, []).append(step)
            found = self._needs[missing] = [
                (owner, tuple(steps), _signature(type_name, steps))
                for owner, steps in by_owner.items()
            ]
        return found


# what an entity fetch asks for: the type and each field's response key and nodes (by identity)
Signature = tuple[Any, ...]
# an object type and the nodes (by identity) that select its fields
_PlanKey = tuple[str, tuple[int, ...]]


@dataclass(slots=True)
class EntityPlans:
    """What the walk over answers and the ``_entities`` fetches work out once per document,
    kept with it: written here only."""

    # the requested fields of an object type under some nodes (only plans that depend on no
    # variable: no @skip/@include under the nodes)
    objects: dict[_PlanKey, _Plan] = field(default_factory=dict)
    # the ``_entities`` document for a subgraph and the signatures of its groups
    documents: dict[tuple[str, tuple[Signature, ...]], SubgraphDocument] = field(
        default_factory=dict
    )


@dataclass(slots=True)
class EntityNeed:
    """An entity object missing some requested fields that ``subgraph`` resolves."""

    target: dict[str, Any]
    type_name: str
    subgraph: str
    fields: tuple[_Step, ...]
    signature: Signature


class EntityFetcher:
    """Finds the entities an answer still lacks fields of, and fetches them."""

    def __init__(self, context: FetchContext, plans: EntityPlans | None = None) -> None:
        self.context = context
        plans = EntityPlans() if plans is None else plans
        # held here so the walk over every object of an answer looks nothing up twice
        self._supergraph = context.supergraph
        self._objects = plans.objects
        self._documents = plans.documents
        self._plain = context.plain
        self._fields_of = context.fields_of

    def collect(
        self,
        value: Any,
        nodes: list[FieldNode],
        field_type: GraphQLOutputType,
        subgraph: str,
        variables: Any,
        needs: list[EntityNeed],
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

    def _walk(
        self, value: Any, step: _Step, subgraph: str, variables: Any, needs: list[EntityNeed]
    ) -> None:
        """Walk the value of an object or abstract field ``step``."""
        if value is None or isinstance(value, ErrorMarker):
            return
        if step.kind == _OBJECT:
            named = step.named
            assert isinstance(named, GraphQLObjectType)
            plan = step.child
            if plan is None:
                found = self._collect_plan(step.nodes, named, variables)
                if self._objects.get(_plan_key(step.nodes, named)) is found:
                    step.child = found  # kept: it depends on no variable
                plan = found
            self._collect_objects(value, named, plan, subgraph, variables, needs)
        else:
            self._collect_abstract(value, step.nodes, subgraph, variables, needs)

    def _collect_abstract(
        self,
        value: Any,
        nodes: list[FieldNode],
        subgraph: str,
        variables: Any,
        needs: list[EntityNeed],
    ) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect_abstract(item, nodes, subgraph, variables, needs)
            return
        if not isinstance(value, dict):
            return
        runtime = self._supergraph.schema.get_type(str(value.get("__typename")))
        if isinstance(runtime, GraphQLObjectType):
            plan = self._collect_plan(nodes, runtime, variables)
            self._collect_objects(value, runtime, plan, subgraph, variables, needs)

    def _collect_objects(
        self,
        value: Any,
        runtime: GraphQLObjectType,
        plan: _Plan,
        subgraph: str,
        variables: Any,
        needs: list[EntityNeed],
    ) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect_objects(item, runtime, plan, subgraph, variables, needs)
            return
        if not isinstance(value, dict):
            return
        missing: list[_Step] | None = None
        for step in plan.steps:
            if step.key in value:
                if step.kind:
                    self._walk(value[step.key], step, subgraph, variables, needs)
            elif missing is None:
                missing = [step]
            else:
                missing.append(step)
        if missing is not None:
            type_name = runtime.name
            for owner, fields, signature in plan.needs_of(tuple(missing), type_name):
                needs.append(EntityNeed(value, type_name, owner, fields, signature))

    def _collect_plan(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> _Plan:
        key = _plan_key(nodes, runtime)
        plan = self._objects.get(key)
        if plan is None:
            plan = self._field_plan(nodes, runtime, variables)
            # kept only when no directive (@skip, @include) makes it depend on variables
            if self._plain(nodes):
                self._objects[key] = plan
        return plan

    def _field_plan(
        self, nodes: list[FieldNode], runtime: GraphQLObjectType, variables: Any
    ) -> _Plan:
        """Per requested field of ``runtime``: its response key, nodes, type, what it holds,
        and which subgraph supplies it when the answer lacks it."""
        steps = []
        for response_key, field_nodes in self._fields_of(nodes, runtime, variables).items():
            name = field_nodes[0].name.value
            definition = runtime.fields.get(name)
            if name == "__typename" or definition is None:
                continue
            owner = self._owner_for(runtime.name, name)
            steps.append(_Step(response_key, field_nodes, definition.type, owner))
        return _Plan(steps)

    def _owner_for(self, type_name: str, field_name: str) -> str:
        owners = self._supergraph.owners(type_name, field_name)
        for owner in owners:
            if self._supergraph.resolvable_key(type_name, owner) is not None:
                return owner
        return owners[0] if owners else ""

    async def resolve(self, needs: list[EntityNeed], variables: Any) -> None:
        """Fetch what the needs ask for, level by level, until nothing is missing."""
        while needs:
            by_subgraph: dict[str, dict[tuple[Any, ...], list[EntityNeed]]] = {}
            for need in needs:
                by_subgraph.setdefault(need.subgraph, {}).setdefault(need.signature, []).append(
                    need
                )
            rounds = [
                self._fetch(subgraph, list(groups.values()), variables)
                for subgraph, groups in by_subgraph.items()
            ]
            next_needs: list[EntityNeed] = []
            for found in await run_all(rounds):
                next_needs.extend(found)
            needs = next_needs

    async def _fetch(
        self, subgraph: str, groups: list[list[EntityNeed]], variables: Any
    ) -> list[EntityNeed]:
        """One ``_entities`` request to ``subgraph`` for every group of needs; what its answer
        still lacks (from further subgraphs) is returned for the next level."""
        signatures = tuple(group[0].signature for group in groups)
        document = self._documents.get((subgraph, signatures))
        if document is None:
            document = self._documents[subgraph, signatures] = self._document(subgraph, groups)
        query, used = document
        representation_sets, targets = self._representations(subgraph, groups)
        variables_out = {
            name: value for name, value in self.context.raw_variables.items() if name in used
        }
        variables_out.update(
            {_representations(i): reps for i, reps in enumerate(representation_sets)}
        )
        try:
            response = await self.context.call(subgraph, query, variables_out)
        except SubgraphUnavailable as unavailable:
            marker = ErrorMarker(
                str(unavailable), {"code": "SUBGRAPH_UNAVAILABLE", "service": subgraph}
            )
            for owners in targets:
                for needs_at in owners:
                    for need in needs_at:
                        _mark_fields(need, marker)
            return []
        next_needs = self._merge(subgraph, response.data or {}, targets, variables)
        self._place_errors(response.errors, targets)
        return next_needs

    def _document(self, subgraph: str, groups: list[list[EntityNeed]]) -> SubgraphDocument:
        """The ``_entities`` document: one aliased field (``e0``, ``e1``…) per group, each
        asking for the group's missing fields as ``subgraph`` can resolve them."""
        selections = []
        for index, group in enumerate(groups):
            first = group[0]
            runtime = self._supergraph.schema.get_type(first.type_name)
            assert isinstance(runtime, GraphQLObjectType)
            wanted = [aliased(merge_nodes(step.nodes), step.key) for step in first.fields]
            projected = self.context.planner.project(
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
                *(self.context.operation.variable_definitions or ()),
            ],
        )

    def _representations(
        self, subgraph: str, groups: list[list[EntityNeed]]
    ) -> tuple[list[list[dict[str, Any]]], list[list[list[EntityNeed]]]]:
        """Per group, each distinct representation once, and per representation the needs
        its answer fills. A need ``subgraph`` has no key for is marked as an error."""
        representation_sets: list[list[dict[str, Any]]] = []
        targets: list[list[list[EntityNeed]]] = []
        for group in groups:
            type_name = group[0].type_name
            key = self._supergraph.resolvable_key(type_name, subgraph)
            key_fields = [(name, key_alias(name)) for name in key.fields] if key else []
            representations: list[dict[str, Any]] = []
            positions: dict[tuple[Any, ...], int] = {}
            owners: list[list[EntityNeed]] = []
            for need in group:
                if key is None:
                    _mark_fields(need, ErrorMarker(f"No service can resolve {type_name} here."))
                    continue
                target = need.target
                representation: dict[str, Any] = {"__typename": type_name}
                for name, alias in key_fields:
                    representation[name] = target[alias] if alias in target else target.get(name)
                signature = tuple(representation.items())
                if signature not in positions:
                    positions[signature] = len(representations)
                    representations.append(representation)
                    owners.append([])
                owners[positions[signature]].append(need)
            representation_sets.append(representations)
            targets.append(owners)
        return representation_sets, targets

    def _merge(
        self,
        subgraph: str,
        data: Mapping[str, Any],
        targets: list[list[list[EntityNeed]]],
        variables: Any,
    ) -> list[EntityNeed]:
        """Copy each entity's answer into the objects that needed it; collect what the merged
        fields in turn still lack."""
        next_needs: list[EntityNeed] = []
        for index, owners in enumerate(targets):
            results = data.get(f"e{index}")
            for position, needs_at in enumerate(owners):
                result = (
                    results[position]
                    if isinstance(results, list) and position < len(results)
                    else None
                )
                for need in needs_at:
                    _fill(need, result, answered=isinstance(results, list), subgraph=subgraph)
                    if isinstance(result, dict):
                        for step in need.fields:
                            if step.kind:
                                target = need.target.get(step.key)
                                self._walk(target, step, subgraph, variables, next_needs)
        return next_needs

    def _place_errors(
        self, errors: list[dict[str, Any]], targets: list[list[list[EntityNeed]]]
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
                            mark_path(need.target, path[2:], error_marker(error))
                        else:
                            _mark_fields(need, error_marker(error))
                    continue
            self.context.extra_errors.append(GraphQLError(str(error.get("message", "Error"))))


def _fill(need: EntityNeed, result: Any, *, answered: bool, subgraph: str) -> None:
    """Put one entity's answer into ``need``'s object (with the keys it carries, for later
    levels); when the subgraph gave no list at all, mark the fields unresolved."""
    target = need.target
    if isinstance(result, dict):
        for step in need.fields:
            target[step.key] = result.get(step.key)
        if len(result) > len(need.fields):  # keys asked for the next level
            for extra, extra_value in result.items():
                if extra not in target and extra.startswith(KEY_PREFIX):
                    target[extra] = extra_value
    elif result is None and not answered:
        for step in need.fields:
            target[step.key] = ErrorMarker(
                f"The {subgraph} service could not resolve this {need.type_name}."
            )


def _mark_fields(need: EntityNeed, marker: ErrorMarker) -> None:
    for step in need.fields:
        need.target[step.key] = marker


def _representations(index: int) -> str:
    """The variable holding one group's representations (kept clear of clients' names)."""
    return f"_wnwaRepresentations{index}"


def _signature(type_name: str, steps: list[_Step]) -> Signature:
    return (type_name, *((step.key, *map(id, step.nodes)) for step in steps))


def _plan_key(nodes: list[FieldNode], runtime: GraphQLObjectType) -> _PlanKey:
    return runtime.name, tuple(map(id, nodes))
