"""The project's code uses its dependencies' public APIs only (docs/architecture.md, "Fast
paths"): a library's private module can change in any release its version range allows.

The rule, checked on every import in gateway/, servicekit/, services/, wnwa/, tools/ and
bench/ of a module that is neither the standard library's nor the project's own:

- no segment of the module's path and no imported name starts with ``_`` (PEP 8's mark of
  an internal name; dunders aside);
- for the libraries under a fast path, whose implementation modules carry no underscore,
  only the modules their reference documentation describes (``DOCUMENTED``): uvicorn's
  ``uvicorn.protocols.http.httptools_impl`` is as private as an underscored one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("gateway", "servicekit", "services", "wnwa", "tools", "bench")
OWN = {*FOLDERS, "tests"}

# library (top-level import name) -> the modules its reference documentation describes
DOCUMENTED: dict[str, frozenset[str]] = {
    # uvicorn.run, Config and Server ("Settings", "Deployment: running programmatically")
    "uvicorn": frozenset({"uvicorn"}),
    # the parser classes and errors at the top level (its README is its reference)
    "httptools": frozenset({"httptools"}),
    # graphql-core's documented sub-packages (its "Reference" pages), each a package
    "graphql": frozenset(
        {
            "graphql",
            "graphql.error",
            "graphql.execution",
            "graphql.language",
            "graphql.pyutils",
            "graphql.type",
            "graphql.utilities",
            "graphql.validation",
        }
    ),
    # the client API and aiohttp.web (server reference)
    "aiohttp": frozenset({"aiohttp", "aiohttp.web"}),
}


def _sources() -> Iterator[Path]:
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "node_modules" not in path.parts:
                yield path


def _local_scripts(path: Path) -> set[str]:
    """bench/ scripts import their siblings by name (they run as scripts)."""
    return {sibling.stem for sibling in path.parent.glob("*.py")}


def _private(module: str, names: list[str]) -> str | None:
    """Why importing ``names`` from ``module`` reaches past a library's public API."""
    segments = module.split(".")
    if any(s.startswith("_") and not s.startswith("__") for s in segments):
        return "private module"
    for name in names:
        if name.startswith("_") and not name.startswith("__"):
            return f"private name {name}"
    documented = DOCUMENTED.get(segments[0])
    if documented is not None and module not in documented:
        return "module not in the library's documented API"
    return None


def dependency_imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """Each import of a dependency in ``path``: line, module, names imported from it."""
    local = OWN | set(sys.stdlib_module_names) | {"__future__"} | _local_scripts(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in local:
                    yield node.lineno, alias.name, []
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] not in local
        ):
            yield node.lineno, node.module, [alias.name for alias in node.names]


def test_the_project_imports_no_private_module_of_a_dependency() -> None:
    found = []
    for path in _sources():
        for line, module, names in dependency_imports(path):
            why = _private(module, names)
            if why is not None:
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} ({why})")
    assert found == []


def test_the_rule_catches_private_and_undocumented_modules() -> None:
    assert _private("uvicorn.protocols.http.httptools_impl", ["HttpToolsProtocol"])
    assert _private("uvicorn", ["Config"]) is None
    assert _private("graphql.execution.values", ["get_variable_values"])
    assert _private("graphql.execution", ["get_variable_values"]) is None
    assert _private("aiohttp._http_parser", ["HttpRequestParser"])
    assert _private("strawberry.types", ["Info"]) is None
    assert _private("strawberry.types", ["_private_helper"])
