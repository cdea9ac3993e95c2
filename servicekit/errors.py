"""One error vocabulary for every subgraph: each kind of failure gets the same code.

| what went wrong | `extensions.code` |
|---|---|
| not a request for one operation that can be run (servicekit/endpoint.py) | `BAD_REQUEST` |
| the document does not parse | `GRAPHQL_PARSE_FAILED` |
| the document does not validate against the schema | `GRAPHQL_VALIDATION_FAILED` |
| a wrong or missing variable, an argument out of range, a control character | `BAD_USER_INPUT` |
| no or a bad access token / a role the field needs is missing | `UNAUTHENTICATED` / `FORBIDDEN` |
| an anonymous form came without a fresh solution | `PROOF_OF_WORK_` + `MISSING`, `INVALID`, |
| to its challenge (nothing was saved) | `EXPIRED` or `SPENT` |
| the service cannot reach its database | `SERVICE_UNAVAILABLE` |
| anything else (a bug) | `INTERNAL_SERVER_ERROR`, with a generic message |

The codes follow Apollo Server's, so clients and gateways from that ecosystem read them too.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

GENERIC_ERROR = "Something went wrong on our side. Please try again later."
UNAVAILABLE_ERROR = (
    "This part of the service cannot reach its database right now. "
    "Please try again in a few minutes."
)

# what a database outage looks like from asyncpg: the server refused, went away, is
# shutting down or full
_OUTAGES = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached (not that a query was wrong).

    That is: asyncpg's own outage errors; an ``OSError`` raised inside asyncpg (a refused or
    reset connection, the unix socket of a stopped server gone, a connection timing out); the
    pool or the connection closed under the request; or asyncpg tripping over its own state
    while cleaning up after one of these (an ``InternalClientError`` such as "release() called
    on a free connection holder", raised while handling the lost connection).
    """
    if _is_outage(error):
        return True
    if isinstance(error, asyncpg.InternalClientError | asyncpg.InterfaceError):
        seen: set[int] = set()
        cause = error.__cause__ or error.__context__
        while cause is not None and id(cause) not in seen:
            if _is_outage(cause):
                return True
            seen.add(id(cause))
            cause = cause.__cause__ or cause.__context__
    return False


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, _OUTAGES):
        return True
    if isinstance(error, OSError):
        return _raised_in_asyncpg(error)
    # "pool is closed", "pool is closing", "connection is closed"
    return isinstance(error, asyncpg.InterfaceError) and "is clos" in str(error)


def _raised_in_asyncpg(error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None:
        if str(trace.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg."):
            return True
        trace = trace.tb_next
    return False


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """``error`` carrying ``code`` unless it already has one."""
    extensions = dict(error.extensions or {})
    extensions.setdefault("code", code)
    error.extensions = extensions
    return error


class ErrorVocabulary(MaskErrors):
    """Gives every error its code; masks unexpected ones and names database outages.

    ``is_unexpected`` tells a bug (masked, logged by the schema) from an error whose
    message was written for the person who made the request.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            with_code(
                error,
                "GRAPHQL_PARSE_FAILED"
                if isinstance(error, GraphQLSyntaxError)
                else "GRAPHQL_VALIDATION_FAILED",
            )

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            with_code(error, "GRAPHQL_VALIDATION_FAILED")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        unavailable = error.original_error is not None and is_database_outage(error.original_error)
        return GraphQLError(
            message=UNAVAILABLE_ERROR if unavailable else GENERIC_ERROR,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "SERVICE_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR"},
        )

    def process(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """``errors`` as the client sees them: coded, the unexpected ones masked."""
        return self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            if self.should_mask_error(error):
                processed.append(self.anonymise_error(error))
            elif error.path is None:
                # not raised by a resolver and not a validation error: the variables did
                # not fit their declared types
                processed.append(with_code(error, "BAD_USER_INPUT"))
            else:
                processed.append(error)
        return processed
