"""Settings refuse missing secrets outside development; logs never carry identifiers."""

from __future__ import annotations

import logging

import pytest

from servicekit.logging import RedactIdentifiers, redact
from servicekit.settings import ConfigurationError, Environment, Secret, ServiceSettings


def test_development_has_defaults_production_demands_secrets() -> None:
    development = ServiceSettings.from_environment("membership", 8003, {})
    assert development.port == 8003
    assert development.graphiql is True
    with pytest.raises(ConfigurationError, match="WNWA_MEMBERSHIP_DATABASE_URL is required"):
        ServiceSettings.from_environment("membership", 8003, {"WNWA_ENV": "production"})


def test_a_service_never_takes_another_services_database_by_fallback() -> None:
    with pytest.raises(ConfigurationError, match="WNWA_MEMBERSHIP_DATABASE_URL"):
        ServiceSettings.from_environment(
            "membership", 8003, {"WNWA_ENV": "production", "WNWA_DATABASE_URL": "postgresql://x/y"}
        )


def test_production_turns_the_playground_off_and_refuses_development_secrets() -> None:
    production = ServiceSettings.from_environment(
        "membership",
        8003,
        {
            "WNWA_ENV": "production",
            "WNWA_MEMBERSHIP_DATABASE_URL": "postgresql://db/wnwa_membership",
            "WNWA_PUBLIC_URL": "https://wnwa.example.org",
        },
    )
    assert production.graphiql is False
    assert production.introspection is False
    env = Environment("WNWA_IDENTITY", {"WNWA_ENV": "production", "WNWA_IDENTITY_KEY": "dev-key"})
    with pytest.raises(ConfigurationError, match="development value"):
        env.secret("KEY", development_default="dev-key")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"WNWA_ENV": "staging"}, "WNWA_ENV must be one of"),
        ({"WNWA_MEMBERSHIP_PORT": "eighty"}, "must be a whole number"),
        ({"WNWA_MEMBERSHIP_GRAPHIQL": "maybe"}, "must be true or false"),
    ],
)
def test_malformed_settings_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ServiceSettings.from_environment("membership", 8003, environ)


def test_secrets_do_not_print() -> None:
    secret = Secret("postgresql://user:hunter2@db/x")
    assert "hunter2" not in str(secret)
    assert "hunter2" not in repr(secret)


@pytest.mark.parametrize(
    "identifier",
    [
        "officer.one@agency.example",
        "192.168.10.24",
        "2001:db8:85a3::8a2e:370:7334",
        "+1 312 555 0142",
        "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        "Bearer abc.def.ghi",
        "4f9c2a7d1e0b8c6a5d3f2e1b0a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
    ],
)
def test_identifiers_are_redacted_from_log_lines(identifier: str) -> None:
    assert identifier not in redact(f"something happened for {identifier} today")


def test_log_records_lose_arguments_and_exception_text() -> None:
    try:
        raise ValueError("lookup failed for officer.one@agency.example")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "failed for %s",
            ("officer.one@agency.example",),
            exc_info=__import__("sys").exc_info(),
        )
    RedactIdentifiers().filter(record)
    assert record.getMessage() == "failed for [redacted] (ValueError)"
    assert record.exc_info is None
