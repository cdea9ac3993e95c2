"""Other subgraphs reference `Department` by id; the gateway resolves it with `_entities`."""

from __future__ import annotations

from tests.conftest import ServiceUnderTest
from tests.services.membership.conftest import create_department
from tests.support.tokens import TokenIssuer

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Department { id name county state isMember }
  }
}
"""


async def test_entities_resolve_departments_in_order_with_nulls_for_unknown(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer
) -> None:
    first = await create_department(membership, admin_token, status="ACTIVE")
    second = await create_department(
        membership, admin_token, name="Fenwood Police Department", ori="IL022Z001", county="DuPage"
    )
    representations = [
        {"__typename": "Department", "id": second["id"]},
        {"__typename": "Department", "id": "7d1f6c1e-0000-4000-8000-000000000000"},
        {"__typename": "Department", "id": first["id"]},
    ]
    answer = await membership.graphql(
        ENTITIES, {"representations": representations}, token=issuer.token("officer")
    )
    assert answer == {
        "data": {
            "_entities": [
                {
                    "id": second["id"],
                    "name": "Fenwood Police Department",
                    "county": "DuPage",
                    "state": "IL",
                    "isMember": False,
                },
                None,
                {
                    "id": first["id"],
                    "name": "Harlow Park Police Department",
                    "county": "Cook",
                    "state": "IL",
                    "isMember": True,
                },
            ]
        }
    }


async def test_entities_need_a_signed_in_user(
    membership: ServiceUnderTest, admin_token: str
) -> None:
    department = await create_department(membership, admin_token)
    answer = await membership.graphql(
        ENTITIES, {"representations": [{"__typename": "Department", "id": department["id"]}]}
    )
    assert answer["data"] == {"_entities": [None]}
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert answer["errors"][0]["path"] == ["_entities", 0]
