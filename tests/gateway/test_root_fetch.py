"""Root fetches and the planner's subgraph documents (gateway/root_fetch.py,
gateway/planning.py), against in-memory subgraphs."""

from __future__ import annotations

import pytest

from gateway.supergraph import Supergraph
from tests.gateway.fake_subgraphs import FakeSubgraphs, pipeline, supergraph

PLANNED = {"SINGLE_SUBGRAPH_PASSTHROUGH": "false"}


@pytest.fixture(scope="module")
def graph() -> Supergraph:
    return supergraph()


async def test_a_querys_root_fields_travel_in_one_request_per_subgraph(graph: Supergraph) -> None:
    subgraphs = FakeSubgraphs()
    answer = await pipeline(subgraphs, graph, **PLANNED).run(
        "{ a: people { name } places { city } b: people { id } }", {}, None, "token"
    )
    assert list(answer["data"]) == ["a", "places", "b"]
    assert answer["data"]["b"] == [{"id": "1"}, {"id": "2"}, {"id": "3"}]
    assert sorted(call.subgraph for call in subgraphs.calls) == ["people", "places"]


async def test_a_selection_is_projected_onto_the_subgraph_with_the_keys_it_needs(
    graph: Supergraph,
) -> None:
    subgraphs = FakeSubgraphs()
    await pipeline(subgraphs, graph).run(
        "query ($id: ID!) { person(id: $id) { name home { city } } }",
        {"id": "1", "unused": 1},
        None,
        "token",
    )
    root, entities = subgraphs.calls
    # the home's city is not the people subgraph's: it is asked for the key instead
    assert "city" not in root.query
    assert "__key_id: id" in root.query
    assert root.variables == {"id": "1"}  # only the variables the document uses
    assert "... on Place" in entities.query
    assert "city" in entities.query


async def test_an_operations_plans_are_worked_out_once_and_kept_with_its_document(
    graph: Supergraph,
) -> None:
    gateway = pipeline(FakeSubgraphs(), graph, **PLANNED)
    query = "{ people { name home { city } } places { city } }"
    first = await gateway.run(query, {}, None, "token")
    checked = gateway.check(query)
    plans = checked.plans[None].execution
    documents = dict(plans.roots)
    assert len(documents) == 2  # one per subgraph
    assert len(plans.entities.documents) == 1
    assert plans.shapes
    assert await gateway.run(query, {}, None, "token") == first
    # the second run found every document it needed: nothing new was planned
    assert plans.roots == documents
    assert all(plans.roots[key] is document for key, document in documents.items())
