"""Executing a client operation over the subgraphs.

graphql-core validates and executes the operation against the composed API schema, so
aliases, fragments, variables, ``@skip``/``@include``, lists, null propagation, ``__typename``
and error paths follow the specification by construction. Only two kinds of resolver exist:

- a root field is fetched from its owning subgraph (:mod:`gateway.root_fetch`); a query's
  root fields that share a subgraph travel in one request; a mutation's run one at a time,
  in order;
- every other field reads the value the subgraphs returned (under its response key).

After each subgraph answer, the entities in it that need fields from another subgraph are
gathered, level by level, and fetched with ``_entities`` (:mod:`gateway.entities`): one
request per subgraph per level, holding one aliased ``_entities`` field per distinct
selection, each representation once. Subgraph errors are placed where they happened, so
graphql-core reports them at the right path and nulls out exactly what the specification says.

Most queries never reach the executor: :mod:`gateway.shaping` fetches their root fields the
same way and shapes the answer directly, handing back to the executor only what needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLResolveInfo, OperationDefinitionNode
from graphql.execution import VariableValues

from gateway.entities import EntityFetcher, EntityPlans
from gateway.fetch_context import ErrorMarker, FetchContext, NodePlans
from gateway.planning import SelectionPlanner
from gateway.root_fetch import RootDocuments, RootFetcher
from gateway.shaping import DirectAnswer, ShapePlans
from gateway.subgraphs import SubgraphCalls, SubgraphResponse, SubgraphUnavailable
from gateway.supergraph import Supergraph


@dataclass(slots=True)
class ExecutionPlans:
    """What answering one operation of a cached document works out once and keeps with it,
    each kind typed and written by the one module that computes it."""

    nodes: NodePlans = field(default_factory=NodePlans)  # gateway.fetch_context
    roots: RootDocuments = field(default_factory=dict)  # gateway.root_fetch
    entities: EntityPlans = field(default_factory=EntityPlans)  # gateway.entities
    shapes: ShapePlans = field(default_factory=dict)  # gateway.shaping


class OperationExecution:
    """The context of one client operation: its subgraph calls and their answers."""

    def __init__(
        self,
        *,
        supergraph: Supergraph,
        client: SubgraphCalls,
        operation: OperationDefinitionNode,
        planner: SelectionPlanner,
        variables: Mapping[str, Any],
        authorization: str | None,
        plans: ExecutionPlans | None = None,
        answered: Mapping[str, SubgraphResponse | SubgraphUnavailable] | None = None,
    ) -> None:
        plans = ExecutionPlans() if plans is None else plans
        context = FetchContext(
            supergraph=supergraph,
            client=client,
            operation=operation,
            planner=planner,
            variables=variables,
            authorization=authorization,
            nodes=plans.nodes,
        )
        roots = RootFetcher(context, EntityFetcher(context, plans.entities), answered, plans.roots)
        self._direct = DirectAnswer(context, roots, plans.shapes)
        # what graphql-core's resolvers call, bound once
        self.resolve_root = roots.resolve_root
        # errors with no place in the answer (the context's own list)
        self.extra_errors = context.extra_errors

    async def answer_directly(self, variables: VariableValues) -> dict[str, Any] | None:
        """The ``data`` of a query shaped without graphql-core's executor, or None when the
        executor must answer (see :class:`gateway.shaping.DirectAnswer`)."""
        return await self._direct.answer(variables)


def resolve_field(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
    """The gateway's one resolver: root fields fetch, others read the answer."""
    if info.parent_type in (info.schema.query_type, info.schema.mutation_type):
        execution: OperationExecution = info.context
        return execution.resolve_root(info)
    if not isinstance(source, dict):
        return None
    value = source.get(str(info.path.key))
    if isinstance(value, ErrorMarker):
        raise value.error()
    return value
