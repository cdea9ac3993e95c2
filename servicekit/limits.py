"""What one request may cost a service: its body size, and its operation's shape.

The body cap is enforced while the body streams in. The operation limits (depth, aliases,
selected fields, parser tokens) are those the gateway applies at the edge, applied again
here because anything inside the cluster's network policy can reach a subgraph directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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


def operation_cost_errors(document: DocumentNode, limits: OperationLimits) -> list[GraphQLError]:
    """Errors for every limit an operation of ``document`` exceeds (empty when within).

    Counted after fragments are expanded (a fragment spread twice counts twice); cheap
    enough to run before validation, whose field-merging rule is quadratic in the fields
    selected. A fragment cycle is not followed round (validation then refuses it).
    """
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            errors.extend(operation_errors(definition, fragments, limits))
    return errors


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
    depth = aliases = fields = 0
    budget = limits.max_fields * 4  # stop walking absurd documents early

    def walk(selection_set: SelectionSetNode | None, level: int, spread: frozenset[str]) -> None:
        nonlocal depth, aliases, fields
        if selection_set is None or fields > budget or level > limits.max_depth + 1:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                depth = max(depth, level)
                # introspection (GraphiQL's deep query) is not charged
                if selection.name.value not in ("__schema", "__type"):
                    walk(selection.selection_set, level + 1, spread)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, level, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in spread:
                    walk(fragment.selection_set, level, spread | {name})

    walk(operation.selection_set, 1, frozenset())
    messages = []
    if depth > limits.max_depth:
        messages.append(
            f"The operation nests {depth} or more levels deep; the limit is {limits.max_depth}."
        )
    if aliases > limits.max_aliases:
        messages.append(f"The operation uses {aliases} aliases; the limit is {limits.max_aliases}.")
    if fields > limits.max_fields:
        shown = f"more than {fields}" if fields > budget else str(fields)
        messages.append(f"The operation selects {shown} fields; the limit is {limits.max_fields}.")
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
