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
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeGuard, cast
from uuid import UUID

import asyncpg
import strawberry
from graphql import DocumentNode, GraphQLError, get_operation_ast
from graphql import execute as graphql_execute
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES, validate_document
from strawberry.types import ExecutionContext, ExecutionResult, Info
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe
from typing_extensions import TypeVar

from servicekit.clock import Clock
from servicekit.control_characters import literal_errors, may_hold_control_characters
from servicekit.errors import ErrorVocabulary, is_database_outage
from servicekit.execution import DocumentPlans, LeanExecutionContext
from servicekit.limits import OperationLimits, document_too_long, operation_cost_errors
from servicekit.recent import RecentDocuments
from servicekit.telemetry_policy import operation_label
from servicekit.tokens import Principal

logger = logging.getLogger("wnwa.graphql")

# strawberry's quicker test, under the type graphql-core declares for it
_is_awaitable = cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable)


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


class BadUserInput(PublicError):
    code = "BAD_USER_INPUT"


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

    def unknown(self, field: str, thing: str) -> None:
        """``field`` names no ``thing`` (or none the caller may see)."""
        self.add(field, no_such(thing))


def no_such(thing: str) -> str:
    """What an id that names no ``thing`` is answered with, in every service."""
    return f"There is no {thing} with this id."


LoadersT = TypeVar("LoadersT", default=None)
ResourcesT = TypeVar("ResourcesT", default=None)


@dataclass(slots=True)
class RequestContext(Generic[LoadersT, ResourcesT]):
    """What a resolver may know about a request: its pool, who asks (if anyone), the
    service's clock, its DataLoaders (new for every request) and its long-lived resources.

    A service names its own: e.g. ``RequestContext[DirectoryLoaders, ReportMonths]``.
    """

    pool: asyncpg.Pool
    principal: Principal | None
    token_problem: str | None
    loaders: LoadersT
    resources: ResourcesT
    clock: Clock


def parse_id(value: str | None) -> UUID | None:
    """An id this platform issues (a UUID), or None for anything else: unknown ids are then
    answered as not found, never as a crash."""
    if value is None:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        return None


def context_of(info: Info[Any, Any]) -> RequestContext[Any, Any]:
    """The request's context, whatever the service's loaders and resources are (each
    service has its own typed accessor for those)."""
    context: RequestContext[Any, Any] = info.context
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


class ValidDocuments:
    """Parsed documents that passed validation and the cost limits, by their text.

    The gateway sends a handful of fixed documents with different variables: parsing and
    validating each again was most of a subgraph's work. Only valid documents are kept,
    at most ``size`` of them, none longer than ``longest`` characters and ``max_chars``
    together (a parsed document weighs some sixty times its text), so a stream of distinct
    or invalid documents cannot grow it; one unused for ten minutes is forgotten (its text
    may hold a search value a client wrote inline).
    """

    def __init__(self, size: int = 512, longest: int = 16_384, max_chars: int = 1_000_000) -> None:
        self.longest = longest
        # each document with the plans its executions made (servicekit/execution.py): what
        # is kept for a document is forgotten with it
        self._documents: RecentDocuments[tuple[DocumentNode, DocumentPlans]] = RecentDocuments(
            size=size, max_weight=max_chars
        )

    def forget_after(self, seconds: float) -> None:
        """Forget a document unused for ``seconds`` (the service's setting; tests shorten it)."""
        self._documents.idle_seconds = seconds

    def get(self, query: str) -> DocumentNode | None:
        kept = self._documents.get(query)
        return None if kept is None else kept[0]

    def with_plans(self, query: str) -> tuple[DocumentNode, DocumentPlans] | None:
        """The document of ``query`` and the plans kept with it."""
        return self._documents.get(query)

    def add(self, query: str, document: DocumentNode) -> None:
        if len(query) <= self.longest:
            self._documents.put(query, (document, DocumentPlans()))

    def __len__(self) -> int:
        return len(self._documents)


class _CheckedDocuments(SchemaExtension):
    """Parses with a token limit, validates, applies the cost limits and refuses control
    characters in its literals — once per document."""

    def __init__(self, schema: ServiceSchema) -> None:
        super().__init__()
        self.schema = schema
        self.documents = schema.valid_documents
        self.limits = schema.limits
        self.known = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            document = self.documents.get(context.query)
            if document is not None:
                context.graphql_document = document
                self.known = True
            else:
                context.parse_options = {"max_tokens": self.limits.max_tokens}
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.known:
            context.pre_execution_errors = []  # validated when first seen
        elif context.graphql_document is not None:
            document = context.graphql_document
            errors = operation_cost_errors(document, self.limits)
            if not errors:
                rules = context.validation_rules
                if not self.schema.introspection:
                    rules = (*rules, NoSchemaIntrospectionCustomRule)
                errors = validate_document(context.schema._schema, document, rules)
            if not errors and context.query and may_hold_control_characters(context.query):
                errors = literal_errors(document)
            context.pre_execution_errors = errors
            if not errors and context.query is not None:
                self.documents.add(context.query, document)
        yield


