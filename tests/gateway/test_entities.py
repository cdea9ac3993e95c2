"""Entity merge (gateway/entities.py) against in-memory subgraphs: what each ``_entities``
call asks for and how its answers, errors and absences land in the client's answer."""

from __future__ import annotations

import pytest

from gateway.supergraph import Supergraph
from tests.gateway.fake_subgraphs import FakeSubgraphs, pipeline, supergraph


@pytest.fixture(scope="module")
def graph() -> Supergraph:
    return supergraph()


async def test_missing_fields_are_fetched_once_per_subgraph_each_representation_once(
    graph: Supergraph,
) -> None:
    subgraphs = FakeSubgraphs()
    answer = await pipeline(subgraphs, graph).run(
        "{ people { name home { city } } }", {}, None, "token"
    )
    assert answer == {
        "data": {
            "people": [
                {"name": "Ada", "home": {"city": "Leeds"}},
                {"name": "Grace", "home": {"city": "Leeds"}},
                {"name": "Edsger", "home": {"city": "Derby"}},
            ]
        }
    }
    root, entities = subgraphs.calls
    assert root.subgraph == "people"
    assert entities.subgraph == "places"
    assert "_entities" in entities.query
    # Ada's and Grace's home is one place: asked for once
    assert entities.variables == {
        "_wnwaRepresentations0": [
            {"__typename": "Place", "id": "p1"},
            {"__typename": "Place", "id": "p2"},
        ]
    }


async def test_entities_in_lists_are_merged_into_every_object_that_needs_them(
    graph: Supergraph,
) -> None:
    subgraphs = FakeSubgraphs()
    answer = await pipeline(subgraphs, graph).run(
        "{ places { city residents { id name nickname } } }", {}, None, "token"
    )
    assert answer["data"]["places"] == [
        {
            "city": "Leeds",
            "residents": [
                {"id": "1", "name": "Ada", "nickname": None},
                {"id": "2", "name": "Grace", "nickname": "Amazing"},
            ],
        },
        {"city": "Derby", "residents": [{"id": "3", "name": "Edsger", "nickname": None}]},
    ]
    assert [call.subgraph for call in subgraphs.calls] == ["places", "people"]


async def test_an_entity_fetchs_error_lands_at_the_clients_path(graph: Supergraph) -> None:
    subgraphs = FakeSubgraphs(failing={"Place.city"})
    answer = await pipeline(subgraphs, graph).run(
        "{ people { name home { city } } }", {}, None, "token"
    )
    # city is non-null: each failed home is nulled, the people stay
    assert answer["data"]["people"][0] == {"name": "Ada", "home": None}
    paths = sorted(error["path"] for error in answer["errors"])
    assert paths == [
        ["people", 0, "home", "city"],
        ["people", 1, "home", "city"],
        ["people", 2, "home", "city"],
    ]


async def test_an_unreachable_entity_subgraph_nulls_only_its_fields(graph: Supergraph) -> None:
    subgraphs = FakeSubgraphs(down={"places"})
    answer = await pipeline(subgraphs, graph).run(
        "{ people { name home { city } } }", {}, None, "token"
    )
    assert [person["name"] for person in answer["data"]["people"]] == ["Ada", "Grace", "Edsger"]
    assert all(person["home"] is None for person in answer["data"]["people"])
    codes = {error["extensions"]["code"] for error in answer["errors"]}
    services = {error["extensions"]["service"] for error in answer["errors"]}
    assert codes == {"SUBGRAPH_UNAVAILABLE"}
    assert services == {"places"}
