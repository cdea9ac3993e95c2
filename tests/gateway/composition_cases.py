"""Small two-subgraph cases given both to the gateway's composer and to Apollo's
``@apollo/composition``: each names the error codes the gateway's composer gives (none: it
composes) and, where Apollo's verdict differs, Apollo's. Apollo differs only where it composes
what this gateway cannot plan (a nested or list key, ``@interfaceObject``, ``@requires``,
``@authenticated``); the gateway's composer then refuses with ``UNSUPPORTED_FEATURE``."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)


def link(*directives: str) -> str:
    imports = ", ".join(f'"@{d}"' for d in ("key", "shareable", *directives))
    return (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
        f"import: [{imports}])\n"
    )


FED = link("inaccessible")


@dataclass(frozen=True)
class Case:
    id: str
    subgraphs: dict[str, str]
    # the gateway's composer: the error codes it gives; empty when it composes
    codes: frozenset[str] = frozenset()
    # Apollo's codes where they differ (empty: Apollo composes); None: the same as ours
    apollo: frozenset[str] | None = None
    # coordinates the supergraph keeps (@inaccessible) but the API schema does not show
    hidden: tuple[str, ...] = field(default=())

    def apollo_codes(self) -> frozenset[str]:
        return self.codes if self.apollo is None else self.apollo


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


DEPARTMENTS = (
    FED
    + """
