"""What one request may cost a service: its body size, and its operation's shape.

The body cap is enforced while the body streams in. The operation limits (the document's
length, parser tokens, operations and fragments in a document, and each operation's depth,
aliases and selected fields) are those the gateway applies at the edge, applied again here
because anything inside the cluster's network policy can reach a subgraph directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """The most one operation may ask of a subgraph.

    Depth, operations and fragments match the gateway's defaults (12 levels, 16 operations,
    32 fragments). Aliases, fields, tokens and the document's length leave room for what the
    gateway's query planner adds to a client's operation it accepted (30 aliases, 400
    fields, 5,000 tokens, 32,768 characters): an aliased field and an entity key wherever
    the operation crosses into another service, so the gateway's operations are never
    refused here while a direct caller's thousand aliases are.
    """

    max_depth: int = 12
    max_aliases: int = 100
    max_fields: int = 1000
    max_tokens: int = 20_000
    max_operations: int = 16
    max_fragments: int = 32
    max_document_chars: int = 131_072
    max_field_pairs: int = 8_000


def operation_cost_errors(document: DocumentNode, limits: CostLimits) -> list[GraphQLError]:
    """Errors for every limit an operation of ``document`` exceeds (empty when within)."""
    return DocumentCosts(document, limits).errors()


class CostLimits(Protocol):
    """What a document's cost is held to (the gateway's settings and a subgraph's alike)."""

    @property
    def max_depth(self) -> int: ...
    @property
    def max_aliases(self) -> int: ...
    @property
    def max_fields(self) -> int: ...
    @property
    def max_operations(self) -> int: ...
    @property
    def max_fragments(self) -> int: ...
    @property
    def max_field_pairs(self) -> int: ...


def document_too_long(query: str, max_chars: int) -> GraphQLError | None:
    """The error for a document longer than ``max_chars`` characters, before it is parsed
    (the parser reads it a character at a time: a megabyte of comment costs a tenth of a
    second), or None."""
    if len(query) <= max_chars:
        return None
    return GraphQLError(
        f"The document is {len(query):,} characters long; the limit is {max_chars:,}.",
        extensions={"code": "OPERATION_TOO_COSTLY"},
    )


def operation_errors(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: CostLimits,
) -> list[GraphQLError]:
    """Errors for every limit one operation exceeds, fragments expanded (empty when within)."""
    costs = _FragmentCosts(fragments)
    errors = _cost_errors(costs.of_selections(operation.selection_set), limits)
    return errors or _pair_errors(operation.selection_set, fragments, limits)


