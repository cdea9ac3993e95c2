"""One setting, WNWA_PUBLIC_URL, says where people reach the network: every absolute address
(mail links, the Atom feed, sign-in redirects) and the HSTS decision come from it."""

from __future__ import annotations

import pytest

from gateway import settings as gateway_settings
from servicekit.settings import ConfigurationError, PublicUrl, read_public_url
from services.identity import devidp
from services.identity import settings as identity_settings
from services.membership import settings as membership_settings
from services.professionals import settings as professionals_settings


def test_every_service_and_the_gateway_read_the_one_public_url() -> None:
    environ = {
        "WNWA_ENV": "test",
        "WNWA_PUBLIC_URL": "https://portal.wnwa.example/",
        # a per-service variable is no longer read: one address for everything
        "WNWA_IDENTITY_PUBLIC_URL": "https://elsewhere.example",
    }
    expected = PublicUrl("https://portal.wnwa.example")
    assert identity_settings.load(environ).public_url == expected.origin
    assert gateway_settings.load(environ).public_url == expected
    assert membership_settings.load(environ).mail.public_url == expected
    assert professionals_settings.load(environ).mail.public_url == expected
    assert expected.link("/vetting") == "https://portal.wnwa.example/vetting"


def test_the_development_idp_keeps_its_own_address() -> None:
    # its issuer is its own, not the network's: `wnwa up` gives every process WNWA_PUBLIC_URL
    environ = {"WNWA_PUBLIC_URL": "http://localhost:8000", "WNWA_DEVIDP_PORT": "8009"}
    assert devidp.load(environ).public_url == ""
    assert devidp.load(environ).base_url == "http://127.0.0.1:8009"


def test_development_defaults_to_the_local_gateway_production_must_say() -> None:
    assert read_public_url({}) == PublicUrl("http://localhost:8000")
    with pytest.raises(ConfigurationError, match="WNWA_PUBLIC_URL is required"):
        read_public_url({"WNWA_ENV": "production"})


@pytest.mark.parametrize(
    "value",
    [
        "portal.wnwa.example",
        "ftp://portal.wnwa.example",
        "https://portal.wnwa.example/portal",
        "https://portal.wnwa.example/?x=1",
        "https://portal.wnwa.example/#top",
        "https://admin@portal.wnwa.example",
        "https://",
        "https://portal.wnwa.example:https",
    ],
)
def test_anything_but_an_origin_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigurationError, match="WNWA_PUBLIC_URL must be"):
        read_public_url({"WNWA_PUBLIC_URL": value})


def test_hsts_only_for_https() -> None:
    assert PublicUrl("https://portal.wnwa.example").response_headers() == (
        (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    )
    assert PublicUrl("http://localhost:8000").response_headers() == ()
