"""Federation: the gateway resolves `PeerSupporter` by id; `Department` is membership's."""

from __future__ import annotations

from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FENWOOD, HARLOW, create_profile
from tests.support.tokens import TokenIssuer

ENTITIES = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on PeerSupporter { id displayName department { id } availableNow }
  }
}
"""


async def test_entities_resolve_visible_supporters_and_null_otherwise(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    first = await create_profile(directory, issuer, department=FENWOOD, displayName="One")
    second = await create_profile(directory, issuer, department=FENWOOD, displayName="Two")
    await directory.graphql(
        "mutation($id: ID!) { deactivatePeerSupporter(id: $id) { errors { field } } }",
        {"id": second["id"]},
        token=issuer.token("coordinator", department=FENWOOD),
    )
    representations = [
        {"__typename": "PeerSupporter", "id": first["id"]},
        {"__typename": "PeerSupporter", "id": second["id"]},
        {"__typename": "PeerSupporter", "id": "00000000-0000-4000-8000-000000000000"},
        {"__typename": "PeerSupporter", "id": "garbage"},
    ]
    answer = await directory.graphql(
        ENTITIES, {"r": representations}, token=issuer.token("officer", department=HARLOW)
    )
    assert "errors" not in answer
    assert answer["data"]["_entities"] == [
        {
            "id": first["id"],
            "displayName": "One",
            "department": {"id": str(FENWOOD)},
            "availableNow": True,
        },
        None,
        None,
        None,
    ]


def test_sdl_declares_the_entity_and_the_department_stub() -> None:
    from services.directory.app import build_schema

    sdl = build_schema().as_str()
    assert 'type PeerSupporter @key(fields: "id")' in sdl
    assert 'type Department @key(fields: "id", resolvable: false)' in sdl