class DocumentCosts:
    """What each operation of a document costs, counted as if fragments were expanded (a
    fragment spread twice counts twice) without expanding them.

    Each fragment's cost is worked out once and added where it is spread, so counting takes
    time linear in the document however many times its fragments multiply (``walked`` says
    how many selection sets were walked). Cheap enough to run before validation, whose
    field-merging rule is quadratic in the fields selected. A fragment cycle is not followed
    round (validation then refuses it).
    """

    def __init__(self, document: DocumentNode, limits: CostLimits) -> None:
        self.document = document
        self.limits = limits
        self._costs = _FragmentCosts(
            {
                definition.name.value: definition
                for definition in document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
        )

    @property
    def walked(self) -> int:
        return self._costs.walked

    def errors(self) -> list[GraphQLError]:
        """Errors for every limit the document or any of its operations exceeds."""
        operations = [
            definition
            for definition in self.document.definitions
            if isinstance(definition, OperationDefinitionNode)
        ]
        errors = _document_errors(len(operations), len(self._costs.fragments), self.limits)
        if errors:
            return errors
        for operation in operations:
            cost = self._costs.of_selections(operation.selection_set)
            costly = _cost_errors(cost, self.limits)
            if not costly:
                # walked expanded: within the field limit, that is at most so many fields
                costly = _pair_errors(operation.selection_set, self._costs.fragments, self.limits)
            errors.extend(costly)
        return errors


@dataclass(frozen=True, slots=True)
class Cost:
    """What a selection set asks for once expanded: its fields, aliases and depth, and the
    aliases it puts on or inside introspection."""

    fields: int = 0
    aliases: int = 0
    depth: int = 0
    introspection_aliases: int = 0


# a fragment spread: its name, the level it is spread at, whether inside introspection
Spread = tuple[str, int, bool]
_NOTHING = Cost()
# introspection is answered from the schema in memory: its fields count as any others, its
# depth does not (GraphiQL's query is 14 levels deep, 9 of them `ofType`), and nothing
# inside it, nor `__schema` itself, takes an alias (each would build a list of the whole
# schema again: seven nested aliases thrice each ask for 3**7 copies of it from 600 bytes)
_INTROSPECTION = frozenset({"__schema", "__type"})


class _FragmentCosts:
    """Each fragment's expanded cost, worked out once (memoised by name).

    Nothing here recurses on the document: the fragments are visited in post-order with an
    explicit stack (a chain of thousands of fragments is as cheap as its text), and each
    selection set of the document is walked once, at whatever depth (the parser caps it at
    200 levels): a fragment's fields deep down count even where it is spread inside
    introspection, whose depth is free.
    """

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.costs: dict[str, Cost] = {}
        self.walked = 0

    def of_selections(self, selection_set: SelectionSetNode) -> Cost:
        own, spreads = self._own(selection_set)
        self._work_out(name for name, _, _ in spreads)
        return self._total(own, spreads)

    def _work_out(self, names: Iterable[str]) -> None:
        """Work out the cost of every fragment reachable from ``names``, each once."""
        # a fragment on the stack is being worked out: a spread of it again is a cycle,
        # counted as nothing (validation refuses the document)
        on_stack: set[str] = set()
        for root in names:
            if root in self.costs or root not in self.fragments:
                continue
            own, spreads = self._own(self.fragments[root].selection_set)
            stack = [(root, own, spreads, iter(spreads))]
            on_stack.add(root)
            while stack:
                name, own, spreads, pending = stack[-1]
                for spread, _level, _introspective in pending:
                    if spread in self.costs or spread in on_stack or spread not in self.fragments:
                        continue
                    child_own, child_spreads = self._own(self.fragments[spread].selection_set)
                    stack.append((spread, child_own, child_spreads, iter(child_spreads)))
                    on_stack.add(spread)
                    break
                else:
                    stack.pop()
                    on_stack.discard(name)
                    self.costs[name] = self._total(own, spreads)

    def _total(self, own: Cost, spreads: list[Spread]) -> Cost:
        fields, aliases, depth = own.fields, own.aliases, own.depth
        introspection_aliases = own.introspection_aliases
        for name, level, introspective in spreads:
            cost = self.costs.get(name, _NOTHING)
            fields += cost.fields
            introspection_aliases += cost.introspection_aliases
            if introspective:
                # spread inside introspection: its aliases are introspection's, its depth free
                introspection_aliases += cost.aliases
            else:
                aliases += cost.aliases
                depth = max(depth, level - 1 + cost.depth)
        return Cost(fields, aliases, depth, introspection_aliases)

    def _own(self, selection_set: SelectionSetNode) -> tuple[Cost, list[Spread]]:
        """The fields and aliases a selection set holds itself, its depth, and the fragments
        it spreads with the level each is spread at (1 for the set itself) and whether that
        is inside introspection."""
        fields = aliases = depth = introspection_aliases = 0
        spreads: list[Spread] = []
        # each set with its level and whether it is inside introspection (no depth counted)
        pending: list[tuple[SelectionSetNode, int, bool]] = [(selection_set, 1, False)]
        while pending:
            current, level, introspective = pending.pop()
            self.walked += 1
            for selection in current.selections:
                if isinstance(selection, FieldNode):
                    fields += 1
                    name = selection.name.value
                    if selection.alias is not None:
                        # `__type` may be aliased (each names one type), `__schema` not
                        if introspective or name == "__schema":
                            introspection_aliases += 1
                        else:
                            aliases += 1
                    inside = introspective or name in _INTROSPECTION
                    if not introspective:
                        depth = max(depth, level)
                    inner = selection.selection_set
                    if inner is not None:
                        pending.append((inner, level + 1, inside))
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, level, introspective))
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.append((selection.name.value, level, introspective))
        return Cost(fields, aliases, depth, introspection_aliases), spreads


def _document_errors(operations: int, fragments: int, limits: CostLimits) -> list[GraphQLError]:
    """Errors for a document holding too many operations (each planned and kept with it)
    or fragments (validation's field-merging rule compares every pair of them)."""
    messages = []
    if operations > limits.max_operations:
        messages.append(
            f"The document holds {operations} operations; the limit is {limits.max_operations}."
        )
    if fragments > limits.max_fragments:
        messages.append(
            f"The document defines {fragments} fragments; the limit is {limits.max_fragments}."
        )
    return [
        GraphQLError(message, extensions={"code": "OPERATION_TOO_COSTLY"}) for message in messages
    ]


