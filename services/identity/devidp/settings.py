"""Settings of the development provider (``WNWA_DEVIDP_*``); it never runs in production."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.settings import PRODUCTION, ConfigurationError, Environment

from ..providers import is_loopback

DEFAULT_PORT = 8009


@dataclass(frozen=True, slots=True)
class DevIdpSettings:
    host: str
    port: int
    deployment: str
    redirect_uris: tuple[str, ...]  # identity's callback, directly or through the gateway

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def check(self) -> None:
        if self.deployment == PRODUCTION:
            raise ConfigurationError("the development identity provider never runs in production")
        if not is_loopback(self.host):
            raise ConfigurationError("the development identity provider listens on loopback only")


def load(environ: Mapping[str, str] | None = None) -> DevIdpSettings:
    env = Environment("WNWA_DEVIDP", environ)
    redirects = env.text(
        "REDIRECT_URIS",
        "http://127.0.0.1:8001/auth/callback,http://127.0.0.1:8000/auth/callback",
    )
    settings = DevIdpSettings(
        host=env.text("HOST", "127.0.0.1"),
        port=env.integer("PORT", DEFAULT_PORT),
        deployment=env.deployment,
        redirect_uris=tuple(uri.strip() for uri in redirects.split(",") if uri.strip()),
    )
    settings.check()
    return settings
