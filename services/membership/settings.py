"""Membership settings, read once from ``WNWA_MEMBERSHIP_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.settings import Environment, ServiceSettings

DEFAULT_PORT = 8003


@dataclass(frozen=True, slots=True)
class MembershipSettings:
    service: ServiceSettings
    renewal_notice_days: int


def load(environ: Mapping[str, str] | None = None) -> MembershipSettings:
    env = Environment("WNWA_MEMBERSHIP", environ)
    return MembershipSettings(
        service=ServiceSettings.from_environment("membership", DEFAULT_PORT, environ),
        renewal_notice_days=env.integer("RENEWAL_NOTICE_DAYS", 90),
    )
