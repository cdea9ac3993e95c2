"""Two small subgraphs answered in memory, for the gateway's unit tier.

``people`` owns ``Person`` (and a person's home, a ``Place`` reference); ``places`` owns
``Place`` (and its residents, ``Person`` references). :class:`FakeSubgraphs` stands where
the gateway's HTTP client does (``gateway.subgraphs.SubgraphCalls``): each call's document
is executed by graphql-core over the subgraph's schema and data, ``_entities`` included, and
recorded, so a test sees what the planner sent and what the gateway made of the answers —
no server, no database, milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, build_schema, graphql, parse, validate

from gateway.composition import compose
from gateway.operations import OperationPipeline
from gateway.settings import load as load_settings
from gateway.subgraphs import SubgraphResponse, SubgraphUnavailable
from gateway.supergraph import Supergraph
from gateway.supergraph import load as load_supergraph

_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
    'import: ["@key", "@shareable"])\n'
)

# what the subgraphs export (composed into the supergraph)
SDL = {
    "people": _LINK
    + """
type Query {
  people: [Person!]!
  person(id: ID!): Person
}
type Person @key(fields: "id") {
  id: ID!
  name: String!
  nickname: String
  home: Place
}
type Place @key(fields: "id", resolvable: false) {
  id: ID!
}
""",
    "places": _LINK
    + """
type Query {
  places: [Place!]!
}
type Place @key(fields: "id") {
  id: ID!
  city: String!
  residents: [Person!]!
}
type Person @key(fields: "id", resolvable: false) {
  id: ID!
}
""",
}

# the same schemas as the subgraphs execute them (federation's _entities added)
_EXECUTABLE = {
    "people": """
scalar _Any
union _Entity = Person
type Query {
  people: [Person!]!
  person(id: ID!): Person
  _entities(representations: [_Any!]!): [_Entity]!
}
type Person { id: ID! name: String! nickname: String home: Place }
type Place { id: ID! }
""",
    "places": """
scalar _Any
union _Entity = Place
type Query {
  places: [Place!]!
  _entities(representations: [_Any!]!): [_Entity]!
}
type Place { id: ID! city: String! residents: [Person!]! }
type Person { id: ID! }
""",
}

PEOPLE: dict[str, dict[str, Any]] = {
    "1": {"id": "1", "name": "Ada", "nickname": None, "home": {"id": "p1"}},
    "2": {"id": "2", "name": "Grace", "nickname": "Amazing", "home": {"id": "p1"}},
    "3": {"id": "3", "name": "Edsger", "nickname": None, "home": {"id": "p2"}},
}
PLACES: dict[str, dict[str, Any]] = {
    "p1": {"id": "p1", "city": "Leeds", "residents": [{"id": "1"}, {"id": "2"}]},
    "p2": {"id": "p2", "city": "Derby", "residents": [{"id": "3"}]},
}


@dataclass
class Call:
    subgraph: str
    query: str
    variables: dict[str, Any]


@dataclass
class FakeSubgraphs:
    """The subgraphs in memory. ``down``: subgraphs that do not answer; ``failing``: a
    ``Type.field`` whose resolver raises (a subgraph's error at that path)."""

    down: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._schemas = {name: build_schema(sdl) for name, sdl in _EXECUTABLE.items()}

    async def fetch_query(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None = None,
    ) -> SubgraphResponse:
        return await self.fetch(
            subgraph, query, variables, authorization=authorization, operation_name=operation_name
        )

    async def fetch(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None = None,
    ) -> SubgraphResponse:
        self.calls.append(Call(subgraph, query, dict(variables)))
        if subgraph in self.down:
            raise SubgraphUnavailable(subgraph, "is unavailable")
        schema = self._schemas[subgraph]
        # the gateway's documents must be valid for the subgraph, as a server would insist
        problems = validate(schema, parse(query))
        assert not problems, (subgraph, query, problems)
        result = await graphql(
            schema,
            query,
            root_value=self._roots(subgraph),
            variable_values=dict(variables),
            operation_name=operation_name,
            field_resolver=self._resolver,
        )
        return SubgraphResponse(
            result.data, [dict(error.formatted) for error in result.errors or []]
        )

    def _roots(self, subgraph: str) -> dict[str, Callable[..., Any]]:
        if subgraph == "people":
            return {
                "people": lambda _info: list(PEOPLE.values()),
                "person": lambda _info, id: PEOPLE.get(id),
                "_entities": lambda _info, representations: [
                    _typed("Person", PEOPLE.get(r["id"])) for r in representations
                ],
            }
        return {
            "places": lambda _info: list(PLACES.values()),
            "_entities": lambda _info, representations: [
                _typed("Place", PLACES.get(r["id"])) for r in representations
            ],
        }

    def _resolver(self, source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        if f"{info.parent_type.name}.{info.field_name}" in self.failing:
            raise GraphQLError(f"{info.field_name} failed")
        value = source.get(info.field_name) if isinstance(source, dict) else None
        return value(info, **arguments) if callable(value) else value


def _typed(type_name: str, record: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None else {**record, "__typename": type_name}


def supergraph() -> Supergraph:
    """The two subgraphs composed and loaded, as the gateway does at start-up."""
    return load_supergraph(compose(SDL))


def pipeline(subgraphs: FakeSubgraphs, graph: Supergraph, **settings: str) -> OperationPipeline:
    """The gateway's operation pipeline over ``subgraphs`` (``settings``: WNWA_GATEWAY_*)."""
    environ = {"WNWA_ENV": "test", **{f"WNWA_GATEWAY_{k}": v for k, v in settings.items()}}
    return OperationPipeline(load_settings(environ), graph, subgraphs)
