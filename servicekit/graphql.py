"""GraphQL building blocks every subgraph shares: errors, authorization, the schema.

Expected failures are part of each schema (``errors: [FieldError!]!`` on mutation payloads,
``null`` for an unknown id). Unauthenticated and forbidden requests raise a
:class:`PublicError` with a code a client can act on. Anything else is unexpected: it is
logged by type and place only (its text may quote data) and answered with a generic
message, never a stack trace.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext, Info

from servicekit.errors import ErrorVocabulary, is_database_outage
from servicekit.tokens import Principal

logger = logging.getLogger("wnwa.graphql")


class PublicError(Exception):
    """An error whose message is written for the person who made the request (by default
    about an argument: see servicekit/errors.py for the codes)."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code}


class Unauthenticated(PublicError):
    code = "UNAUTHENTICATED"


class Forbidden(PublicError):
    code = "FORBIDDEN"


@strawberry.federation.type(shareable=True, description="A problem with one input field.")
class FieldError:
    field: str = strawberry.field(description="Path of the input field, e.g. `input.ori`.")
    message: str = strawberry.field(description="What is wrong, in plain words.")


class InputErrors:
    """Collects field errors while validating one mutation's input."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field=field, message=message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def has(self, field: str) -> bool:
        return any(item.field == field for item in self.items)


@dataclass(slots=True)
class RequestContext:
    """What a resolver may know about a request: its pool and who asks, if anyone."""

    pool: asyncpg.Pool
    principal: Principal | None
    token_problem: str | None
    loaders: Any = None  # the service's DataLoaders, new for every request


def parse_id(value: str | None) -> UUID | None:
    """An id this platform issues (a UUID), or None for anything else: unknown ids are then
    answered as not found, never as a crash."""
    if value is None:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        return None


def context_of(info: Info[Any, Any]) -> RequestContext:
    context: RequestContext = info.context
    return context


def require_principal(info: Info[Any, Any]) -> Principal:
    """The signed-in principal, or an UNAUTHENTICATED error saying why there is none."""
    context = context_of(info)
    if context.principal is None:
        reason = context.token_problem or "no access token was sent"
        raise Unauthenticated(f"Sign in to see this: {reason}.")
    return context.principal


def require_role(info: Info[Any, Any], *roles: str) -> Principal:
    """The principal, when it holds one of ``roles``; FORBIDDEN otherwise."""
    principal = require_principal(info)
    if not principal.has_role(*roles):
        raise Forbidden(f"This needs one of these roles: {', '.join(roles)}.")
    return principal


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    # variable coercion errors (an unknown enum value, a wrong type) are the client's own
    # mistake and already say what is wrong
    return original is not None and not isinstance(original, PublicError | GraphQLError)


def _where(exception: BaseException) -> str:
    frames = traceback.extract_tb(exception.__traceback__)[-3:]
    return " <- ".join(
        f"{frame.name}@{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        for frame in reversed(frames)
    )


class ServiceSchema(strawberry.federation.Schema):
    """A Federation v2 schema that masks unexpected errors and logs them without data."""

    def __init__(self, **kwargs: Any) -> None:
        extensions = [
            *kwargs.pop("extensions", ()),
            lambda: ErrorVocabulary(_is_unexpected),
        ]
        super().__init__(extensions=extensions, **kwargs)

    def process_errors(
        self, errors: Iterable[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = error.original_error
            if original is not None and _is_unexpected(error):
                operation = execution_context.operation_name if execution_context else None
                if is_database_outage(original):
                    logger.warning("database unavailable (%s)", type(original).__name__)
                    continue
                logger.error(
                    "unexpected %s in operation %s at %s",
                    type(original).__name__,
                    operation or "(anonymous)",
                    _where(original),
                )
