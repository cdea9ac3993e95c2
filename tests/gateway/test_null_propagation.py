"""An entity the owning subgraph no longer knows: nulls propagate as the spec says."""

from __future__ import annotations

import asyncpg
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from tests.gateway.conftest import Federation, GatewayClient

pytestmark = pytest.mark.slow  # real subgraph servers

HARLOW_PARK = DEMO_DEPARTMENTS[2]


async def test_unknown_entity_nulls_up_to_the_nearest_nullable_field(
    gateway: GatewayClient, federation: Federation
) -> None:
    token = federation.issuer.token("officer", department=HARLOW_PARK.id)
    search = await gateway(
        """{ searchPeerSupporters(first: 1, filter: {state: "IL"}) {
               matches { supporter { id department { id } } } } }""",
        token=token,
    )
    supporter = search["data"]["searchPeerSupporters"]["matches"][0]["supporter"]
    connection = await asyncpg.connect(federation.database_urls["membership"])
    try:
        await connection.execute(
            "DELETE FROM departments WHERE id = $1", supporter["department"]["id"]
        )
    finally:
        await connection.close()

    answer = await gateway(
        """query($id: ID!) {
             peerSupporter(id: $id) { displayName department { name } }
             resources: wellbeingResources { title }
           }""",
        {"id": supporter["id"]},
        token=token,
    )
    # Department.name is non-null and PeerSupporter.department is non-null:
    # the null travels up to the nullable root field peerSupporter; the rest survives
    assert answer["data"]["peerSupporter"] is None
    assert answer["data"]["resources"]
    [error] = answer["errors"]
    assert error["message"] == "Cannot return null for non-nullable field Department.name."
    assert error["path"] == ["peerSupporter", "department", "name"]
