"""Pathological GraphQL documents an anonymous sender could post, and a meter of the work a
server does answering one.

Each document is small (a few kilobytes, all but one) and each would cost a careless server
far more than its size: fragments that multiply, aliases and fields by the thousand,
introspection asked for many times over under aliases, fragments or fields compared in
pairs, operations by the hundred, directives piled on a field, variables nested deep, a
megabyte of comment, control characters. A server passes when it refuses each one doing
work proportional to the document, which :func:`work_meter` measures by counting the Python
functions called and the bytes allocated — never by time.
"""

from __future__ import annotations

import contextlib
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any


@dataclass(frozen=True)
class Hostile:
    """One hostile request: its name, its document and variables, and the error codes a
    careful server answers it with."""

    name: str
    query: str
    variables: dict[str, Any]
    codes: frozenset[str]

    @property
    def size(self) -> int:
        return len(self.query) + len(repr(self.variables))


TOO_COSTLY = frozenset({"OPERATION_TOO_COSTLY"})
REFUSED_TEXT = frozenset({"GRAPHQL_PARSE_FAILED", "OPERATION_TOO_COSTLY"})
FIELD = "__typename"


def fragment_fan_out(levels: int) -> str:
    """``levels`` fragments, each spreading the next twice: 2**levels fields."""
    return (
        "query{...F0}"
        + "".join(f"fragment F{i} on Query{{...F{i + 1} ...F{i + 1}}}" for i in range(levels))
        + f"fragment F{levels} on Query{{{FIELD}}}"
    )


def fragment_chain(length: int) -> str:
    """A chain of ``length`` fragments, each one field and a spread of the next."""
    return (
        "query{...F0}"
        + "".join(f"fragment F{i} on Query{{a{i}:{FIELD} ...F{i + 1}}}" for i in range(length))
        + f"fragment F{length} on Query{{{FIELD}}}"
    )


def introspection_alias_fan(aliases: int) -> str:
    """Introspection (built from the schema in memory, with no subgraph to ask) where every
    list field is asked for ``aliases`` times under aliases, through fragments: each type's
    fields, their arguments, their types' fields… The answer grows as aliases**7 times the
    schema's size, from 600 bytes (``aliases=3``: 9 MB of answer)."""

    def aliased(field: str, fragment: str) -> str:
        return " ".join(f"{field[0]}{fragment}{i}:{field}{{...{fragment}}}" for i in range(aliases))

    return (
        "{__schema{types{...T}}}"
        f"fragment T on __Type{{{aliased('fields', 'U')}}}"
        f"fragment U on __Field{{{aliased('type', 'V')} {aliased('args', 'A')}}}"
        f"fragment A on __InputValue{{{aliased('type', 'V')}}}"
        f"fragment V on __Type{{{aliased('fields', 'W')}}}"
        f"fragment W on __Field{{{aliased('type', 'X')}}}"
        f"fragment X on __Type{{{aliased('ofType', 'Y')} name}}"
        f"fragment Y on __Type{{{aliased('ofType', 'Z')} name}}"
        "fragment Z on __Type{name kind}"
    )


def introspection_fan_out(levels: int) -> str:
    """The fragment fan-out inside ``__schema``: 2**levels selections of every type."""
    return (
        "{__schema{...F0}}"
        + "".join(f"fragment F{i} on __Schema{{...F{i + 1} ...F{i + 1}}}" for i in range(levels))
        + f"fragment F{levels} on __Schema{{types{{name}}}}"
    )


def introspection_at_every_alias(aliases: int) -> str:
    """The whole schema's fields and arguments, once per root alias."""
    return (
        "{"
        + " ".join(
            f"s{i}:__schema{{types{{fields{{args{{type{{name}}}}}}}}}}" for i in range(aliases)
        )
        + "}"
    )


def fragment_pairs(count: int) -> str:
    """``count`` fragments of one field each, all spread in one selection set: few fields,
    but validation's field-merging rule compares every pair of fragments."""
    return (
        "{"
        + " ".join(f"...F{i}" for i in range(count))
        + "}"
        + "".join(f"fragment F{i} on Query{{{FIELD}}}" for i in range(count))
    )


