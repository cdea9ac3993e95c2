"""Root fetches: a root field is fetched from its owning subgraph; a query's root fields that
share a subgraph travel in one request, a mutation's run one at a time, in order. Each answer's
entities are completed (:mod:`gateway.entities`) before the root field returns."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationType,
    get_named_type,
    is_composite_type,
)

from gateway.entities import EntityFetcher, EntityNeed
from gateway.fetch_context import ErrorMarker, FetchContext, error_marker, mark_path
from gateway.planning import SubgraphDocument, aliased, operation_document
from gateway.selections import with_selection
from gateway.subgraphs import SubgraphResponse, SubgraphUnavailable

# a root field to fetch: response key, field node, type, variable values
RootEntry = tuple[str, FieldNode, GraphQLOutputType, Any]
# the subgraph documents of batches of root fields, worked out once per document and kept
# with it: by subgraph and each root field's response key and node (by identity)
RootDocuments = dict[tuple[str, tuple[tuple[str, int], ...]], SubgraphDocument]


@dataclass(slots=True)
class _RootBatch:
    entries: list[RootEntry] = field(default_factory=list)
    future: asyncio.Future[dict[str, Any]] | None = None


class RootFetcher:
    """Fetches the root fields of one operation, batched per subgraph."""

    def __init__(
        self,
        context: FetchContext,
        entities: EntityFetcher,
        answered: Mapping[str, SubgraphResponse | SubgraphUnavailable] | None = None,
        documents: RootDocuments | None = None,
    ) -> None:
        self.context = context
        self.entities = entities
        self._documents: RootDocuments = {} if documents is None else documents
        self._batches: dict[str, _RootBatch] = {}
        self._dispatches: set[asyncio.Task[None]] = set()  # held so none is collected mid-flight
        # a subgraph's answer to this whole operation, already received and holding no data
        # (a request error, or the service unreachable): its root fields are answered from it
        self._answered = dict(answered or {})
        # root fields already fetched (with their entities) before graphql-core's executor ran
        self.fetched: dict[str, Any] = {}

    async def resolve_root(self, info: GraphQLResolveInfo[Any]) -> Any:
        """The value of one root field, for graphql-core's executor."""
        if str(info.path.key) in self.fetched:
            value = self.fetched[str(info.path.key)]
            if isinstance(value, ErrorMarker):
                raise value.error()
            return value
        context = self.context
        owners = context.supergraph.owners(info.parent_type.name, info.field_name)
        if not owners:
            raise GraphQLError(f"No service resolves {info.parent_type.name}.{info.field_name}.")
        subgraph = owners[0]
        nodes = info.field_nodes
        node = context.merged(nodes)
        entry: RootEntry = (str(info.path.key), node, info.return_type, info.variable_values)
        if context.operation.operation == OperationType.MUTATION:
            data = await self.fetch(subgraph, [entry])
        else:
            data = await self._batched(subgraph, entry)
        value = data.get(str(info.path.key))
        if isinstance(value, ErrorMarker):
            raise value.error()
        return value

    async def _batched(self, subgraph: str, entry: RootEntry) -> dict[str, Any]:
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
            batch.future.set_result(await self.fetch(subgraph, entries))
        except Exception as error:  # handed to every waiting resolver
            batch.future.set_exception(error)

    async def fetch(self, subgraph: str, entries: list[RootEntry]) -> dict[str, Any]:
        """The answer of ``subgraph`` to ``entries``, by response key, entities completed and
        errors marked where they happened."""
        context = self.context
        operation = context.operation

        def plan() -> SubgraphDocument:
            selections = []
            for response_key, node, return_type, _ in entries:
                inlined = context.inline(node)
                named = get_named_type(return_type)
                if is_composite_type(named):
                    inlined = with_selection(
                        inlined,
                        context.planner.project(inlined.selection_set, named, subgraph),
                    )
                selections.append(aliased(inlined, str(response_key)))
            return operation_document(
                operation.operation,
                operation.name.value if operation.name else None,
                selections,
                operation.variable_definitions or (),
            )

        document_key = (subgraph, tuple((str(key), id(node)) for key, node, *_ in entries))
        document = self._documents.get(document_key)
        if document is None:
            document = self._documents[document_key] = plan()
        query, used = document
        variables = {name: v for name, v in context.raw_variables.items() if name in used}
        try:
            answered = self._answered.get(subgraph)
            if isinstance(answered, SubgraphUnavailable):
                raise answered
            response = answered or await context.call(subgraph, query, variables)
        except SubgraphUnavailable as unavailable:
            marker = ErrorMarker(
                str(unavailable), {"code": "SUBGRAPH_UNAVAILABLE", "service": subgraph}
            )
            return {str(key): marker for key, *_ in entries}
        data: dict[str, Any] = dict(response.data or {})
        self._place_errors(response, data, [str(key) for key, *_ in entries])
        needs: list[EntityNeed] = []
        for response_key, node, return_type, variables in entries:
            value = data.get(str(response_key))
            if node.selection_set is not None and value is not None:
                inlined = context.inline(node)
                self.entities.collect(value, [inlined], return_type, subgraph, variables, needs)
        await self.entities.resolve(needs, entries[0][3])
        return data

    def _place_errors(
        self, response: SubgraphResponse, data: dict[str, Any], keys: list[str]
    ) -> None:
        for error in response.errors:
            path = error.get("path")
            if isinstance(path, list) and path and str(path[0]) in keys:
                mark_path(data, path, error_marker(error))
            elif response.data is None:
                for key in keys:
                    data[key] = error_marker(error)
            else:
                self.context.extra_errors.append(GraphQLError(str(error.get("message", "Error"))))
