"""The operation pipeline: parse → validate → plan → execute, one operation at a time.

A document's parse and validation, and each of its operations' plan, depend on its text
alone: clients repeat the same few documents, so both are worked out once and kept with the
document (see :class:`CheckedDocument`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.execution import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from gateway.execution import ExecutionPlans, OperationExecution, resolve_field
from gateway.planning import SelectionPlanner, single_subgraph
from gateway.settings import GatewaySettings
from gateway.subgraphs import SubgraphCalls, SubgraphResponse, SubgraphUnavailable
from gateway.supergraph import Supergraph
from servicekit import telemetry
from servicekit.limits import DocumentCosts, document_too_long
from servicekit.recent import RecentDocuments

# the root fields anyone may use without signing in; everything else needs a token
PUBLIC_ROOT_FIELDS = frozenset(
    {
        # membership: joining the network, what it costs, how big it is
        "submitJoinInquiry",
        "requestDemo",
        "contactFormChallenge",
        # demo slots: the free ones, booking one, and the confirmation link's own booking
        "openDemoSlots",
        "bookDemo",
        "demoBooking",
        "moveDemoBooking",
        "cancelDemoBooking",
        "membershipFigures",
        "networkFigures",
        "feeTiers",
        "visitFigures",
        "annualFeeQuoteCents",
        "news",
        "newsPost",
        # professionals: the online application
        "submitProfessionalApplication",
        "applicationChallenge",
        "insuranceCarriers",
        "professionalLanguages",
        "applicationRequirements",
        "applicationStatus",
        # introspection and the type name, when introspection is enabled
        "__typename",
        "__schema",
        "__type",
    }
)
_CACHED_DOCUMENT_CHARS = 16_384


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """What answering one operation of a document needs, worked out once per document."""

    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    # the root fields it asks for, to tell whether it needs a signed-in person
    root_fields: frozenset[str]
    # the one subgraph that resolves all of it, and the client's text holding only it
    single_subgraph: str | None
    single_text: str
    # what the planned path works out once (merged nodes, subgraph documents, object plans)
    execution: ExecutionPlans = field(default_factory=ExecutionPlans)


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A parsed, validated document and the plans of its operations, by operation name."""

    document: DocumentNode | None
    errors: tuple[dict[str, Any], ...]
    plans: dict[str | None, OperationPlan] = field(default_factory=dict)