def many_operations(count: int) -> str:
    """``count`` operations in one document: each planned (and its plan kept with the
    document) when a request names it."""
    return "".join(f"query q{i}{{feeTiers{{minSwornOfficers}}}}" for i in range(count))


def documents() -> Iterator[Hostile]:
    """Every hostile document the suite sends."""
    for levels in (10, 24, 30, 60):
        yield Hostile(f"fragment fan-out {levels}", fragment_fan_out(levels), {}, TOO_COSTLY)
    yield Hostile("fragment chain 1400", fragment_chain(1400), {}, TOO_COSTLY)
    yield Hostile(
        "alias bomb", "{" + " ".join(f"a{i}:{FIELD}" for i in range(3000)) + "}", {}, TOO_COSTLY
    )
    yield Hostile("field bomb", "{" + f" {FIELD}" * 6000 + "}", {}, TOO_COSTLY)
    yield Hostile(
        "directive spam",
        "{" + FIELD + " @include(if: true)" * 3000 + "}",
        {},
        frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "OPERATION_TOO_COSTLY"}),
    )
    yield Hostile(
        "token flood", "{" + FIELD + " " + "# c\n" * 10 + "x " * 25_000 + "}", {}, REFUSED_TEXT
    )
    yield Hostile("nesting", "{" + "a{" * 2000 + "b" + "}" * 2001, {}, REFUSED_TEXT)
    # every C0 control character a name, a reference or a search must not hold, as an
    # escape in a literal and in a variable (tab, line feed and carriage return are text)
    refused = [code for code in range(0x20) if chr(code) not in "\t\n\r"]
    escapes = "".join(f"\\u{code:04x}" for code in refused)
    yield Hostile(
        "control characters in a literal",
        f'{{ a: __type(name: "x{escapes}") {{ name }} }}',
        {},
        frozenset({"BAD_USER_INPUT"}),
    )
    yield Hostile(
        "control characters in a variable",
        "query($name: String!) { __type(name: $name) { name } }",
        {"name": "x" + "".join(chr(code) for code in refused)},
        frozenset({"BAD_USER_INPUT"}),
    )
    yield Hostile("introspection alias fan", introspection_alias_fan(3), {}, TOO_COSTLY)
    yield Hostile("introspection fan-out 60", introspection_fan_out(60), {}, TOO_COSTLY)
    yield Hostile("introspection at every alias", introspection_at_every_alias(30), {}, TOO_COSTLY)
    yield Hostile("fragment pairs 399", fragment_pairs(399), {}, TOO_COSTLY)
    yield Hostile("operations 400", many_operations(400), {}, TOO_COSTLY)
    # a body over a service's own cap (identity's is 0.1 MB) is refused as such
    yield Hostile(
        "document of 900 KB",
        "{" + FIELD + " #" + "x" * 900_000 + "\n}",
        {},
        frozenset({"OPERATION_TOO_COSTLY", "PAYLOAD_TOO_LARGE"}),
    )
    deep: Any = "x"
    for _ in range(900):
        deep = [deep]
    yield Hostile(
        "deep variables",
        "query($v: Boolean!) { __typename @include(if: $v) }",
        {"v": deep},
        frozenset({"BAD_USER_INPUT", "BAD_REQUEST"}),
    )


class WorkExceeded(Exception):
    """A request did more work than its budget: the server would have gone on."""


@dataclass
class Work:
    calls: int = 0
    peak_bytes: int = 0


@contextlib.contextmanager
def work_meter(max_calls: int) -> Iterator[Work]:
    """Count the Python and C function calls made on this thread inside the block, and the
    peak of memory allocated; raise :class:`WorkExceeded` the moment calls pass
    ``max_calls``, so a server that would work without end fails the test at once."""
    work = Work()

    def count(frame: FrameType, event: str, arg: Any) -> None:
        if event in ("call", "c_call"):
            work.calls += 1
            if work.calls > max_calls:
                # every call from now on fails, so no handler can carry the work on
                raise WorkExceeded(f"more than {max_calls} calls")

    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    sys.setprofile(count)
    try:
        yield work
    finally:
        sys.setprofile(None)
        work.peak_bytes = tracemalloc.get_traced_memory()[1] - base
        if not tracing:
            tracemalloc.stop()
