"""The gateway: the one public GraphQL endpoint over the services' subgraphs.

It runs as plain Python. ``make compiled`` (and the image's build) may compile its hot path
(``tools/compile-gateway`` lists the modules) with mypyc, each module's ``.so`` beside its
``.py``. A compiled module older than its source would run old code: that module is then
imported from its source instead, with a warning saying how to rebuild (docs/architecture.md,
"Fast paths").
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from types import ModuleType

_log = logging.getLogger(__name__)


def stale_modules(package: Path) -> dict[str, Path]:
    """The modules of ``package`` (by name) compiled from an older source, and that source."""
    stale: dict[str, Path] = {}
    for suffix in EXTENSION_SUFFIXES:
        for compiled in package.glob(f"*{suffix}"):
            name = compiled.name.removesuffix(suffix)
            source = compiled.with_name(name + ".py")
            if source.exists() and source.stat().st_mtime > compiled.stat().st_mtime:
                stale[name] = source
    return stale


class _SourceOverStaleBuild(MetaPathFinder):
    """Finds a stale module's source before the path finder would find its ``.so``."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        source = self.sources.get(fullname)
        return None if source is None else spec_from_file_location(fullname, source)


def prefer_fresh_sources(package: Path, package_name: str) -> None:
    """Import each module of ``package`` whose compiled build is older than its source from
    that source (the build is ignored), warning once that it was."""
    stale = stale_modules(package)
    if not stale:
        return
    _log.warning(
        "%s: source edited since compiled, so run as Python (rebuild with `make compiled`, "
        "or delete the .so files to stop this warning)",
        ", ".join(f"{package_name}.{name}" for name in sorted(stale)),
    )
    sys.meta_path.insert(
        0, _SourceOverStaleBuild({f"{package_name}.{n}": s for n, s in stale.items()})
    )


prefer_fresh_sources(Path(__file__).parent, __name__)