class ServiceSchema(strawberry.federation.Schema):
    """A Federation v2 schema that masks unexpected errors and logs them without data,
    applies the operation limits, validates each distinct document once, and answers a
    clear error for an entity representation it cannot resolve."""

    def __init__(self, *, limits: OperationLimits | None = None, **kwargs: Any) -> None:
        self.valid_documents = ValidDocuments()
        self.limits = limits or OperationLimits()
        # answered unless the service's settings turn it off (production): set before serving
        self.introspection = True
        extensions = [
            *kwargs.pop("extensions", ()),
            lambda: _CheckedDocuments(self),
            lambda: ErrorVocabulary(_is_unexpected),
        ]
        kwargs.setdefault("execution_context_class", LeanExecutionContext)
        super().__init__(extensions=extensions, **kwargs)
        self._vocabulary = ErrorVocabulary(_is_unexpected)
        self._entity_keys = self._find_entity_keys()

    def _find_entity_keys(self) -> dict[str, list[frozenset[str]]]:
        """Each entity type's key field sets, e.g. ``{"PeerSupporter": [{"id"}]}``."""
        found: dict[str, list[frozenset[str]]] = {}
        for name, graphql_type in self.schema_converter.type_map.items():
            definition = graphql_type.definition
            if not isinstance(definition, StrawberryObjectDefinition):
                continue
            keys = [
                frozenset(str(directive.fields).split())
                for directive in definition.directives or ()
                if isinstance(directive, Key)
            ]
            if keys:
                found[name] = keys
        return found

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Resolve the representations this subgraph knows; a clear error for the others."""
        problems: dict[int, BadUserInput] = {}
        known: list[tuple[int, Any]] = []
        for index, representation in enumerate(representations):
            reason = self._representation_problem(representation)
            if reason is None:
                known.append((index, representation))
            else:
                problems[index] = BadUserInput(reason)
        if not problems:
            return super().entities_resolver(info, representations)
        resolved = (
            super().entities_resolver(info, [representation for _, representation in known])
            if known
            else []
        )
        results: list[Any] = [None] * len(representations)
        for (index, _), result in zip(known, resolved, strict=True):
            results[index] = result
        for index, problem in problems.items():
            results[index] = problem
        return results

    def _representation_problem(self, representation: Any) -> str | None:
        if not isinstance(representation, dict):
            return "An entity representation must be an object with a `__typename`."
        type_name = representation.get("__typename")
        keys = self._entity_keys.get(type_name) if isinstance(type_name, str) else None
        if keys is None:
            return f"{str(type_name)[:100]!r} is not an entity type of this service."
        if not any(key <= representation.keys() for key in keys):
            return f"The representation of {type_name} lacks its key fields."
        return None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Run an operation. A document already parsed, validated and costed (the gateway
        sends a handful, again and again) is executed straight away: strawberry's extension
        hooks around parsing, validating and executing it — about a tenth of a small
        subgraph request — have nothing left to do but give errors their codes, which is
        done here the same way (logged, masked, coded as :class:`ErrorVocabulary` does)."""
        too_long = document_too_long(query, self.limits.max_document_chars) if query else None
        if too_long is not None:
            # before strawberry's parser, which reads a character at a time
            return ExecutionResult(data=None, errors=[too_long])
        kept = (
            self.valid_documents.with_plans(query) if query and not operation_extensions else None
        )
        if kept is None:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        document, plans = kept
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise CannotGetOperationTypeError(operation_name)
        operation_type = OperationType(operation.operation.value)
        allowed = (
            DEFAULT_ALLOWED_OPERATION_TYPES
            if allowed_operation_types is None
            else allowed_operation_types
        )
        if operation_type not in allowed:
            raise InvalidOperationTypeError(operation_type)
        try:
            with plans.in_use():
                running = graphql_execute(
                    self._schema,
                    document,
                    root_value=root_value,
                    context_value=context_value,
                    variable_values=variable_values,
                    operation_name=operation_name,
                    executor_class=self.execution_context_class,
                    is_awaitable=_is_awaitable,
                )
            result = await await_maybe(running)
            data, errors = result.data, result.errors
        except Exception as exc:
            data, errors = None, [GraphQLError(str(exc), original_error=exc)]
        if not errors:
            return ExecutionResult(data=data, errors=None)
        self._log_unexpected(errors, operation_name)
        return ExecutionResult(data=data, errors=self._vocabulary.process(errors))

    def process_errors(
        self, errors: Iterable[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        self._log_unexpected(
            errors, execution_context.operation_name if execution_context else None
        )

    @staticmethod
    def _log_unexpected(errors: Iterable[GraphQLError], operation: str | None) -> None:
        for error in errors:
            original = error.original_error
            if original is not None and _is_unexpected(error):
                if is_database_outage(original):
                    logger.warning("database unavailable (%s)", type(original).__name__)
                    continue
                # an operation's name is the client's choice: only the platform's own names
                logger.error(
                    "unexpected %s in operation %s at %s",
                    type(original).__name__,
                    operation_label(operation),
                    _where(original),
                )
