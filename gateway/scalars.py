"""The platform's own scalars, checked at the gateway as the subgraphs check them.

A federation gateway usually passes custom scalars through unread, so a date that is no date
(``startsOn: "2025-02-30"``) was refused only by the subgraph, after the gateway had begun
answering: the client got ``"data": null`` and an error at the field instead of a request
error. The subgraphs' ``Date`` and ``DateTime`` are strawberry's, which read a value with
``datetime.date.fromisoformat`` and ``dateutil.parser.isoparse``; the gateway reads them the
same way, so a value is refused before any subgraph is asked (a request error: no ``data``).
A value that passes is forwarded as the client wrote it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dateutil.parser import isoparse
from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema

# scalar name -> how the subgraphs read it (strawberry's Date and DateTime)
READERS: dict[str, Callable[[str], object]] = {
    "Date": dt.date.fromisoformat,
    "DateTime": isoparse,
}


def _checker(name: str, read: Callable[[str], object]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise GraphQLError(f'Value cannot represent a {name}: "{value}". Expected a string.')
        try:
            read(value)
        except (ValueError, OverflowError) as problem:
            raise GraphQLError(f'Value cannot represent a {name}: "{value}". {problem}') from None
        return value

    return check


def check_platform_scalars(schema: GraphQLSchema) -> None:
    """Have ``schema``'s ``Date`` and ``DateTime`` (when it has them) refuse what the
    subgraphs would refuse, for variables and literals alike."""
    for name, read in READERS.items():
        scalar = schema.get_type(name)
        if isinstance(scalar, GraphQLScalarType):
            # literals are read through it too (GraphQLScalarType.parse_literal)
            scalar.coerce_input_value = _checker(name, read)