class OperationPipeline:
    """Answers operations over the supergraph; keeps recent documents and their plans."""

    def __init__(
        self, settings: GatewaySettings, supergraph: Supergraph, client: SubgraphCalls
    ) -> None:
        self.settings = settings
        self.supergraph = supergraph
        self.client = client
        rules = list(specified_rules)
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        # kept by their text while in use (a client may write search values into it): at most
        # 1,000 weighing a million characters together, each forgotten after ten minutes
        # unused
        self.documents: RecentDocuments[CheckedDocument] = RecentDocuments(
            size=1000,
            idle_seconds=settings.document_idle_seconds,
            max_weight=settings.document_cache_chars,
        )

    def check(self, query: str) -> CheckedDocument:
        """The document of ``query``, parsed and validated (once while it is in use)."""
        checked = self.documents.get(query)
        if checked is not None:
            return checked
        limits = self.settings.limits
        # the parser reads a character at a time: its length is checked before
        too_long = document_too_long(query, limits.max_document_chars)
        if too_long is not None:
            return CheckedDocument(None, (dict(too_long.formatted),))
        try:
            document = parse(query, max_tokens=limits.max_tokens)
        except GraphQLError as syntax:
            return CheckedDocument(None, (_coded(syntax, "GRAPHQL_PARSE_FAILED"),))
        # the cost first, counted without expanding fragments: validation's field-merging
        # rule grows faster than the document, so it only sees what is within the limits
        costly = DocumentCosts(document, limits).errors()
        if costly:
            return CheckedDocument(None, tuple(dict(error.formatted) for error in costly))
        errors = validate(self.supergraph.schema, document, self.rules, max_errors=20)
        checked = CheckedDocument(
            document, tuple(_coded(error, "GRAPHQL_VALIDATION_FAILED") for error in errors)
        )
        # only documents that are valid and of a usual size are kept: a flood of large or
        # invalid ones must not fill the gateway's memory; each weighs its text once per
        # operation (a planned operation keeps its own copy of the text for its subgraph)
        if not errors and len(query) <= _CACHED_DOCUMENT_CHARS:
            operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
            self.documents.put(query, checked, weight=len(query) * max(1, operations))
        return checked

    def prepare(self, queries: Iterable[str]) -> int:
        """Check and plan each operation of ``queries`` now (the portal's own documents, at
        start), so their first requests find them ready; the number of plans made."""
        planned = 0
        for query in queries:
            checked = self.check(query)
            if checked.document is None or checked.errors:
                continue
            for definition in checked.document.definitions:
                if isinstance(definition, OperationDefinitionNode) and definition.name:
                    planned += not isinstance(
                        self.plan(query, checked, definition.name.value), GraphQLError
                    )
        return planned

    def plan(
        self, query: str, checked: CheckedDocument, operation_name: str | None
    ) -> OperationPlan | GraphQLError:
        """The plan of the operation ``operation_name`` names (once per document and name)."""
        plan = checked.plans.get(operation_name)
        if plan is not None:
            return plan
        assert checked.document is not None
        operation = _operation(checked.document, operation_name)
        if isinstance(operation, GraphQLError):
            return operation
        fragments = {
            d.name.value: d
            for d in checked.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        single = None
        if self.settings.single_subgraph_passthrough:
            single = single_subgraph(self.supergraph, operation, fragments)
        plan = OperationPlan(
            operation=operation,
            fragments=fragments,
            root_fields=frozenset(_root_fields(operation.selection_set, fragments)),
            single_subgraph=single,
            single_text=_only(query, checked.document, operation) if single else "",
        )
        checked.plans[operation_name] = plan
        return plan

    async def run(
        self,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        token: str | None,
        token_problem: str | None = None,
    ) -> dict[str, Any]:
        """Validate and execute one operation; the answer as the GraphQL response map."""
        checked = self.check(query)
        if not telemetry.enabled():
            return await self._answer(
                checked, query, variables, operation_name, token, token_problem
            )
        # counted by outcome alone; traced only when the policy allows its root fields
        with telemetry.graphql_operation(
            operation_name, self._selected_root_fields(query, checked, operation_name)
        ) as outcome:
            answer = await self._answer(
                checked, query, variables, operation_name, token, token_problem
            )
            outcome.failed = bool(answer.get("errors"))
        return answer

    def _selected_root_fields(
        self, query: str, checked: CheckedDocument, operation_name: str | None
    ) -> frozenset[str]:
        if checked.errors:
            return frozenset()
        plan = self.plan(query, checked, operation_name)
        return frozenset() if isinstance(plan, GraphQLError) else plan.root_fields

    async def _answer(
        self,
        checked: CheckedDocument,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        token: str | None,
        token_problem: str | None,
    ) -> dict[str, Any]:
        if checked.errors:
            return {"errors": list(checked.errors)}
        plan = self.plan(query, checked, operation_name)
        if isinstance(plan, GraphQLError):
            return {"errors": [plan.formatted]}
        operation = plan.operation
        if operation.operation == OperationType.SUBSCRIPTION:
            return {"errors": [GraphQLError("Subscriptions are not offered.").formatted]}
        if token is None:
            private = sorted(plan.root_fields - PUBLIC_ROOT_FIELDS)
            if private:
                reason = f" (your session is not valid: {token_problem})" if token_problem else ""
                error = GraphQLError(
                    f"Sign in to use {', '.join(private)}{reason}.",
                    extensions={"code": "UNAUTHENTICATED"},
                )
                return {"errors": [error.formatted]}
        # variables are checked once, here, for both ways of answering: a request error
        # leaves `data` out and reads the same whichever way the operation would have run
        schema = self.supergraph.schema
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), dict(variables), max_errors=20
        )
        if isinstance(coerced, list):
            return {"errors": [_coded(error, "BAD_USER_INPUT") for error in coerced]}
        authorization = f"Bearer {token}" if token else None
        answered: dict[str, SubgraphResponse | SubgraphUnavailable] = {}
        if plan.single_subgraph:
            outcome = await self._pass_through(
                plan.single_subgraph,
                operation,
                plan.single_text,
                variables,
                operation_name,
                authorization,
            )
            if isinstance(outcome, dict):
                return outcome
            # no data: the planned path places what went wrong per field, from this
            # very answer (a lost mutation answer must never cause a second write)
            answered[plan.single_subgraph] = outcome
        assert checked.document is not None
        execution = OperationExecution(
            supergraph=self.supergraph,
            client=self.client,
            operation=operation,
            planner=SelectionPlanner(self.supergraph, plan.fragments),
            variables=variables,
            authorization=authorization,
            plans=plan.execution,
            answered=answered,
        )
        # most answers need no per-field work from graphql-core's executor: shaped directly,
        # and only when something needs its exact handling is it run (on the same answers)
        data = await execution.answer_directly(coerced)
        formatted: dict[str, Any]
        if data is not None:
            formatted = {"data": data}
        else:
            result = execute(
                schema,
                checked.document,
                context_value=execution,
                variable_values=dict(variables),
                operation_name=operation_name,
                field_resolver=resolve_field,
            )
            if not isinstance(result, ExecutionResult):
                result = await result
            formatted = dict(result.formatted)
        extra = [error.formatted for error in execution.extra_errors]
        if extra:
            formatted["errors"] = [*formatted.get("errors", []), *extra]
        return formatted

    async def _pass_through(
        self,
        subgraph: str,
        operation: OperationDefinitionNode,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        authorization: str | None,
    ) -> dict[str, Any] | SubgraphResponse | SubgraphUnavailable:
        """The subgraph's own answer to an operation it resolves entirely; when it gave no
        data, what it gave instead, so the planned path can report per field what went
        wrong."""
        try:
            if operation.operation == OperationType.QUERY:
                response = await self.client.fetch_query(
                    subgraph,
                    query,
                    variables,
                    authorization=authorization,
                    operation_name=operation_name,
                )
            else:
                response = await self.client.fetch(
                    subgraph,
                    query,
                    variables,
                    authorization=authorization,
                    operation_name=operation_name,
                )
        except SubgraphUnavailable as unavailable:
            return unavailable
        if response.data is None:
            return response
        answer: dict[str, Any] = {}
        if response.errors:
            answer["errors"] = [_public_error(error) for error in response.errors]
        answer["data"] = response.data
        return answer