type Department @key(fields: "id") { id: ID! name: String! }
type Query { department(id: ID!): Department }
"""
)


def _with_departments(other: str, query: str = "type Query { nothing: Int }") -> dict[str, str]:
    return {"membership": DEPARTMENTS, "directory": FED + other + "\n" + query}


KEYS = [
    Case(
        "key naming a field the type lacks",
        _with_departments('type Department @key(fields: "nope") { id: ID! region: String }'),
        _codes("KEY_INVALID_FIELDS"),
    ),
    Case(
        "key that is not a selection set",
        _with_departments('type Department @key(fields: "id {") { id: ID! region: String }'),
        _codes("KEY_INVALID_FIELDS"),
    ),
    Case(
        "empty key",
        _with_departments('type Department @key(fields: "") { id: ID! region: String }'),
        _codes("KEY_INVALID_FIELDS"),
    ),
    Case(
        "key with an alias",
        _with_departments('type Department @key(fields: "ref: id") { id: ID! region: String }'),
        _codes("KEY_INVALID_FIELDS"),
    ),
    Case(
        "key with a directive",
        _with_departments(
            'type Department @key(fields: "id @include(if: true)") { id: ID! region: String }'
        ),
        _codes("KEY_DIRECTIVE_IN_FIELDS_ARG"),
    ),
    Case(
        "key on a field with arguments",
        _with_departments(
            'type Department @key(fields: "id") @key(fields: "code") '
            "{ id: ID! code(short: Boolean): String }"
        ),
        _codes("KEY_FIELDS_HAS_ARGS"),
    ),
    Case(
        "key on a union field",
        _with_departments(
            "type Office @shareable { id: ID! } type Patrol @shareable { id: ID! }\n"
            "union Unit = Office | Patrol\n"
            'type Department @key(fields: "id") @key(fields: "unit { ... on Office { id } }") '
            "{ id: ID! unit: Unit! }"
        ),
        _codes("KEY_FIELDS_SELECT_INVALID_TYPE"),
    ),
    Case(
        "key on an object field without its selection",
        _with_departments(
            "type Region @shareable { id: ID! }\n"
            'type Department @key(fields: "region") { id: ID! region: Region! }'
        ),
        _codes("KEY_INVALID_FIELDS"),
    ),
    Case(
        "nested key",
        _with_departments(
            "type Region @shareable { id: ID! }\n"
            'type Department @key(fields: "id") @key(fields: "region { id }") '
            "{ id: ID! region: Region! }"
        ),
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "nested key naming a field the nested type lacks",
        _with_departments(
            "type Region @shareable { id: ID! }\n"
            'type Department @key(fields: "region { nope }") { id: ID! region: Region! }'
        ),
        _codes("KEY_INVALID_FIELDS"),
    ),
    Case(
        "key on a list field",
        _with_departments(
            'type Department @key(fields: "id") @key(fields: "codes") { id: ID! codes: [String!]! }'
        ),
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "key on __typename",
        _with_departments(
            'type Department @key(fields: "id") @key(fields: "__typename") '
            "{ id: ID! region: String }"
        ),
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "composite key written with a comma",
        {
            "membership": FED + 'type Department @key(fields: "force, number") '
            "{ force: String! number: Int! name: String! }\n"
            "type Query { department: Department }",
            "directory": FED + 'type Department @key(fields: "force number", resolvable: false) '
            "{ force: String! number: Int! }\n"
            "type Query { departments: [Department!]! }",
        },
    ),
    Case(
        "key written as a braced selection set",
        _with_departments('type Department @key(fields: "{ id }") { id: ID! region: String }'),
    ),
]

INTERFACE_OBJECTS = [
    Case(
        "@interfaceObject",
        {
            "membership": link("interfaceObject")
            + 'interface Resource @key(fields: "id") { id: ID! title: String! }\n'
            'type Hotline implements Resource @key(fields: "id") { id: ID! title: String! }\n'
            "type Query { resources: [Resource!]! }",
            "directory": link("interfaceObject")
            + 'type Resource @key(fields: "id") @interfaceObject { id: ID! rating: Int }\n'
            "type Query { topRated: Resource }",
        },
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "@interfaceObject with no interface of its name",
        {
            "membership": DEPARTMENTS,
            "directory": link("interfaceObject")
            + 'type Resource @key(fields: "id") @interfaceObject { id: ID! rating: Int }\n'
            "type Query { topRated: Resource }",
        },
        _codes("INTERFACE_OBJECT_USAGE_ERROR"),
    ),
    Case(
        "@interfaceObject without a key",
        {
            "membership": link("interfaceObject")
            + 'interface Resource @key(fields: "id") { id: ID! title: String! }\n'
            'type Hotline implements Resource @key(fields: "id") { id: ID! title: String! }\n'
            "type Query { resources: [Resource!]! }",
            "directory": link("interfaceObject")
            + "type Resource @interfaceObject { id: ID! rating: Int }\n"
            "type Query { topRated: Resource }",
        },
        _codes("INTERFACE_OBJECT_USAGE_ERROR"),
    ),
    Case(
        "an object in one subgraph, an interface in the other",
        _with_departments("interface Department { id: ID! }"),
        _codes("TYPE_KIND_MISMATCH"),
    ),
    Case(
        "an object in one subgraph, an enum in the other",
        _with_departments("enum Department { NORTH SOUTH }"),
        _codes("TYPE_KIND_MISMATCH"),
    ),
]

INACCESSIBLE = [
    Case(
        "a field inaccessible in one subgraph",
        {
            "membership": FED + 'type Department @key(fields: "id") { id: ID! @inaccessible '
            "name: String! }\n"
            "type PageInfo @shareable { endCursor: String @inaccessible hasNextPage: Boolean! }\n"
            "type Query { department(id: ID!): Department pages: PageInfo }",
            "directory": FED + 'type Department @key(fields: "id") { id: ID! headcount: Int }\n'
            "type PageInfo @shareable { endCursor: String hasNextPage: Boolean! }\n"
            "type Query { departments: [Department!]! morePages: PageInfo }",
        },
        hidden=("Department.id", "PageInfo.endCursor"),
    ),
    Case(
        "every kind of element inaccessible",
        {
            "membership": FED + "enum Standing { ACTIVE LAPSED @inaccessible }\n"
            "input Filter { county: String region: String @inaccessible standing: Standing }\n"
            "type Audit @inaccessible { at: String }\n"
            "interface Listing { id: ID! }\n"
            "type Hotline implements Listing { id: ID! }\n"
            "union Found = Hotline\n"
            "scalar Secret @inaccessible\n"
            'type Department @key(fields: "id") { id: ID! '
            "audit: Audit @inaccessible secret: Secret @inaccessible }\n"
            "type Query {\n"
            "  departments(filter: Filter, includeRetired: Boolean @inaccessible): [Department!]!\n"
            "  listings: [Listing!]! found: [Found!]!\n"
            "}",
            "directory": FED + 'type Department @key(fields: "id", resolvable: false) '
            "{ id: ID! }\n"
            "type Query { nearest: Department }",
        },
        hidden=(
            "Standing.LAPSED",
            "Filter.region",
            "Audit",
            "Secret",
            "Department.audit",
            "Department.secret",
            "Query.departments(includeRetired:)",
        ),
    ),
    Case(
        "an inaccessible value of an enum a field returns",
        _with_departments(
            "enum Standing { ACTIVE LAPSED @inaccessible }", "type Query { standing: Standing }"
        ),
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "an inaccessible member of a union",
        _with_departments(
            "type Hotline { id: ID! } type Draft @inaccessible { id: ID! }\n"
            "union Found = Hotline | Draft",
            "type Query { found: [Found!]! }",
        ),
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "an inaccessible type implementing an interface",
        _with_departments(
            "interface Listing { id: ID! }\n"
            "type Hotline implements Listing { id: ID! }\n"
            "type Draft implements Listing @inaccessible { id: ID! }",
            "type Query { listings: [Listing!]! }",
        ),
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "@federation__inaccessible, written without importing it",
        {
            "membership": DEPARTMENTS,
            "directory": link()
            + "type Query { nearest: Int hidden: Int @federation__inaccessible }",
        },
        hidden=("Query.hidden",),
    ),
    Case(
        "@inaccessible imported under another name",
        {
            "membership": DEPARTMENTS,
            "directory": link().replace(
                '"@shareable"]', '"@shareable", {name: "@inaccessible", as: "@hidden"}]'
            )
            + "type Query { nearest: Int audit: Int @hidden }",
        },
        hidden=("Query.audit",),
    ),
    Case(
        "@inaccessible not imported",
        {
            "membership": DEPARTMENTS,
            "directory": link() + "type Query { a: Int b: Int @inaccessible }",
        },
        _codes("INVALID_GRAPHQL"),
    ),
    Case(
        "an inaccessible type a visible field returns",
        _with_departments(
            "type Audit @inaccessible { at: String }",
            "type Query { audit: Audit }",
        ),
        _codes("REFERENCED_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible input type a visible argument takes",
        _with_departments(
            "input Filter @inaccessible { county: String }",
            "type Query { search(filter: Filter): Int }",
        ),
        _codes("REFERENCED_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible required argument",
        _with_departments("", "type Query { search(county: String! @inaccessible): Int }"),
        _codes("REQUIRED_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible required input field",
        _with_departments(
            "input Filter { county: String! @inaccessible region: String }",
            "type Query { search(filter: Filter): Int }",
        ),
        _codes("REQUIRED_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible enum value in a visible default",
        _with_departments(
            "enum Standing { ACTIVE LAPSED @inaccessible }",
            "type Query { count(standing: Standing = LAPSED): Int }",
        ),
        _codes("DEFAULT_VALUE_USES_INACCESSIBLE"),
    ),
    Case(
        "an entity whose every field is inaccessible",
        {
            "membership": FED + 'type Department @key(fields: "id") { id: ID! @inaccessible }\n'
            "type Query { department: Department }",
            "directory": FED + 'type Department @key(fields: "id") { id: ID! }\n'
            "type Query { nearest: Int }",
        },
        _codes("ONLY_INACCESSIBLE_CHILDREN"),
    ),
    Case(
        "an enum whose every value is inaccessible",
        _with_departments(
            "enum Standing { ACTIVE @inaccessible }",
            "type Query { count(standing: Standing): Int }",
        ),
        _codes("ONLY_INACCESSIBLE_CHILDREN"),
    ),
    Case(
        "an inaccessible query root",
        {"membership": DEPARTMENTS, "directory": FED + "type Query @inaccessible { nearest: Int }"},
        _codes("QUERY_ROOT_TYPE_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible field implementing a visible interface field",
        _with_departments(
            "interface Listing { id: ID! title: String }\n"
            "type Hotline implements Listing { id: ID! @inaccessible title: String }",
            "type Query { listings: [Listing!]! }",
        ),
        _codes("IMPLEMENTED_BY_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible argument implementing a visible interface argument",
        _with_departments(
            "interface Listing { find(near: String): Int }\n"
            "type Hotline implements Listing { find(near: String @inaccessible): Int }",
            "type Query { listings: [Listing!]! }",
        ),
        _codes("IMPLEMENTED_BY_INACCESSIBLE"),
    ),
    Case(
        "an inaccessible interface argument an implementation requires",
        _with_departments(
            'interface Listing { find(near: String! = "here" @inaccessible): Int }\n'
            "type Hotline implements Listing { find(near: String!): Int }",
            "type Query { listings: [Listing!]! }",
        ),
        _codes("REQUIRED_INACCESSIBLE"),
    ),
]

DIRECTIVES = [
    Case(
        "@requires",
        {
            "membership": DEPARTMENTS,
            "directory": link("external", "requires")
            + 'type Department @key(fields: "id") { id: ID! name: String! @external '
            'label: String! @requires(fields: "name") }\n'
            "type Query { nearest: Department }",
        },
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "@authenticated",
        {
            "membership": DEPARTMENTS,
            "directory": link("authenticated")
            + "type Query { nearest: Int secret: Int @authenticated }",
        },
        _codes("UNSUPPORTED_FEATURE"),
        apollo=_codes(),
    ),
    Case(
        "a subgraph's own directive",
        {
            "membership": DEPARTMENTS,
            "directory": link()
            + "directive @audited on FIELD_DEFINITION\ntype Query { nearest: Int @audited }",
        },
    ),
]

SHARING = [
    Case(
        "a field @shareable in one subgraph only",
        _with_departments(
            'type Department @key(fields: "id") { id: ID! name: String! @shareable }'
        ),
        _codes("INVALID_FIELD_SHARING"),
    ),
    Case(
        "a field of two types in two subgraphs",
        _with_departments('type Department @key(fields: "id") { id: ID! name: Int! }'),
        _codes("FIELD_TYPE_MISMATCH", "INVALID_FIELD_SHARING"),
    ),
    Case(
        "a value type with different fields in two subgraphs",
        {
            "membership": FED + "type Contact { email: String }\ntype Query { office: Contact }",
            "directory": FED + "type Contact { phone: String }\ntype Query { contact: Contact }",
        },
        _codes("SATISFIABILITY_ERROR"),
    ),
]

CASES = [*KEYS, *INTERFACE_OBJECTS, *INACCESSIBLE, *DIRECTIVES, *SHARING]


def api_shape(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Every type of the API schema with what a client sees of it: fields and their
    arguments, input fields, enum values, union members, implemented interfaces."""
    shape: dict[str, list[str]] = {}
    for name, named in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        members: list[str] = []
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            members = [f"{f}({', '.join(sorted(d.args))})" for f, d in named.fields.items()] + [
                f"implements {i.name}" for i in named.interfaces
            ]
        elif isinstance(named, GraphQLInputObjectType):
            members = list(named.fields)
        elif isinstance(named, GraphQLEnumType):
            members = list(named.values)
        elif isinstance(named, GraphQLUnionType):
            members = [t.name for t in named.types]
        shape[name] = sorted(members)
    return shape
