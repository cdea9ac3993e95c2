"""Generated operations (hypothesis-graphql) through the gateway and straight at each
subgraph: valid ones and ones with a mistake in them, anonymous and signed in. Whatever
they ask, the answer is never a 5xx, never an unexpected error, and nothing is logged as
one."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from gateway.settings import SUPERGRAPH_FILE
from gateway.supergraph import load
from tests.gateway.conftest import SUBGRAPHS, Federation, _subgraph, gateway_for
from tests.support.database import TemplateDatabases
from tests.support.tokens import TokenIssuer
from wnwa.registry import service_named

pytestmark = pytest.mark.slow

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")

# federation's own fields: `_service` is static, and `_entities` with arbitrary
# representations is tested on its own by the entity tests of each service
FEDERATION_FIELDS = {"_entities", "_service"}

CUSTOM_SCALARS = {
    "Date": st.dates().map(lambda day: nodes.String(day.isoformat())),
    "DateTime": st.datetimes(timezones=st.just(dt.UTC)).map(
        lambda moment: nodes.String(moment.isoformat())
    ),
    "Upload": st.just(nodes.Null),
    "_Any": st.just(nodes.Object([])),
}


def generated(
    schema: GraphQLSchema, fields: Iterable[str], count: int, mode: Mode = Mode.POSITIVE
) -> list[str]:
    """``count`` operations drawn by hypothesis-graphql for the root ``fields``."""
    drawn: list[str] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        from_schema(
            schema,
            fields=sorted(fields),
            custom_scalars=CUSTOM_SCALARS,
            allow_x00=False,
            mode=mode,
        )
    )
    def draw(operation: object) -> None:
        drawn.append(str(operation))

    draw()
    assert len(set(drawn)) > count // 2, "hypothesis-graphql drew too few distinct operations"
    return drawn


def root_fields(schema: GraphQLSchema, keep: Any = lambda type_name, name: True) -> set[str]:
    names: set[str] = set()
    for root in (schema.query_type, schema.mutation_type):
        if root is not None:
            names |= {name for name in root.fields if keep(root.name, name)}
    return names - FEDERATION_FIELDS


@pytest.fixture(scope="module")
async def federation(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[Federation]:
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        database_urls: dict[str, str] = {}
        for name in SUBGRAPHS:
            urls[name], database_urls[name] = await stack.enter_async_context(
                _subgraph(name, databases, issuer)
            )
        yield Federation(urls=urls, database_urls=database_urls, issuer=issuer)


def signed_in(issuer: TokenIssuer) -> str:
    """A token holding every role a person can have, so generated operations reach past the
    authorization checks into the resolvers."""
    return issuer.token(
        "officer", "peer_supporter", "coordinator", "vetter", "network_admin", department=NETWORK
    )


async def send_all(
    http: httpx.AsyncClient, url: str, operations: list[str], tokens: list[str | None]
) -> list[str]:
    """Every operation, each with the next token in turn; the problems found."""
    problems: list[str] = []
    for number, operation in enumerate(operations):
        token = tokens[number % len(tokens)]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.post(url, json={"query": operation}, headers=headers)
        if response.status_code >= 500:
            problems.append(f"{response.status_code} for {operation}")
            continue
        try:
            answer = response.json()
        except ValueError:
            problems.append(f"not JSON ({response.status_code}) for {operation}")
            continue
        for error in answer.get("errors") or ():
            code = (error.get("extensions") or {}).get("code")
            if code == "INTERNAL_SERVER_ERROR" or "went wrong" in error["message"]:
                problems.append(f"unexpected error for {operation}: {error}")
    return problems


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def test_generated_operations_through_the_gateway(
    federation: Federation, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    supergraph = load(SUPERGRAPH_FILE.read_text(encoding="utf-8"))
    # identity is not part of this federation: its fields would only be "unavailable"
    ours = root_fields(
        supergraph.schema,
        lambda type_name, name: "identity" not in supergraph.owners(type_name, name),
    )
    queries = set(supergraph.schema.query_type.fields) & ours  # type: ignore[union-attr]
    operations = [
        *generated(supergraph.schema, queries, 120),
        *generated(supergraph.schema, ours - queries, 40),
        *generated(supergraph.schema, ours, 40, Mode.NEGATIVE),
    ]
    caplog.set_level(logging.WARNING)
    async with gateway_for(federation) as gateway:
        problems = await send_all(gateway.http, "/graphql", operations, [None, signed_in(issuer)])
    assert problems == []
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("name", SUBGRAPHS)
async def test_generated_operations_straight_at_each_subgraph(
    name: str, federation: Federation, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    schema: GraphQLSchema = service_named(name).build_schema()._schema
    fields = root_fields(schema)
    queries = set(schema.query_type.fields) & fields  # type: ignore[union-attr]
    operations = [
        *generated(schema, queries, 40),
        *generated(schema, fields - queries, 15),
        *generated(schema, fields, 15, Mode.NEGATIVE),
    ]
    service_token = issuer.token("service")
    caplog.set_level(logging.WARNING)
    async with httpx.AsyncClient(timeout=30) as http:
        problems = await send_all(
            http, federation.urls[name], operations, [None, signed_in(issuer), service_token]
        )
    assert problems == []
    assert errors_logged(caplog) == []