def _coded(error: GraphQLError, code: str) -> dict[str, Any]:
    """A request error as the client sees it, with a machine-readable code."""
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


def _only(query: str, document: DocumentNode, operation: OperationDefinitionNode) -> str:
    """``query`` holding only ``operation`` and the fragments it uses: every other
    definition is blanked out (newlines kept), so the subgraph never sees fields it lacks
    and the locations in its errors still point into the client's own text."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    kept: set[int] = {id(operation)}
    pending: list[Any] = [operation]
    while pending:
        node = pending.pop()
        for spread in _spreads(node.selection_set):
            fragment = fragments.get(spread)
            if fragment is not None and id(fragment) not in kept:
                kept.add(id(fragment))
                pending.append(fragment)
    if len(kept) == len(document.definitions):
        return query
    text = list(query)
    for definition in document.definitions:
        if id(definition) in kept or definition.loc is None:
            continue
        for index in range(definition.loc.start, definition.loc.end):
            if text[index] not in "\r\n":
                text[index] = " "
    return "".join(text)


def _spreads(selection_set: SelectionSetNode | None) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FragmentSpreadNode):
            names.add(selection.name.value)
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            names |= _spreads(selection.selection_set)
    return names


def _public_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """A subgraph's error as the gateway passes it on: message, place and code only."""
    public: dict[str, Any] = {"message": str(error.get("message", "Error"))}
    for key in ("locations", "path"):
        if isinstance(error.get(key), list):
            public[key] = error[key]
    extensions = error.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
        public["extensions"] = {"code": extensions["code"]}
    return public


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | GraphQLError:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    # a request naming no operation its document can run is malformed (400), as at the
    # subgraphs; the code says so (servicekit/errors.py)
    unrunnable = {"code": "BAD_REQUEST"}
    if name is None:
        if len(operations) != 1:
            return GraphQLError(
                "The document holds several operations: name one with operationName.",
                extensions=unrunnable,
            )
        return operations[0]
    for operation in operations:
        if operation.name and operation.name.value == name:
            return operation
    return GraphQLError(
        f"There is no operation named {name!r} in the document.", extensions=unrunnable
    )


def _root_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> set[str]:
    """The root fields a selection set asks for, through its fragments (each looked into
    once, however often it is spread)."""
    names: set[str] = set()
    seen: set[str] = set()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
    return names