def same_name_pairs(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    enough: int,
    most_fields: int,
) -> int:
    """How many pairs of fields answer under the same name at the same place of the answer
    (fragments expanded, each once per place), counted up to ``enough``.

    Validation's field-merging rule compares each such pair, and the fields under both of a
    pair with each other: ``{ a { b } a { b } … }`` two hundred times over (400 fields, 5 KB)
    is 40,000 comparisons, a third of a second. Walking the selections expanded is bounded by
    the fields the operation selects (already within their limit) and by its fragments, each
    expanded once per place; the walk stops after ``most_fields`` fields, which only a
    fragment cycle reaches (validation refuses it).
    """
    pairs = visited = 0
    # the selection sets whose fields answer at one place of the answer, merged
    pending: list[list[SelectionSetNode]] = [[selection_set]]
    while pending and pairs <= enough and visited <= most_fields:
        at_place = pending.pop()
        by_name: dict[str, list[SelectionSetNode | None]] = {}
        expanded: set[str] = set()
        while at_place:
            for selection in at_place.pop().selections:
                if isinstance(selection, FieldNode):
                    visited += 1
                    name = (selection.alias or selection.name).value
                    by_name.setdefault(name, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    at_place.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = fragments.get(selection.name.value)
                    if fragment is not None and fragment.name.value not in expanded:
                        expanded.add(fragment.name.value)
                        at_place.append(fragment.selection_set)
        for inner in by_name.values():
            pairs += len(inner) * (len(inner) - 1) // 2
            below = [node for node in inner if node is not None]
            if below:
                pending.append(below)
    return pairs


def _pair_errors(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: CostLimits,
) -> list[GraphQLError]:
    pairs = same_name_pairs(selection_set, fragments, limits.max_field_pairs, limits.max_fields)
    if pairs <= limits.max_field_pairs:
        return []
    message = (
        f"The operation selects {pairs:,} or more pairs of fields under the same name at the "
        f"same place (each pair is compared to merge them); the limit is "
        f"{limits.max_field_pairs:,}."
    )
    return [GraphQLError(message, extensions={"code": "OPERATION_TOO_COSTLY"})]


def _cost_errors(cost: Cost, limits: CostLimits) -> list[GraphQLError]:
    messages = []
    if cost.introspection_aliases:
        messages.append(
            "Introspection takes no aliases inside `__schema` or `__type`, nor on `__schema`: "
            "ask for each of its fields once."
        )
    if cost.depth > limits.max_depth:
        messages.append(
            f"The operation nests {limits.max_depth + 1} or more levels deep; "
            f"the limit is {limits.max_depth}."
        )
    if cost.aliases > limits.max_aliases:
        messages.append(
            f"The operation uses {cost.aliases} aliases; the limit is {limits.max_aliases}."
        )
    if cost.fields > limits.max_fields:
        messages.append(
            f"The operation selects {cost.fields} fields; the limit is {limits.max_fields}."
        )
    return [
        GraphQLError(message, extensions={"code": "OPERATION_TOO_COSTLY"}) for message in messages
    ]


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 when a request declares or sends more than its cap: ``max_bytes``, or
    ``max_multipart_bytes`` for a multipart request (file uploads), when given."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_multipart_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_multipart_bytes = max_multipart_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        max_bytes = self.max_bytes
        if self.max_multipart_bytes is not None and headers.get(
            b"content-type", b""
        ).lower().startswith(b"multipart/"):
            max_bytes = self.max_multipart_bytes
        if declared_too_large(headers.get(b"content-length"), max_bytes):
            await reject_too_large(send, max_bytes)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped(receive, max_bytes), tracking_send)
        except BodyTooLarge:
            if not started:
                await reject_too_large(send, max_bytes)


def declared_too_large(declared: bytes | None, max_bytes: int) -> bool:
    """Whether a request's ``Content-Length`` header says it is over ``max_bytes``."""
    return declared is not None and declared.isdigit() and int(declared) > max_bytes


def capped(receive: Receive, max_bytes: int) -> Receive:
    """``receive`` raising :class:`BodyTooLarge` as soon as the body grows over
    ``max_bytes`` (a body sent without a length, or longer than it said)."""
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge
        return message

    return capped_receive


async def reject_too_large(send: Send, max_bytes: int) -> None:
    """Answer 413 with a GraphQL error body that says the cap."""
    megabytes = max_bytes / 1_000_000
    body = json.dumps(
        {
            "errors": [
                {
                    "message": f"The request is larger than {megabytes:g} MB.",
                    "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                }
            ]
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
