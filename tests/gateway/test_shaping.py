"""Shaping an answer without graphql-core's executor (gateway/shaping.py), against in-memory
subgraphs: the same answer as the executor's, and the executor only where it is needed."""

from __future__ import annotations

from typing import Any

import pytest
from graphql.execution import VariableValues

from gateway.execution import OperationExecution
from gateway.supergraph import Supergraph
from tests.gateway.fake_subgraphs import FakeSubgraphs, pipeline, supergraph

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("{ people { id name nickname } }", {}),
    ("{ a: people { n: name } b: places { city } }", {}),
    ("{ people { __typename ...P home { __typename city } } } fragment P on Person { name }", {}),
    ("query ($all: Boolean!) { people { name nickname @include(if: $all) } }", {"all": False}),
    ("query ($all: Boolean!) { people { name nickname @include(if: $all) } }", {"all": True}),
    ("query ($id: ID!) { person(id: $id) { name home { city residents { name } } } }", {"id": "2"}),
    ('{ person(id: "nobody") { name } }', {}),
    ("{ places { city residents { ... on Person { nickname } } } }", {}),
]


@pytest.fixture(scope="module")
def graph() -> Supergraph:
    return supergraph()


@pytest.mark.parametrize(("query", "variables"), QUERIES)
async def test_the_shaped_answer_is_the_executors(
    graph: Supergraph, query: str, variables: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    shaped: list[dict[str, Any] | None] = []
    direct = OperationExecution.answer_directly

    async def watched(self: OperationExecution, values: VariableValues) -> dict[str, Any] | None:
        shaped.append(await direct(self, values))
        return shaped[-1]

    monkeypatch.setattr(OperationExecution, "answer_directly", watched)
    # single-subgraph operations are passed through: the planned path is what is compared
    planned = {"SINGLE_SUBGRAPH_PASSTHROUGH": "false"}
    ours = await pipeline(FakeSubgraphs(), graph, **planned).run(query, variables, None, "t")
    assert len(shaped) == 1
    assert shaped[0] is not None, "shaped without the executor"

    async def executor_only(self: OperationExecution, values: VariableValues) -> None:
        return None

    monkeypatch.setattr(OperationExecution, "answer_directly", executor_only)
    # single-subgraph operations are passed through: the planned path is what is compared
    theirs = await pipeline(FakeSubgraphs(), graph, SINGLE_SUBGRAPH_PASSTHROUGH="false").run(
        query, variables, None, "token"
    )
    assert ours == theirs


async def test_an_answer_with_an_error_is_left_to_the_executor(
    graph: Supergraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    shaped: list[dict[str, Any] | None] = []
    direct = OperationExecution.answer_directly

    async def watched(self: OperationExecution, values: VariableValues) -> dict[str, Any] | None:
        shaped.append(await direct(self, values))
        return shaped[-1]

    monkeypatch.setattr(OperationExecution, "answer_directly", watched)
    answer = await pipeline(FakeSubgraphs(failing={"Person.nickname"}), graph).run(
        "{ people { name nickname home { city } } }", {}, None, "token"
    )
    assert shaped == [None]
    assert answer["data"]["people"][0] == {
        "name": "Ada",
        "nickname": None,
        "home": {"city": "Leeds"},
    }
    assert {tuple(error["path"]) for error in answer["errors"]} == {
        ("people", 0, "nickname"),
        ("people", 1, "nickname"),
        ("people", 2, "nickname"),
    }
