"""What every fetch of one client operation shares: the operation, the subgraph calls, the
plans kept with the cached document, and the markers that stand where a subgraph failed."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    is_abstract_type,
)

from gateway.planning import SelectionPlanner
from gateway.selections import has_directives, included, merge_nodes
from gateway.subgraphs import SubgraphCalls, SubgraphResponse
from gateway.supergraph import Supergraph

_Result = TypeVar("_Result")


@dataclass(frozen=True, slots=True)
class ErrorMarker:
    """Stands where a subgraph reported an error; reading it raises that error."""

    message: str
    extensions: Mapping[str, Any] | None = None

    def error(self) -> GraphQLError:
        """The error graphql-core reports at the marker's path."""
        return GraphQLError(self.message, extensions=dict(self.extensions or {}) or None)


@dataclass(slots=True)
class NodePlans:
    """What the fetches work out once per document about its field nodes, keyed by the
    nodes' identity (the cached document keeps them alive): written by :class:`FetchContext`."""

    # several nodes of one response key merged into one (gateway.selections.merge_nodes)
    merged: dict[tuple[int, ...], FieldNode] = field(default_factory=dict)
    # a node with its fragments inlined (SelectionPlanner.inline_fragments)
    inlined: dict[int, FieldNode] = field(default_factory=dict)
    # whether no @skip/@include under the nodes makes a plan of them depend on variables
    plain: dict[tuple[int, ...], bool] = field(default_factory=dict)


class FetchContext:
    """One client operation as its root and entity fetches see it."""

    def __init__(
        self,
        *,
        supergraph: Supergraph,
        client: SubgraphCalls,
        operation: OperationDefinitionNode,
        planner: SelectionPlanner,
        variables: Mapping[str, Any],
        authorization: str | None,
        nodes: NodePlans | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.client = client
        self.operation = operation
        self.planner = planner
        self.raw_variables = dict(variables)
        self.authorization = authorization
        # errors with no place in the answer, reported after graphql-core's own
        self.extra_errors: list[GraphQLError] = []
        # what depends only on the document's nodes, kept with the cached document
        self.nodes = NodePlans() if nodes is None else nodes

    def merged(self, nodes: list[FieldNode]) -> FieldNode:
        """``nodes`` (one response key's) merged into one field node."""
        key = tuple(map(id, nodes))
        found = self.nodes.merged.get(key)
        if found is None:
            found = self.nodes.merged[key] = merge_nodes(nodes)
        return found

    def inline(self, node: FieldNode) -> FieldNode:
        """``node`` with its fragments inlined (see :class:`SelectionPlanner`)."""
        found = self.nodes.inlined.get(id(node))
        if found is None:
            found = self.nodes.inlined[id(node)] = self.planner.inline_fragments(node)
        return found

    def plain(self, nodes: list[FieldNode]) -> bool:
        """Whether no ``@skip``/``@include`` under ``nodes`` makes their plan depend on
        variables (so a plan of them may be kept with the document)."""
        key = tuple(map(id, nodes))
        found = self.nodes.plain.get(key)
        if found is None:
            found = self.nodes.plain[key] = not has_directives(nodes)
        return found

    async def call(
        self, subgraph: str, query: str, variables: Mapping[str, Any]
    ) -> SubgraphResponse:
        """One request to ``subgraph`` with the client's authorization."""
        if self.operation.operation == OperationType.QUERY:
            return await self.client.fetch_query(
                subgraph, query, variables, authorization=self.authorization
            )
        return await self.client.fetch(subgraph, query, variables, authorization=self.authorization)

    def fields_of(
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
                if not included(selection, variables):
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


def error_marker(error: Mapping[str, Any]) -> ErrorMarker:
    """The marker for one error of a subgraph's answer (only its ``code`` travels on)."""
    extensions = error.get("extensions")
    safe = (
        {k: v for k, v in extensions.items() if k == "code"}
        if isinstance(extensions, dict)
        else None
    )
    return ErrorMarker(str(error.get("message", "Error")), safe or None)


def mark_path(container: Any, path: list[Any], marker: ErrorMarker) -> None:
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


async def run_all(calls: Iterable[Coroutine[Any, Any, _Result]]) -> list[_Result]:
    """The results of ``calls``, run concurrently; a lone call is awaited as it is (a task
    of its own would only cost time)."""
    pending = list(calls)
    if len(pending) == 1:
        return [await pending[0]]
    return list(await asyncio.gather(*pending))
