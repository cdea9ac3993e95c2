"""The `/graphql` edge every subgraph shares: malformed requests, limits, documents kept."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from graphql import parse

from servicekit.graphql import ValidDocuments
from servicekit.limits import OperationLimits, operation_cost_errors
from tests.conftest import ServiceFactory
from tests.support.tokens import TokenIssuer

DEEP = 10_000
MALFORMED_BODIES = {
    "a number": b"42",
    "a string": b'"{ __typename }"',
    "null": b"null",
    "a list": b'[{"query": "{ __typename }"}]',
    "invalid UTF-8": b'{"query": "{ __typename }", "operationName": "\xff\xfe"}',
    "10k-deep variables": b'{"query": "{ __typename }", "variables": {"v": '
    + b"[" * DEEP
    + b"]" * DEEP
    + b"}}",
    "variables that are a list": b'{"query": "{ __typename }", "variables": [1]}',
    "variables that are zero": b'{"query": "{ __typename }", "variables": 0}',
    "variables that are false": b'{"query": "{ __typename }", "variables": false}',
    "variables that are an empty string": b'{"query": "{ __typename }", "variables": ""}',
    "extensions that are a string": b'{"query": "{ __typename }", "extensions": "x"}',
    "extensions that are a list": b'{"query": "{ __typename }", "extensions": []}',
    "a query that is a number": b'{"query": 7}',
    "an empty query": b'{"query": ""}',
    "an operation name the document lacks": b'{"query": "query A { __typename }", '
    b'"operationName": "B"}',
    "a subscription": b'{"query": "subscription S { __typename }"}',
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
async def test_malformed_json_bodies_get_a_400_with_a_graphql_error(
    start_service: ServiceFactory, body: bytes
) -> None:
    async with start_service("directory") as service:
        response = await service.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


MALFORMED_FORMS = {
    "operations is a list": {"operations": "[]", "map": "{}"},
    "map is a list": {"operations": '{"query": "{ __typename }"}', "map": "[]"},
    "operations is not JSON": {"operations": "{", "map": "{}"},
    "map names a missing file": {
        "operations": '{"query": "{ __typename }", "variables": {"f": null}}',
        "map": '{"7": ["variables.f"]}',
    },
    "map points into a string": {
        "operations": '{"query": "{ __typename }", "variables": {"f": "text"}}',
        "map": '{"0": ["variables.f.x"]}',
    },
    "too many fields": {f"field{index}": "x" for index in range(60)},
}


@pytest.mark.parametrize("form", MALFORMED_FORMS.values(), ids=MALFORMED_FORMS.keys())
async def test_malformed_multipart_requests_get_a_400_with_a_graphql_error(
    start_service: ServiceFactory, form: dict[str, str]
) -> None:
    async with start_service("professionals") as service:
        response = await service.http.post(
            "/graphql", data=form, files={"0": ("a.pdf", b"%PDF-1.4\n", "application/pdf")}
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_json_body_gets_the_normal_limit_where_uploads_get_more(
    start_service: ServiceFactory,
) -> None:
    query = "{ __typename }" + " " * 2_000_000  # 2 MB of blanks: under the upload limit
    async with start_service("professionals") as service:
        response = await service.http.post(
            "/graphql",
            content=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_subgraph_refuses_operations_over_the_gateway_limits(
    start_service: ServiceFactory,
) -> None:
    aliases = " ".join(f"a{index}: __typename" for index in range(1000))
    fields = " ".join(["__typename"] * 1200)
    tokens = "{ " + " ".join(["a"] * 25_000) + " }"
    async with start_service("membership") as service:
        too_many_aliases = await service.graphql("{ " + aliases + " }")
        too_many_fields = await service.graphql("{ " + fields + " }")
        too_long = await service.graphql(tokens)
        within = await service.graphql("{ a: __typename b: __typename }")
    assert too_many_aliases["errors"][0]["extensions"]["code"] == "OPERATION_TOO_COSTLY"
    assert "1000 aliases" in too_many_aliases["errors"][0]["message"]
    assert too_many_fields["errors"][0]["extensions"]["code"] == "OPERATION_TOO_COSTLY"
    assert "tokens" in too_long["errors"][0]["message"]
    assert within == {"data": {"a": "Query", "b": "Query"}}


def test_depth_is_counted_through_fragments() -> None:
    nested = "a { " * 13 + "b" + " }" * 13
    document = parse(f"query Deep {{ ...F }} fragment F on Query {{ {nested} }}")
    [error] = operation_cost_errors(document, OperationLimits())
    assert "13 or more levels deep; the limit is 12" in error.message
    assert operation_cost_errors(parse("{ a { b { c } } }"), OperationLimits()) == []


async def test_only_valid_documents_are_kept_and_answers_stay_right(
    start_service: ServiceFactory,
) -> None:
    async with start_service("membership") as service:
        schema = service.http._transport.app.router.routes[2].endpoint.__self__.schema
        kept = len(schema.valid_documents)
        wrong = [await service.graphql("{ membershipFigures { nope } }") for _ in range(2)]
        assert len(schema.valid_documents) == kept
        right = [await service.graphql("{ __typename t: __typename }") for _ in range(2)]
        assert len(schema.valid_documents) == kept + 1
    for answer in wrong:
        assert "Cannot query field 'nope'" in answer["errors"][0]["message"]
    assert right == [{"data": {"__typename": "Query", "t": "Query"}}] * 2


def test_the_kept_documents_are_bounded_least_recently_used_first() -> None:
    documents = ValidDocuments(size=2, longest=50)
    for text in ("{ a }", "{ b }"):
        documents.add(text, parse(text))
    assert documents.get("{ a }") is not None  # now the most recently used
    documents.add("{ c }", parse("{ c }"))
    documents.add("{ " + "d " * 40 + "}", parse("{ d }"))  # too long to keep
    assert [documents.get(text) is not None for text in ("{ a }", "{ b }", "{ c }")] == [
        True,
        False,
        True,
    ]
    assert len(documents) == 2


ENTITIES = """query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on PeerSupporter { id displayName } }
}"""


@pytest.mark.parametrize(
    "representation",
    [
        {"__typename": "NoSuchType", "id": "x"},
        {"__typename": "Query", "id": "x"},
        {"__typename": "PeerSupporter"},
        {"id": "x"},
    ],
    ids=["unknown type", "not an entity", "no key", "no typename"],
)
async def test_entities_of_unknown_types_get_a_clear_error_and_no_error_log(
    start_service: ServiceFactory,
    issuer: TokenIssuer,
    caplog: pytest.LogCaptureFixture,
    representation: dict[str, str],
) -> None:
    known = {"__typename": "PeerSupporter", "id": "00000000-0000-4000-8000-000000000000"}
    caplog.set_level(logging.ERROR)
    async with start_service("directory") as service:
        answer = await service.graphql(
            ENTITIES, {"representations": [known, representation]}, token=issuer.token("service")
        )
    assert answer["data"] == {"_entities": [None, None]}
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["_entities", 1]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


SEARCH = """query Search($filter: PeerSupporterFilter) {
  searchPeerSupporters(filter: $filter, first: 5) { matches { supporter { id } } }
}"""


async def test_a_kept_document_answers_and_fails_as_it_did_the_first_time(
    start_service: ServiceFactory,
    issuer: TokenIssuer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second run of a document skips parsing and validation: its answers, error codes,
    masking and error log must be those of the first."""
    from services.directory import store

    async def broken(**_: object) -> None:
        raise RuntimeError("a secret detail")

    officer = issuer.token("officer")
    caplog.set_level(logging.ERROR)
    async with start_service("directory") as service:

        async def twice(variables: dict[str, Any], token: str | None) -> list[dict[str, Any]]:
            return [await service.graphql(SEARCH, variables, token=token) for _ in range(2)]

        found = await twice({}, officer)
        unauthenticated = await twice({}, None)
        wrong_variable = await twice({"filter": {"near": {"withinMiles": "far"}}}, officer)
        monkeypatch.setattr(store, "supporter_changes", broken)
        failed = await twice({}, officer)
        named_wrong = [
            await service.http.post("/graphql", json={"query": SEARCH, "operationName": "Other"})
            for _ in range(2)
        ]
    assert found[0] == found[1]
    assert found[0]["data"]["searchPeerSupporters"]["matches"] == []
    assert unauthenticated[0] == unauthenticated[1]
    assert unauthenticated[0]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert wrong_variable[0] == wrong_variable[1]
    assert wrong_variable[0]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert failed[0] == failed[1]
    assert failed[0]["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in json.dumps(failed)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 2
    assert logged[0] == logged[1]
    assert "RuntimeError in operation" in logged[0]
    assert not any("secret" in message for message in logged)
    assert [r.status_code for r in named_wrong] == [400, 400]
    assert named_wrong[0].json() == named_wrong[1].json()


UNREADABLE_MULTIPART = {
    "no boundary": ("multipart/form-data", b"--x\r\n"),
    "a body that is not multipart": ("multipart/form-data; boundary=x", b"garbage\r\n--y--"),
    "a part without a name": (
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n",
    ),
}


@pytest.mark.parametrize(
    ("content_type", "body"), UNREADABLE_MULTIPART.values(), ids=UNREADABLE_MULTIPART.keys()
)
async def test_unreadable_multipart_bodies_get_a_graphql_error_not_plain_text(
    start_service: ServiceFactory, content_type: str, body: bytes
) -> None:
    async with start_service("professionals") as service:
        response = await service.http.post(
            "/graphql", content=body, headers={"Content-Type": content_type}
        )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


REQUEST_ERRORS = {
    "a document that does not parse": ("{ membershipFigures { ", {}, "GRAPHQL_PARSE_FAILED"),
    "a document that does not validate": ("{ nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
    "a variable of the wrong type": (
        "query($n: Int!) { annualFeeQuoteCents(swornOfficers: $n) }",
        {"n": "many"},
        "BAD_USER_INPUT",
    ),
    "a missing variable": (
        "query($n: Int!) { annualFeeQuoteCents(swornOfficers: $n) }",
        {},
        "BAD_USER_INPUT",
    ),
}


@pytest.mark.parametrize(
    ("query", "variables", "code"), REQUEST_ERRORS.values(), ids=REQUEST_ERRORS.keys()
)
async def test_request_errors_have_no_data_entry_and_a_status_for_their_media_type(
    start_service: ServiceFactory, query: str, variables: dict[str, Any], code: str
) -> None:
    body = {"query": query, "variables": variables}
    async with start_service("membership") as service:
        legacy = await service.http.post("/graphql", json=body)
        strict = await service.http.post(
            "/graphql", json=body, headers={"Accept": "application/graphql-response+json"}
        )
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    assert strict.status_code == 400
    assert strict.headers["content-type"].startswith("application/graphql-response+json")
    for answer in (legacy.json(), strict.json()):
        assert "data" not in answer, answer
        assert answer["errors"][0]["extensions"]["code"] == code


async def test_an_answer_with_data_is_200_in_either_media_type(
    start_service: ServiceFactory,
) -> None:
    query = {"query": "{ __typename myPeerSupporterProfile { id } }"}  # needs a sign-in
    async with start_service("directory") as service:
        answers = [
            await service.http.post("/graphql", json=query, headers={"Accept": accept})
            for accept in ("application/json", "application/graphql-response+json")
        ]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.json()["data"] == {"__typename": "Query", "myPeerSupporterProfile": None}
        assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert answers[1].headers["content-type"].startswith("application/graphql-response+json")


async def test_a_subgraph_with_introspection_off_answers_no_schema_question(
    start_service: ServiceFactory,
) -> None:
    question = "{ __schema { queryType { name } } }"
    async with start_service("membership", INTROSPECTION="false") as service:
        refused = await service.graphql(question)
        by_type = await service.graphql('{ __type(name: "Query") { name } }')
        plain = await service.graphql("{ __typename }")
    async with start_service("membership") as service:
        development = await service.graphql(question)
    assert "introspection" in refused["errors"][0]["message"].lower()
    assert "data" not in refused
    assert "introspection" in by_type["errors"][0]["message"].lower()
    assert plain == {"data": {"__typename": "Query"}}
    assert development == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
