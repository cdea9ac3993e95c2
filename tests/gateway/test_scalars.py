"""The gateway reads the platform's Date and DateTime exactly as the subgraphs do."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLScalarType
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from gateway import supergraph

SUPERGRAPH = Path(__file__).resolve().parents[2] / "gateway" / "supergraph.graphql"
VALUES = [
    "2025-02-03",
    "2025-02-30",
    "2025-02",
    "2025",
    "20250203",
    "2025-W06-1",
    "2025-02-03T04:05:06",
    "2025-02-03T04:05:06Z",
    "2025-02-03T04:05:06.123+01:00",
    "2025-02-03 04:05",
    "2025-02-03T25:00",
    "",
    "soon",
    " 2025-02-03",
    7,
    None,
    ["2025-02-03"],
]


@pytest.mark.parametrize(
    ("name", "subgraphs"), [("Date", DateDefinition), ("DateTime", DateTimeDefinition)]
)
def test_a_value_is_refused_at_the_gateway_exactly_when_a_subgraph_refuses_it(
    name: str, subgraphs: ScalarDefinition
) -> None:
    assert subgraphs.parse_value is not None
    scalar = supergraph.load(SUPERGRAPH.read_text(encoding="utf-8")).schema.get_type(name)
    assert isinstance(scalar, GraphQLScalarType)
    for value in VALUES:
        try:
            subgraphs.parse_value(value)
        except Exception:  # any refusal
            refused_there = True
        else:
            refused_there = False
        try:
            forwarded = scalar.coerce_input_value(value)
        except Exception:  # any refusal
            refused_here = True
        else:
            refused_here = False
            assert forwarded == value  # passed on as the client wrote it
        assert refused_here == refused_there, (name, value)
