"""What one request may cost a service: its body size, and its operation's shape.

The body cap is enforced while the body streams in. The operation limits (depth, aliases,
selected fields, parser tokens) are those the gateway applies at the edge, applied again
here because anything inside the cluster's network policy can reach a subgraph directly.
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

    Depth and tokens match the gateway's defaults (12 levels, 20,000 tokens). Aliases and
    fields leave room for what the gateway's query planner adds to a client's operation it
    accepted (30 aliases, 400 fields): an aliased field and an entity key wherever the
    operation crosses into another service, so the gateway's operations are never refused
    here while a direct caller's thousand aliases are.
    """

    max_depth: int = 12
    max_aliases: int = 100
    max_fields: int = 1000
    max_tokens: int = 20_000


def operation_cost_errors(document: DocumentNode, limits: CostLimits) -> list[GraphQLError]:
    """Errors for every limit an operation of ``document`` exceeds (empty when within)."""
    return DocumentCosts(document, limits).errors()


class CostLimits(Protocol):
    """What an operation's cost is held to (the gateway's settings and a subgraph's alike)."""

    @property
    def max_depth(self) -> int: ...
    @property
    def max_aliases(self) -> int: ...
    @property
    def max_fields(self) -> int: ...


def operation_errors(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: CostLimits,
) -> list[GraphQLError]:
    """Errors for every limit one operation exceeds, fragments expanded (empty when within)."""
    costs = _FragmentCosts(fragments, limits.max_depth)
    return _cost_errors(costs.of_selections(operation.selection_set), limits)


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
            },
            limits.max_depth,
        )

    @property
    def walked(self) -> int:
        return self._costs.walked

    def errors(self) -> list[GraphQLError]:
        """Errors for every limit any operation of the document exceeds."""
        errors: list[GraphQLError] = []
        for definition in self.document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                cost = self._costs.of_selections(definition.selection_set)
                errors.extend(_cost_errors(cost, self.limits))
        return errors


@dataclass(frozen=True, slots=True)
class Cost:
    """What a selection set asks for once expanded: its fields, aliases and depth."""

    fields: int = 0
    aliases: int = 0
    depth: int = 0


_NOTHING = Cost()
# introspection (GraphiQL's deep query) is not charged for what it selects inside
_UNCHARGED = frozenset({"__schema", "__type"})


class _FragmentCosts:
    """Each fragment's expanded cost, worked out once (memoised by name).

    Nothing here recurses on the document: the fragments are visited in post-order with an
    explicit stack (a chain of thousands of fragments is as cheap as its text), and a
    selection set is walked no deeper than one level past the depth limit (deeper is refused
    whatever is inside).
    """

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], max_depth: int) -> None:
        self.fragments = fragments
        self.deepest = max_depth + 1
        self.costs: dict[str, Cost] = {}
        self.walked = 0

    def of_selections(self, selection_set: SelectionSetNode) -> Cost:
        own, spreads = self._own(selection_set)
        self._work_out(name for name, _ in spreads)
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
                for spread, _level in pending:
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

    def _total(self, own: Cost, spreads: list[tuple[str, int]]) -> Cost:
        fields, aliases, depth = own.fields, own.aliases, own.depth
        for name, level in spreads:
            cost = self.costs.get(name, _NOTHING)
            fields += cost.fields
            aliases += cost.aliases
            depth = max(depth, level - 1 + cost.depth)
        return Cost(fields, aliases, depth)

    def _own(self, selection_set: SelectionSetNode) -> tuple[Cost, list[tuple[str, int]]]:
        """The fields and aliases a selection set holds itself, its depth, and the fragments
        it spreads with the level each is spread at (1 for the set itself)."""
        fields = aliases = depth = 0
        spreads: list[tuple[str, int]] = []
        pending: list[tuple[SelectionSetNode, int]] = [(selection_set, 1)]
        while pending:
            current, level = pending.pop()
            self.walked += 1
            if level > self.deepest:
                # deeper than the limit allows: how much deeper does not matter
                depth = max(depth, self.deepest)
                continue
            for selection in current.selections:
                if isinstance(selection, FieldNode):
                    fields += 1
                    aliases += selection.alias is not None
                    depth = max(depth, level)
                    inner = selection.selection_set
                    if inner is not None and selection.name.value not in _UNCHARGED:
                        pending.append((inner, level + 1))
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, level))
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.append((selection.name.value, level))
        return Cost(fields, aliases, depth), spreads


def _cost_errors(cost: Cost, limits: CostLimits) -> list[GraphQLError]:
    messages = []
    if cost.depth > limits.max_depth:
        messages.append(
            f"The operation nests {cost.depth} or more levels deep; "
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
