"""Pathological GraphQL documents an anonymous sender could post, and a meter of the work a
server does answering one.

Each document is small (at most a few kilobytes) and each would cost a careless server far
more than its size: fragments that multiply, aliases and fields by the thousand, directives
piled on a field, variables nested deep, long strings, control characters. A server passes
when it refuses each one doing work proportional to the document, which :class:`WorkMeter`
measures by counting the Python functions called and the bytes allocated — never by time.
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
        frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}),
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
