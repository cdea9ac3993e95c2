"""What every fetch of one client operation shares: the operation, the subgraph calls, the
plans kept with the cached document, and the markers that stand where a subgraph failed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
from gateway.selections import included
from gateway.subgraphs import SubgraphClient, SubgraphResponse
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


class FetchContext:
    """One client operation as its root and entity fetches see it."""

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
    ) -> None:
        self.supergraph = supergraph
        self.client = client
        self.operation = operation
        self.planner = planner
        self.raw_variables = dict(variables)
        self.authorization = authorization
        # errors with no place in the answer, reported after graphql-core's own
        self.extra_errors: list[GraphQLError] = []
        # what depends only on the document (merged and inlined nodes, subgraph documents),
        # kept with the cached document and keyed by its nodes' identity
        self.plans = {} if plans is None else plans

    def memo(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """The plan kept under ``key``, made (once per document) when missing."""
        found = self.plans.get(key)
        if found is None:
            found = self.plans[key] = make()
        return found

    def inline(self, node: FieldNode) -> FieldNode:
        """``node`` with its fragments inlined (see :class:`SelectionPlanner`)."""
        inlined: FieldNode = self.memo(
            ("inline", id(node)), lambda: self.planner.inline_fragments(node)
        )
        return inlined

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
