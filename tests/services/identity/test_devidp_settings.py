"""The development IdP is only ever loopback, and never runs in production."""

from __future__ import annotations

import pytest

from servicekit.settings import ConfigurationError
from services.identity.devidp import load


def test_in_a_container_it_may_bind_everywhere_if_named_as_loopback() -> None:
    settings = load(
        {
            "WNWA_ENV": "development",
            "WNWA_DEVIDP_HOST": "0.0.0.0",
            "WNWA_DEVIDP_PUBLIC_URL": "http://devidp.localhost:8009",
        }
    )
    assert settings.base_url == "http://devidp.localhost:8009"


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"WNWA_ENV": "development", "WNWA_DEVIDP_HOST": "0.0.0.0"}, "loopback only"),
        (
            {
                "WNWA_ENV": "development",
                "WNWA_DEVIDP_HOST": "0.0.0.0",
                "WNWA_DEVIDP_PUBLIC_URL": "http://idp.example.org",
            },
            "loopback only",
        ),
        ({"WNWA_ENV": "production"}, "never runs in production"),
    ],
)
def test_anything_else_is_refused(environ: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        load(environ)
