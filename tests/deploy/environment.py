"""What each service reads from its environment, found by running its own settings loader."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from servicekit.ports import SUBGRAPHS
from servicekit.settings import ConfigurationError

# every process a deployment runs, from the one service map
SERVICES = (*SUBGRAPHS, "gateway")
# read by the `wnwa` command itself rather than by a settings module
COMMAND_VARIABLES = frozenset({"WNWA_LOG_LEVEL", "WNWA_POSTGRES_URL", "WNWA_WORKERS"})


class RecordingEnvironment(Mapping[str, str]):
    """A read-only environment that remembers every variable looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def loader(service: str) -> Callable[[Mapping[str, str]], Any]:
    """The ``load(environ)`` of a service's (or the gateway's) settings module."""
    module = "gateway.settings" if service == "gateway" else f"services.{service}.settings"
    load: Callable[[Mapping[str, str]], Any] = importlib.import_module(module).load
    return load


def stand_in(variable: str) -> str:
    """A value of the right shape for a variable whose real value is a secret."""
    if variable.endswith("SERVICE_CREDENTIALS"):
        return "gateway=" + "s" * 32
    if variable.endswith("DATABASE_URL"):
        return "postgresql://role@db.invalid:5432/wnwa_any"
    if variable.endswith("PUBLIC_URL"):
        return "https://wnwa.invalid"
    return "v" * 48


def required_variables(service: str) -> set[str]:
    """The variables without which the service refuses to start under WNWA_ENV=production.

    Starts from nothing but WNWA_ENV and adds whatever variable each refusal names.
    """
    values = {"WNWA_ENV": "production"}
    required: set[str] = set()
    for _ in range(50):
        try:
            loader(service)(RecordingEnvironment(values))
        except ConfigurationError as refusal:
            variable = str(refusal).split()[0]
            if variable in values:
                raise AssertionError(f"{service}: {refusal}") from refusal
            values[variable] = stand_in(variable)
            required.add(variable)
        else:
            return required
    raise AssertionError(f"{service}: settings never loaded")


def load_recorded(service: str, environ: Mapping[str, str]) -> tuple[Any, set[str]]:
    """Load a service's settings from ``environ``; the settings and the variables read."""
    recording = RecordingEnvironment(environ)
    settings = loader(service)(recording)
    return settings, recording.read


def loopback_values(settings: Any) -> list[str]:
    """Every setting that still points at 127.0.0.1 (a default fit only for `wnwa up`)."""
    found: list[str] = []

    def visit(value: Any, path: str) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                visit(getattr(value, field.name), f"{path}.{field.name}")
        elif isinstance(value, Mapping):
            for key, item in value.items():
                visit(item, f"{path}[{key}]")
        elif isinstance(value, str) and ("127.0.0.1" in value or "localhost" in value):
            found.append(f"{path}={value}")

    visit(settings, "settings")
    return found
