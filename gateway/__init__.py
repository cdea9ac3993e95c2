"""The gateway: the one public GraphQL endpoint over the services' subgraphs.

Its hot path (``tools/compile-gateway`` lists the modules) is compiled with mypyc by ``make``
and by the image's build; a module that is not compiled runs as the same Python. A compiled
module older than its source would run old code: importing the gateway then fails and says
what to do.
"""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path


def refuse_stale(package: Path) -> None:
    """Raise ImportError when a module of ``package`` is compiled from an older source."""
    for suffix in EXTENSION_SUFFIXES:
        for compiled in package.glob(f"*{suffix}"):
            source = compiled.with_name(compiled.name.removesuffix(suffix) + ".py")
            if source.exists() and source.stat().st_mtime > compiled.stat().st_mtime:
                raise ImportError(
                    f"{source} changed after it was compiled: run `make compiled`, or delete "
                    f"{compiled} to run it as Python"
                )


refuse_stale(Path(__file__).parent)
