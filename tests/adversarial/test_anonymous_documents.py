"""Hostile documents from an anonymous sender are refused with work proportional to their
size, at the gateway and straight at each subgraph (which anything inside the cluster can
reach)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

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


@contextlib.asynccontextmanager
async def gateway_alone() -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with no subgraph behind it: a refusal must need none."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    environ = {"WNWA_ENV": "test", "WNWA_JWKS_URL": f"{nowhere}/jwks"}
    for name in ("membership", "directory", "professionals", "identity"):
        environ[f"WNWA_GATEWAY_{name.upper()}_URL"] = f"{nowhere}/graphql"
    async with running(create_app(load(environ))) as http:
        yield http


async def refusal(http: httpx.AsyncClient, hostile: Hostile) -> tuple[dict[str, Any], int, int]:
    calls = budget(hostile)[0]
    body = {"query": hostile.query, "variables": hostile.variables}
    with work_meter(calls) as work:
        response = await http.post("/graphql", json=body)
    assert response.status_code in (200, 400), response.text[:300]
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
