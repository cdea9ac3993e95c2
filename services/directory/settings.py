"""Directory settings, read once from ``WNWA_DIRECTORY_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.ports import PORTS
from servicekit.settings import ConfigurationError, Environment, Secret, ServiceSettings

DEFAULT_PORT = PORTS["directory"]
DEVELOPMENT_REPORT_KEY = "dev-directory-report-key-not-for-production"


@dataclass(frozen=True, slots=True)
class DirectorySettings:
    service: ServiceSettings
    # keys the marks of who reported and seals the parts written at a close, so the
    # database never holds either in a form it can read or make (report_key.py)
    report_key: Secret
    # keys a rotation replaced: they still open the parts they sealed
    retired_report_keys: tuple[Secret, ...] = ()


def load(environ: Mapping[str, str] | None = None) -> DirectorySettings:
    env = Environment("WNWA_DIRECTORY", environ)
    report_key = env.secret("REPORT_KEY", DEVELOPMENT_REPORT_KEY, shared=False)
    retired = tuple(
        Secret(value.strip())
        for value in env.text("RETIRED_REPORT_KEYS", "", shared=False).split(",")
        if value.strip()
    )
    if len(report_key.value) < 32:
        raise ConfigurationError("WNWA_DIRECTORY_REPORT_KEY must be at least 32 characters")
    if any(len(key.value) < 32 for key in retired):
        raise ConfigurationError(
            "WNWA_DIRECTORY_RETIRED_REPORT_KEYS must list keys of at least 32 characters each"
        )
    return DirectorySettings(
        service=ServiceSettings.from_environment("directory", DEFAULT_PORT, environ),
        report_key=report_key,
        retired_report_keys=retired,
    )
