"""Professionals settings, read once from ``WNWA_PROFESSIONALS_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit import mail
from servicekit.ports import PORTS
from servicekit.proof_of_work import Pricing, load_pricing
from servicekit.settings import ConfigurationError, Environment, Secret, ServiceSettings

DEFAULT_PORT = PORTS["professionals"]

# The counties around the network's home (Chicago) metro area: assessments there are office
# visits, elsewhere video calls.
DEFAULT_HOME_METRO = (
    "IL:Cook,IL:DuPage,IL:Grundy,IL:Kane,IL:Kendall,IL:Lake,IL:McHenry,IL:Will,"
    "IN:Lake,IN:Porter,WI:Kenosha"
)


# the years of experience treating officers an application needs, unless configured
DEFAULT_MIN_YEARS_WITH_OFFICERS = 1


@dataclass(frozen=True, slots=True)
class ProfessionalsSettings:
    service: ServiceSettings
    home_metro_counties: frozenset[tuple[str, str]]  # (state, county lower-cased)
    max_document_bytes: int
    max_documents: int
    max_request_bytes: int
    expiry_notice_days: int
    # the network's minimum experience treating officers; an application below it is refused
    min_years_with_officers: int
    # the proof of work the public application form asks for, and the key its challenges
    # are signed with (the same in every replica)
    applications: Pricing
    challenge_key: Secret
    mail: mail.MailSettings


def load(environ: Mapping[str, str] | None = None) -> ProfessionalsSettings:
    env = Environment("WNWA_PROFESSIONALS", environ)
    max_document_bytes = env.integer("MAX_DOCUMENT_BYTES", 10 * 1024 * 1024)
    max_documents = env.integer("MAX_DOCUMENTS", 8)
    service = ServiceSettings.from_environment("professionals", DEFAULT_PORT, environ)
    return ProfessionalsSettings(
        service=service,
        home_metro_counties=parse_counties(env.text("HOME_METRO_COUNTIES", DEFAULT_HOME_METRO)),
        max_document_bytes=max_document_bytes,
        max_documents=max_documents,
        # every document at its largest, plus room for the form fields
        max_request_bytes=env.integer(
            "MAX_REQUEST_BYTES", max_documents * max_document_bytes + 1_000_000
        ),
        expiry_notice_days=env.integer("EXPIRY_NOTICE_DAYS", 60),
        min_years_with_officers=_years(
            env.integer("MIN_YEARS_WITH_OFFICERS", DEFAULT_MIN_YEARS_WITH_OFFICERS)
        ),
        applications=load_pricing(env, "APPLICATIONS"),
        challenge_key=env.secret("CHALLENGE_KEY", "dev-challenge-key-" + "p" * 32),
        mail=mail.load("WNWA_PROFESSIONALS", environ, public_url=service.public_url),
    )


def _years(value: int) -> int:
    if not 0 <= value <= 70:
        raise ConfigurationError(
            "WNWA_PROFESSIONALS_MIN_YEARS_WITH_OFFICERS is a number of years from 0 to 70, "
            f"not {value}"
        )
    return value


def parse_counties(value: str) -> frozenset[tuple[str, str]]:
    """``IL:Cook,IL:DuPage`` → {("IL", "cook"), ("IL", "dupage")}."""
    counties: set[tuple[str, str]] = set()
    for item in value.split(","):
        state, separator, county = item.strip().partition(":")
        if not separator or len(state.strip()) != 2 or not county.strip():
            raise ConfigurationError(
                "WNWA_PROFESSIONALS_HOME_METRO_COUNTIES lists STATE:County items, "
                f"comma-separated; {item.strip()!r} is not one"
            )
        counties.add((state.strip().upper(), county.strip().lower()))
    return frozenset(counties)
