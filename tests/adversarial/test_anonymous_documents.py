"""Hostile documents from an anonymous sender are refused with work proportional to their
size, at the gateway and straight at each subgraph (which anything inside the cluster can
reach); what the gateway keeps for the documents it is sent, and the answers it sends, stay
within their bounds."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.settings import load
from tests.adversarial.hostile import Hostile, documents, work_meter
from tests.conftest import ServiceFactory
from tests.support.graphql import running
from tests.support.servers import free_port

HOSTILE = list(documents())
# the most one refusal may cost: a fixed part for the request's passage through the app, and
# a part that grows with the document (about a hundred calls and a few hundred bytes a
# character); the fan-out family's expansion alone would be 2**60 fields
FIXED_CALLS, CALLS_PER_CHAR = 60_000, 60
FIXED_BYTES, BYTES_PER_CHAR = 4_000_000, 600


def budget(hostile: Hostile) -> tuple[int, int]:
    return (
        FIXED_CALLS + CALLS_PER_CHAR * hostile.size,
        FIXED_BYTES + BYTES_PER_CHAR * hostile.size,
    )


def alone(**settings: str) -> Starlette:
    """The gateway's app with no subgraph behind it: a refusal must need none (``settings``:
    ``WNWA_GATEWAY_*`` values)."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    environ = {"WNWA_ENV": "test", "WNWA_JWKS_URL": f"{nowhere}/jwks"}
    for name in ("membership", "directory", "professionals", "identity"):
        environ[f"WNWA_GATEWAY_{name.upper()}_URL"] = f"{nowhere}/graphql"
    environ |= {f"WNWA_GATEWAY_{name}": value for name, value in settings.items()}
    return create_app(load(environ))


@contextlib.asynccontextmanager
async def gateway_alone(**settings: str) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with no subgraph behind it, running."""
    async with running(alone(**settings)) as http:
        yield http


async def refusal(http: httpx.AsyncClient, hostile: Hostile) -> tuple[dict[str, Any], int, int]:
    calls = budget(hostile)[0]
    body = {"query": hostile.query, "variables": hostile.variables}
    with work_meter(calls) as work:
        response = await http.post("/graphql", json=body)
    assert response.status_code in (200, 400, 413), response.text[:300]
    return response.json(), work.calls, work.peak_bytes


def assert_refused(hostile: Hostile, answer: dict[str, Any], peak_bytes: int) -> None:
    assert "data" not in answer or answer["data"] is None, answer
    codes = {error.get("extensions", {}).get("code") for error in answer["errors"]}
    assert codes <= hostile.codes, (hostile.name, answer["errors"][:2])
    assert peak_bytes <= budget(hostile)[1], (hostile.name, peak_bytes)


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
async def test_the_gateway_refuses_with_work_bounded_by_the_document(hostile: Hostile) -> None:
    async with gateway_alone() as http:
        answer, _calls, peak = await refusal(http, hostile)
    assert_refused(hostile, answer, peak)


@pytest.mark.parametrize("service", ["membership", "directory", "professionals", "identity"])
async def test_each_subgraph_refuses_with_work_bounded_by_the_document(
    start_service: ServiceFactory, service: str
) -> None:
    async with start_service(service) as running_service:
        for hostile in HOSTILE:
            answer, _calls, peak = await refusal(running_service.http, hostile)
            assert_refused(hostile, answer, peak)


async def test_the_fan_out_family_costs_the_same_to_refuse_at_every_size() -> None:
    # work done, not time: refusing 2**60 fields costs what refusing 2**10 does, plus the
    # few hundred bytes of text between them
    async with gateway_alone() as http:
        small = await refusal(http, HOSTILE[0])
        large = await refusal(http, HOSTILE[3])
    assert large[1] < small[1] + 60 * (HOSTILE[3].size - HOSTILE[0].size)


async def test_a_multipart_request_nesting_its_parts_deep_gets_a_400() -> None:
    # 5,000 nested lists in the `operations` part: a JSON parser that recurses would fail
    # with a 500 and an ERROR line
    async with gateway_alone() as http:
        response = await http.post(
            "/graphql",
            files={"operations": (None, "[" * 5000 + "]" * 5000), "map": (None, "{}")},
            headers={"X-WNWA-Request": "1"},
        )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_the_documents_the_gateway_keeps_weigh_at_most_their_budget() -> None:
    # each document is 16 operations of about 15 KB: a planned operation keeps its own copy
    # of the text (for its subgraph), so each weighs 16 times its length
    def document(number: int) -> str:
        padding = "#" + "x" * 900 + "\n"
        return "".join(
            f"query Q{number}x{i} {{ feeTiers {{ minSwornOfficers }} }} {padding}"
            for i in range(16)
        )

    app = alone(DOCUMENT_CACHE_CHARS="1000000")
    async with running(app) as http:
        for number in range(8):
            text = document(number)
            for i in range(16):
                body = {"query": text, "operationName": f"Q{number}x{i}"}
                answer = (await http.post("/graphql", json=body)).json()
                assert answer["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
        kept = app.state.gateway.operations.documents
    assert 0 < len(kept) < 8
    assert kept.weight <= 1_000_000


async def test_graphiqls_introspection_and_a_type_per_alias_are_answered() -> None:
    everything = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    by_name = '{ q: __type(name: "Query") { name } m: __type(name: "Mutation") { name } }'
    async with gateway_alone() as http:
        schema = (await http.post("/graphql", json={"query": everything})).json()
        types = (await http.post("/graphql", json={"query": by_name})).json()
    assert "errors" not in schema
    assert len(schema["data"]["__schema"]["types"]) > 100
    assert types == {"data": {"q": {"name": "Query"}, "m": {"name": "Mutation"}}}


async def test_an_answer_over_its_cap_is_replaced_by_an_error_saying_so() -> None:
    everything = get_introspection_query(descriptions=True)
    async with gateway_alone(MAX_ANSWER_BYTES="100000") as http:
        response = await http.post("/graphql", json={"query": everything})
        small = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": (
                    "The answer is larger than 0.1 MB: ask for fewer fields or a smaller page."
                ),
                "extensions": {"code": "ANSWER_TOO_LARGE"},
            }
        ],
    }
    assert small.json() == {"data": {"__typename": "Query"}}
