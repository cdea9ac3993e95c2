"""Membership settings, read once from ``WNWA_MEMBERSHIP_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit import mail
from servicekit.ports import PORTS, local_url
from servicekit.proof_of_work import Pricing, load_pricing
from servicekit.settings import Environment, Secret, ServiceSettings

DEFAULT_PORT = PORTS["membership"]


@dataclass(frozen=True, slots=True)
class MembershipSettings:
    service: ServiceSettings
    renewal_notice_days: int
    # networkFigures asks these with a service token (services/membership/network.py)
    service_secret: Secret
    directory_url: str
    professionals_url: str
    # the proof of work each anonymous form (joining inquiry, demo request) asks for, and
    # the key its challenges are signed with (the same in every replica)
    forms: Pricing
    challenge_key: Secret
    mail: mail.MailSettings


def load(environ: Mapping[str, str] | None = None) -> MembershipSettings:
    env = Environment("WNWA_MEMBERSHIP", environ)
    service = ServiceSettings.from_environment("membership", DEFAULT_PORT, environ)
    return MembershipSettings(
        service=service,
        renewal_notice_days=env.integer("RENEWAL_NOTICE_DAYS", 90),
        service_secret=env.secret("SERVICE_SECRET", "dev-service-secret-membership", shared=False),
        directory_url=env.text("DIRECTORY_URL", local_url("directory", "/graphql")),
        professionals_url=env.text("PROFESSIONALS_URL", local_url("professionals", "/graphql")),
        forms=load_pricing(env, "FORMS"),
        challenge_key=env.secret("CHALLENGE_KEY", "dev-challenge-key-" + "m" * 32),
        mail=mail.load("WNWA_MEMBERSHIP", environ, public_url=service.public_url),
    )
