"""Directory settings, read once from ``WNWA_DIRECTORY_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.settings import Environment, Secret, ServiceSettings

DEFAULT_PORT = 8002


@dataclass(frozen=True, slots=True)
class DirectorySettings:
    service: ServiceSettings
    # keys the receipts that refuse a second monthly report (services/directory/reports.py)
    report_key: Secret


def load(environ: Mapping[str, str] | None = None) -> DirectorySettings:
    env = Environment("WNWA_DIRECTORY", environ)
    return DirectorySettings(
        service=ServiceSettings.from_environment("directory", DEFAULT_PORT, environ),
        report_key=env.secret("REPORT_KEY", "dev-directory-report-key", shared=False),
    )
