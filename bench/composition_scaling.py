"""How composing and loading the supergraph grow with a subgraph's SDL.

Usage: .venv/bin/python bench/composition_scaling.py [--sizes 500,1000,2000,4000]

For each shape a subgraph's SDL could take to the extreme (many types, one type with many
fields, many keys, many enum values, many arguments, an interface with many implementations,
a long union, nested input defaults, much of it @inaccessible), builds two subgraphs of n
elements and times `gateway.composition.compose` and `gateway.supergraph.load` (best of
three), and counts the Python calls one compose and load make (cProfile), which, unlike the
times, does not move with the machine's load. Prints, per shape and n, the SDL size, both
times and the calls per SDL kilobyte; a linear composer keeps that last column flat as n
doubles. Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from gateway.composition import compose  # noqa: E402
from gateway.supergraph import load  # noqa: E402

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
    'import: ["@key", "@shareable", "@inaccessible"])\n'
)
OTHER = LINK + 'type Department @key(fields: "id") { id: ID! name: String }\n'
OTHER_QUERY = "type Query { department: Department }\n"


def many_types(n: int) -> dict[str, str]:
    mine = "".join(
        f'type T{i} @key(fields: "id") {{ id: ID! a: Int b: String @inaccessible c: [T{i}!] }}\n'
        for i in range(n)
    )
    theirs = "".join(
        f'type T{i} @key(fields: "id", resolvable: false) {{ id: ID! }}\n' for i in range(n)
    )
    query = "type Query { " + " ".join(f"t{i}: T{i}" for i in range(n)) + " }\n"
    return {"a": LINK + mine + query, "b": OTHER + theirs + OTHER_QUERY}


def wide_type(n: int) -> dict[str, str]:
    fields = " ".join(f"f{i}: Int" for i in range(n))
    hidden = " ".join(f"h{i}: Int @inaccessible" for i in range(n))
    return {
        "a": LINK + f'type Wide @key(fields: "id") {{ id: ID! {fields} {hidden} }}\n'
        "type Query { wide: Wide }\n",
        "b": OTHER + 'type Wide @key(fields: "id") { id: ID! extra: Int }\n' + OTHER_QUERY,
    }


def many_keys(n: int) -> dict[str, str]:
    keys = " ".join(f'@key(fields: "f{i}")' for i in range(n))
    fields = " ".join(f"f{i}: ID!" for i in range(n))
    return {
        "a": LINK + f"type Keyed {keys} {{ {fields} }}\ntype Query {{ keyed: Keyed }}\n",
        "b": OTHER + OTHER_QUERY,
    }


def long_key(n: int) -> dict[str, str]:
    fields = " ".join(f"f{i}: ID!" for i in range(n))
    key = " ".join(f"f{i}" for i in range(min(n, 300)))  # a key's parse is capped
    return {
        "a": LINK + f'type Keyed @key(fields: "{key}") {{ {fields} }}\ntype Query {{ k: Keyed }}\n',
        "b": OTHER + OTHER_QUERY,
    }


def big_enum(n: int) -> dict[str, str]:
    values = (
        " ".join(f"V{i}" for i in range(n))
        + " "
        + " ".join(f"H{i} @inaccessible" for i in range(n))
    )
    return {
        "a": LINK + f"enum Big {{ {values} }}\ntype Query {{ count(big: Big = V0): Int }}\n",
        "b": OTHER + f"enum Big {{ {values} }}\n" + OTHER_QUERY,
    }


def many_arguments(n: int) -> dict[str, str]:
    arguments = ", ".join(f"a{i}: Int" for i in range(n))
    hidden = ", ".join(f"h{i}: Int @inaccessible" for i in range(n))
    return {
        "a": LINK + f"interface Search {{ find({arguments}, {hidden}): Int }}\n"
        f"type Finder implements Search {{ find({arguments}, {hidden}): Int }}\n"
        "type Query { search: Search finder: Finder }\n",
        "b": OTHER + OTHER_QUERY,
    }


def many_implementations(n: int) -> dict[str, str]:
    objects = "".join(
        f"type I{i} implements Listing {{ id: ID! title: String @inaccessible }}\n"
        for i in range(n)
    )
    return {
        "a": LINK
        + "interface Listing { id: ID! title: String @inaccessible }\n"
        + objects
        + "type Query { listings: [Listing!]! }\n",
        "b": OTHER + OTHER_QUERY,
    }


def long_union(n: int) -> dict[str, str]:
    objects = "".join(f"type U{i} {{ id: ID! }}\n" for i in range(n))
    members = " | ".join(f"U{i}" for i in range(n))
    return {
        "a": LINK + objects + f"union Found = {members}\ntype Query {{ found: [Found!]! }}\n",
        "b": OTHER + OTHER_QUERY,
    }


def deep_default(n: int) -> dict[str, str]:
    inputs = "".join(
        f"input In{i} {{ next: In{i + 1} v: Int @inaccessible w: Int }}\n" for i in range(n)
    )
    inputs += f"input In{n} {{ w: Int }}\n"
    value = "{ w: 1 }"
    for _ in range(min(n, 40)):  # the parser caps how deeply a value nests
        value = "{ next: " + value + " w: 1 }"
    return {
        "a": LINK + inputs + f"type Query {{ q(input: In0 = {value}): Int }}\n",
        "b": OTHER + OTHER_QUERY,
    }


SHAPES: dict[str, Callable[[int], dict[str, str]]] = {
    "many entity types": many_types,
    "one type, many fields": wide_type,
    "many @key directives": many_keys,
    "many key fields": long_key,
    "big enum, shared": big_enum,
    "many arguments": many_arguments,
    "many implementations": many_implementations,
    "long union": long_union,
    "nested input defaults": deep_default,
}


def _best(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _calls(run: Callable[[], object]) -> int:
    profile = cProfile.Profile()
    profile.runcall(run)
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,1000,2000,4000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"{'shape':<24}{'n':>6}{'SDL KB':>9}{'compose ms':>12}{'load ms':>10}{'calls/KB':>10}")
    for shape, build in SHAPES.items():
        for n in sizes:
            subgraphs = build(n)
            size = sum(len(sdl) for sdl in subgraphs.values()) / 1024
            supergraph = compose(subgraphs)
            composing = _best(lambda given=subgraphs: compose(given))  # type: ignore[misc]
            loading = _best(lambda text=supergraph: load(text))  # type: ignore[misc]
            calls = _calls(lambda given=subgraphs: load(compose(given)))  # type: ignore[misc]
            print(
                f"{shape:<24}{n:>6}{size:>9.0f}{composing * 1000:>12.0f}"
                f"{loading * 1000:>10.0f}{calls / size:>10.0f}"
            )


if __name__ == "__main__":
    main()
