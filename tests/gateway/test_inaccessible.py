"""What a subgraph marks ``@inaccessible`` is planned with but never served: two real
strawberry subgraphs behind the gateway, composed by ``gateway.composition``. A client naming
a hidden field, argument or enum value is refused as for an unknown one, introspection does
not show them, and an entity joined by a hidden key field still resolves."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from gateway.composition import compose
from gateway.supergraph import load
from tests.gateway.conftest import Federation, GatewayClient, gateway_for
from tests.support.servers import serving
from tests.support.tokens import TokenIssuer

pytestmark = pytest.mark.slow  # real subgraph servers


@strawberry.federation.enum
class Standing(enum.Enum):
    ACTIVE = "ACTIVE"
    LAPSED = strawberry.federation.enum_value("LAPSED", inaccessible=True)


@strawberry.federation.type(keys=["id"])
class Department:
    id: strawberry.ID = strawberry.federation.field(inaccessible=True)
    name: str
    standing: strawberry.Private[Standing]
    audit_note: str = strawberry.federation.field(inaccessible=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Department:
        return DEPARTMENTS[str(id)]


DEPARTMENTS = {
    "1": Department(
        id=strawberry.ID("1"), name="Harlow Park", standing=Standing.ACTIVE, audit_note="kept"
    ),
    "2": Department(
        id=strawberry.ID("2"), name="Elm Ridge", standing=Standing.LAPSED, audit_note="kept"
    ),
}


@strawberry.type
class MembershipQuery:
    @strawberry.field
    def departments(
        self,
        include_lapsed: Annotated[
            bool | None, strawberry.federation.argument(inaccessible=True)
        ] = None,
    ) -> list[Department]:
        return [d for d in DEPARTMENTS.values() if include_lapsed or d.standing is Standing.ACTIVE]

    @strawberry.field
    def count(self, standing: Standing = Standing.ACTIVE) -> int:
        return sum(d.standing is standing for d in DEPARTMENTS.values())


@strawberry.federation.type(name="Department", keys=[Key(fields=FieldSet("id"), resolvable=False)])
class DepartmentReference:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"])
class PeerSupporter:
    id: strawberry.ID
    department: DepartmentReference


@strawberry.type
class DirectoryQuery:
    @strawberry.field
    def supporters(self) -> list[PeerSupporter]:
        return [
            PeerSupporter(
                id=strawberry.ID(f"s{n}"), department=DepartmentReference(id=strawberry.ID(n))
            )
            for n in ("1", "2")
        ]


SCHEMAS = {
    "membership": strawberry.federation.Schema(query=MembershipQuery),
    "directory": strawberry.federation.Schema(query=DirectoryQuery),
}


@contextlib.asynccontextmanager
async def _gateway(federation: Federation, supergraph_file: Path) -> AsyncIterator[GatewayClient]:
    async with contextlib.AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(
                serving(Starlette(routes=[Route("/graphql", GraphQL(schema))]))
            )
            + "/graphql"
            for name, schema in SCHEMAS.items()
        }
        environment = Federation(urls=urls, database_urls={}, issuer=federation.issuer)
        async with gateway_for(
            environment,
            WNWA_GATEWAY_SUPERGRAPH=str(supergraph_file),
            WNWA_GATEWAY_INTROSPECTION="true",
        ) as client:
            yield client


@pytest.fixture(scope="module")
def supergraph_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("supergraph") / "supergraph.graphql"
    path.write_text(compose({n: s.as_str() for n, s in SCHEMAS.items()}), encoding="utf-8")
    return path


Ask = Callable[[str], Awaitable[dict[str, Any]]]


@pytest.fixture
async def gateway(issuer: TokenIssuer, supergraph_file: Path) -> AsyncIterator[Ask]:
    """Asks the gateway as a signed-in officer."""
    federation = Federation(urls={}, database_urls={}, issuer=issuer)
    token = issuer.token("officer")
    async with _gateway(federation, supergraph_file) as client:

        async def ask(query: str) -> dict[str, Any]:
            return await client(query, token=token)

        yield ask


def test_the_supergraph_keeps_what_it_hides_for_planning(supergraph_file: Path) -> None:
    text = supergraph_file.read_text(encoding="utf-8")
    for hidden in (
        "id: ID! @inaccessible @join__field(graph: DIRECTORY) @join__field(graph: MEMBERSHIP)",
        "auditNote: String! @inaccessible @join__field(graph: MEMBERSHIP)",
        "LAPSED @inaccessible",
        "includeLapsed: Boolean = null @inaccessible",
    ):
        assert hidden in text
    supergraph = load(text)
    assert supergraph.owners("Department", "auditNote") == ("membership",)
    key = supergraph.resolvable_key("Department", "membership")
    assert key is not None
    assert key.fields == ("id",)


async def test_an_entity_joined_by_a_hidden_key_still_resolves(gateway: Ask) -> None:
    answer = await gateway("{ supporters { id department { name } } }")
    assert answer == {
        "data": {
            "supporters": [
                {"id": "s1", "department": {"name": "Harlow Park"}},
                {"id": "s2", "department": {"name": "Elm Ridge"}},
            ]
        }
    }


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("{ supporters { department { id } } }", "Cannot query field 'id' on type 'Department'."),
        ("{ departments { auditNote } }", "Cannot query field 'auditNote' on type 'Department'."),
        (
            "{ departments(includeLapsed: true) { name } }",
            "Unknown argument 'includeLapsed' on field 'Query.departments'.",
        ),
        (
            "{ count(standing: LAPSED) }",
            "Value 'LAPSED' does not exist in 'Standing' enum.",
        ),
    ],
)
async def test_a_client_naming_a_hidden_element_is_refused_as_unknown(
    gateway: Ask, query: str, refusal: str
) -> None:
    answer = await gateway(query)
    assert "data" not in answer
    assert [e["message"] for e in answer["errors"]] == [refusal]
    assert answer["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_introspection_does_not_show_what_is_hidden(gateway: Ask) -> None:
    answer = await gateway(
        """{
          department: __type(name: "Department") { fields { name } }
          standing: __type(name: "Standing") { enumValues { name } }
          query: __type(name: "Query") { fields { name args { name } } }
        }"""
    )
    types = answer["data"]
    assert [f["name"] for f in types["department"]["fields"]] == ["name"]
    assert [v["name"] for v in types["standing"]["enumValues"]] == ["ACTIVE"]
    assert {f["name"]: [a["name"] for a in f["args"]] for f in types["query"]["fields"]} == {
        "supporters": [],
        "departments": [],
        "count": ["standing"],
    }
