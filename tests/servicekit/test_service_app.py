"""What every service answers the same way: health, GraphiQL, limits, hidden failures."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from tests.conftest import ServiceFactory
from tests.support.tokens import TokenIssuer


async def test_health_and_readiness(start_service: ServiceFactory) -> None:
    async with start_service("membership") as service:
        alive = await service.http.get("/healthz")
        ready = await service.http.get("/readyz")
    assert alive.json() == {"status": "ok"}
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_readiness_fails_when_the_database_is_gone(start_service: ServiceFactory) -> None:
    async with start_service("membership") as service:
        pool = service.http._transport._state["pool"]
        await pool.close()
        ready = await service.http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "database unreachable"}


async def test_graphiql_is_self_hosted_under_a_strict_policy(start_service: ServiceFactory) -> None:
    async with start_service("membership") as service:
        page = await service.http.get("/graphql", headers={"Accept": "text/html"})
        script = await service.http.get("/graphiql/static/graphiql.min.js")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace('"/graphiql', "")  # no external URL
    assert script.status_code == 200


async def test_graphiql_can_be_switched_off(start_service: ServiceFactory) -> None:
    async with start_service("membership", GRAPHIQL="false") as service:
        page = await service.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code != 200 or "GraphiQL" not in page.text


async def test_oversized_requests_are_refused_with_a_readable_error(
    start_service: ServiceFactory,
) -> None:
    async with start_service("membership") as service:
        response = await service.http.post(
            "/graphql",
            content=b"{" + b" " * 1_100_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_unexpected_failures_are_masked_and_logged_without_data(
    start_service: ServiceFactory, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    admin = issuer.token("network_admin")
    async with start_service("membership") as service:
        connection = await asyncpg.connect(service.database_url)
        await connection.execute("DROP VIEW department_contacts")  # break the database
        await connection.close()
        caplog.set_level(logging.ERROR, logger="wnwa.graphql")
        answer = await service.graphql(
            "query Contacts { departmentContacts { nodes { email } } }", token=admin
        )
        chosen = await service.graphql(
            "query dana_whitlock_inbox { departmentContacts { nodes { email } } }", token=admin
        )
    assert answer["data"] == {"departmentContacts": None}
    [error] = answer["errors"]
    assert error["message"] == "Something went wrong on our side. Please try again later."
    assert error["path"] == ["departmentContacts"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "UndefinedTableError in operation Contacts" in caplog.text
    # a name the client chose is not written as it was
    assert chosen["data"] == {"departmentContacts": None}
    assert "UndefinedTableError in operation (unlisted)" in caplog.text
    assert "dana_whitlock" not in caplog.text
    assert "department_contacts" not in caplog.text  # the database's message stays out


async def test_unknown_fields_get_graphql_validation_errors(start_service: ServiceFactory) -> None:
    async with start_service("membership") as service:
        answer = await service.graphql("{ membershipFigures { nope } }")
    assert "Cannot query field 'nope'" in answer["errors"][0]["message"]
