"""Settings of the development provider (``WNWA_DEVIDP_*``); it never runs in production."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from servicekit.ports import PORTS, local_url
from servicekit.settings import PRODUCTION, ConfigurationError, Environment

from ..providers import is_loopback

DEFAULT_PORT = PORTS["devidp"]


@dataclass(frozen=True, slots=True)
class DevIdpSettings:
    host: str
    port: int
    deployment: str
    redirect_uris: tuple[str, ...]  # identity's callback, directly or through the gateway
    public_url: str = ""  # where browsers and identity reach it, when not host:port

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def check(self) -> None:
        if self.deployment == PRODUCTION:
            raise ConfigurationError("the development identity provider never runs in production")
        # in a container it may bind every interface, but it is only ever named as loopback
        if not is_loopback(self.host) and not is_loopback(urlsplit(self.base_url).hostname):
            raise ConfigurationError("the development identity provider listens on loopback only")


def load(environ: Mapping[str, str] | None = None) -> DevIdpSettings:
    env = Environment("WNWA_DEVIDP", environ)
    redirects = env.text(
        "REDIRECT_URIS",
        f"{local_url('identity', '/auth/callback')},{local_url('gateway', '/auth/callback')}",
    )
    settings = DevIdpSettings(
        host=env.text("HOST", "127.0.0.1"),
        port=env.integer("PORT", DEFAULT_PORT),
        deployment=env.deployment,
        redirect_uris=tuple(uri.strip() for uri in redirects.split(",") if uri.strip()),
        public_url=env.text("PUBLIC_URL", "", shared=False).rstrip("/"),
    )
    settings.check()
    return settings
