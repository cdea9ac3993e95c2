"""GraphQL over HTTP: which media type an answer is written in, and with which status.

Every endpoint here (the gateway and each subgraph) follows the GraphQL over HTTP
specification the same way:

- A client that prefers ``application/graphql-response+json`` (by its ``Accept``, quality
  values honoured; a tie goes to it) gets it. Any other ``Accept`` — none, ``*/*``,
  ``application/json``, or only types we cannot write — gets ``application/json``, which
  every client understands.
- In ``application/json`` every GraphQL response to a request that could be read is 200,
  request errors included, as the specification asks for that legacy type.
- In ``application/graphql-response+json`` an answer with a ``data`` entry (even ``null``)
  is 200; a request error (no ``data``) says what kind it is: 401 ``UNAUTHENTICATED``, 403
  ``FORBIDDEN``, 503 when a service or its database cannot be reached, 500 for a bug, 400
  for everything else (a document that does not parse or validate, a bad variable).
- In either, a request whose parameters name no operation the document can run
  (``BAD_REQUEST``) is 400, as a body that is not a GraphQL request at all is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

_REQUEST_ERROR_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "SERVICE_UNAVAILABLE": 503,
    "SUBGRAPH_UNAVAILABLE": 503,
    "INTERNAL_SERVER_ERROR": 500,
}


def answer_media_type(accept: str | None) -> str:
    """The media type to answer a request whose ``Accept`` header is ``accept``."""
    if not accept or "graphql-response" not in accept.lower():
        return JSON  # the usual case, decided without parsing
    preferred, json = 0.0, 0.0
    for media_range in accept.lower().split(","):
        kind, *parameters = (part.strip() for part in media_range.split(";"))
        quality = _quality(parameters)
        if kind == GRAPHQL_RESPONSE:
            preferred = max(preferred, quality)
        elif kind in (JSON, "application/*", "*/*"):
            json = max(json, quality)
    return GRAPHQL_RESPONSE if preferred > 0 and preferred >= json else JSON


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def answer_status(answer: Mapping[str, Any], media_type: str) -> int:
    """The HTTP status of a GraphQL response written as ``media_type``."""
    if "data" in answer:
        return 200
    errors = answer.get("errors")
    first = errors[0] if isinstance(errors, list | tuple) and errors else None
    extensions = first.get("extensions") if isinstance(first, Mapping) else None
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    if code == "BAD_REQUEST":
        return 400
    if media_type != GRAPHQL_RESPONSE:
        return 200
    return _REQUEST_ERROR_STATUS.get(str(code), 400)
