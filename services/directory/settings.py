"""Directory settings, read once from ``WNWA_DIRECTORY_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.ports import PORTS
from servicekit.settings import ServiceSettings

DEFAULT_PORT = PORTS["directory"]


@dataclass(frozen=True, slots=True)
class DirectorySettings:
    service: ServiceSettings


def load(environ: Mapping[str, str] | None = None) -> DirectorySettings:
    # no report key: nothing about a report is stored until its month closes (report_months.py)
    return DirectorySettings(
        service=ServiceSettings.from_environment("directory", DEFAULT_PORT, environ)
    )
