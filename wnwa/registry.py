"""The services the `wnwa` command knows, and which of them exist in this checkout."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from servicekit.ports import PORTS, SUBGRAPHS

if TYPE_CHECKING:  # only for annotations: the supervisor never loads the driver
    import asyncpg

# name and default loopback port, in start order (identity first: others fetch its keys)
KNOWN_SERVICES = tuple((name, PORTS[name]) for name in SUBGRAPHS)


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    port: int

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    @property
    def database(self) -> str:
        return f"wnwa_{self.name}"

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def migrations(self) -> Path:
        folder: Path = self.module("app").MIGRATIONS
        return folder

    def build_schema(self) -> Any:
        return self.module("app").build_schema()

    @property
    def schema_file(self) -> Path:
        return self.migrations.parent / "schema.graphql"

    @property
    def seed(self) -> Callable[[asyncpg.Connection], Awaitable[bool]]:
        seed: Callable[[asyncpg.Connection], Awaitable[bool]] = self.module("demo").seed
        return seed


def available_services() -> list[Service]:
    """The known services whose code is present (each issue adds one)."""
    return [Service(name, port) for name, port in KNOWN_SERVICES if _present(name)]


def _present(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"services.{name}.app") is not None
    except ModuleNotFoundError:
        return False


def service_named(name: str) -> Service:
    for service in available_services():
        if service.name == name:
            return service
    names = ", ".join(service.name for service in available_services())
    raise SystemExit(f"wnwa: no service called {name!r}; available: {names}")
