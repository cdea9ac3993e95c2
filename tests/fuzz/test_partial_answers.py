"""One subgraph or one database down leaves the rest of an answer intact, and says why."""

from __future__ import annotations

import contextlib
import logging
import uuid

import asyncpg
import pytest

from tests.fuzz.links import database_link
from tests.gateway.conftest import Federation, gateway_for
from tests.support.database import TemplateDatabases
from tests.support.servers import free_port, serving
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named

pytestmark = pytest.mark.slow  # real subgraph servers

HARLOW = uuid.UUID("11111111-1111-4111-8111-111111111111")

QUERY = """{
  membershipFigures { memberDepartments }
  wellbeingResources { title }
  professionals(first: 1) { nodes { fullName } }
}"""


async def test_a_subgraph_down_and_a_database_down_leave_the_rest_of_the_answer(
    databases: TemplateDatabases, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        database_urls: dict[str, str] = {}
        for name in ("membership", "directory"):
            service = service_named(name)
            database_urls[name] = await databases.fresh(name, service.migrations)
            connection = await asyncpg.connect(database_urls[name])
            await service.seed(connection)
            await connection.close()
        link = await stack.enter_async_context(database_link(database_urls["directory"]))
        for name, database_url in (
            ("membership", database_urls["membership"]),
            ("directory", link.url),
        ):
            prefix = f"WNWA_{name.upper()}"
            settings = (
                service_named(name)
                .module("settings")
                .load(
                    {
                        "WNWA_ENV": "test",
                        f"{prefix}_DATABASE_URL": database_url,
                        "WNWA_JWKS_URL": issuer.jwks_url,
                        "WNWA_TOKEN_ISSUER": ISSUER,
                    }
                )
            )
            app = service_named(name).module("app").create_app(settings)
            urls[name] = f"{await stack.enter_async_context(serving(app))}/graphql"
        urls["professionals"] = f"http://127.0.0.1:{free_port()}/graphql"  # stopped
        federation = Federation(urls=urls, database_urls=database_urls, issuer=issuer)
        gateway = await stack.enter_async_context(gateway_for(federation))
        officer = issuer.token("officer", department=HARLOW)

        before = await gateway(QUERY, token=officer)
        assert before["data"]["membershipFigures"]["memberDepartments"] > 0
        assert before["data"]["wellbeingResources"]
        assert before["data"]["professionals"] is None
        assert [e["extensions"]["code"] for e in before["errors"]] == ["SUBGRAPH_UNAVAILABLE"]

        await link.cut()  # directory's database goes away
        caplog.set_level(logging.WARNING)
        after = await gateway(QUERY, token=officer)
        assert after["data"]["membershipFigures"] == before["data"]["membershipFigures"]
        assert after["data"]["wellbeingResources"] is None
        assert after["data"]["professionals"] is None
        by_path = {tuple(e.get("path") or ()): e for e in after["errors"]}
        unavailable = by_path[("wellbeingResources",)]
        assert unavailable["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "cannot reach its database" in unavailable["message"]
        assert by_path[("professionals",)]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
