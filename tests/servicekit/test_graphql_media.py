"""GraphQL over HTTP: the media type an answer is written in, and its status."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.graphql_media import GRAPHQL_RESPONSE, JSON, answer_media_type, answer_status

ACCEPT = [
    (None, JSON),
    ("", JSON),
    ("*/*", JSON),
    ("application/*", JSON),
    ("application/json", JSON),
    ("text/html", JSON),
    ("application/graphql-response+json", GRAPHQL_RESPONSE),
    ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE),
    ("application/graphql-response+json; charset=utf-8", GRAPHQL_RESPONSE),
    ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
    ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),
    ("application/json, application/graphql-response+json;q=0.5", JSON),
    ("application/graphql-response+json;q=0", JSON),
    ("application/graphql-response+json;q=0.8, */*;q=0.9", JSON),
    ("application/graphql-response+json;q=nonsense", JSON),
]


@pytest.mark.parametrize(("accept", "media_type"), ACCEPT)
def test_the_answer_is_written_in_the_media_type_the_client_prefers(
    accept: str | None, media_type: str
) -> None:
    assert answer_media_type(accept) == media_type


def error(code: str) -> dict[str, Any]:
    return {"message": "…", "extensions": {"code": code}}


STATUSES = [
    # a GraphQL response in application/json is always 200 once the request was read
    ({"errors": [error("GRAPHQL_PARSE_FAILED")]}, JSON, 200),
    ({"errors": [error("UNAUTHENTICATED")]}, JSON, 200),
    # ... but a request naming no operation of its document is not one that can be run
    ({"errors": [error("BAD_REQUEST")]}, JSON, 400),
    ({"errors": [error("BAD_REQUEST")]}, GRAPHQL_RESPONSE, 400),
    # in application/graphql-response+json, a request error says what kind it is
    ({"errors": [error("GRAPHQL_PARSE_FAILED")]}, GRAPHQL_RESPONSE, 400),
    ({"errors": [error("GRAPHQL_VALIDATION_FAILED")]}, GRAPHQL_RESPONSE, 400),
    ({"errors": [error("BAD_USER_INPUT")]}, GRAPHQL_RESPONSE, 400),
    ({"errors": [error("OPERATION_TOO_COSTLY")]}, GRAPHQL_RESPONSE, 400),
    ({"errors": [error("UNAUTHENTICATED")]}, GRAPHQL_RESPONSE, 401),
    ({"errors": [error("FORBIDDEN")]}, GRAPHQL_RESPONSE, 403),
    ({"errors": [error("SERVICE_UNAVAILABLE")]}, GRAPHQL_RESPONSE, 503),
    ({"errors": [error("INTERNAL_SERVER_ERROR")]}, GRAPHQL_RESPONSE, 500),
    ({"errors": [{"message": "no code"}]}, GRAPHQL_RESPONSE, 400),
    # an answer with data (null included) is 200 whatever went wrong in its fields
    ({"data": {"a": None}, "errors": [error("SERVICE_UNAVAILABLE")]}, GRAPHQL_RESPONSE, 200),
    ({"data": None, "errors": [error("INTERNAL_SERVER_ERROR")]}, GRAPHQL_RESPONSE, 200),
    ({"data": {"a": 1}}, GRAPHQL_RESPONSE, 200),
    ({"data": {"a": 1}}, JSON, 200),
]


@pytest.mark.parametrize(("answer", "media_type", "status"), STATUSES)
def test_the_status_follows_the_media_type_and_the_kind_of_error(
    answer: dict[str, Any], media_type: str, status: int
) -> None:
    assert answer_status(answer, media_type) == status
