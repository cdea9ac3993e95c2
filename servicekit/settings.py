"""Configuration read from environment variables with a per-service prefix.

Every service reads its configuration once, through an :class:`Environment`, in its own
``settings.py``. Secrets have no default outside development: a deployment that forgot one
stops at start with a message naming the variable, instead of running with a known value.

One setting is the whole platform's: ``WNWA_PUBLIC_URL``, where people reach the network
(:func:`read_public_url`). Every absolute address written anywhere comes from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from servicekit.ports import PORTS, local_url

DEVELOPMENT = "development"
PRODUCTION = "production"
_DEPLOYMENTS = (DEVELOPMENT, "test", PRODUCTION)


class ConfigurationError(Exception):
    """A required setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that must never be printed; ``str()`` and ``repr()`` hide it."""

    value: str

    def __str__(self) -> str:
        return "**********"

    def __repr__(self) -> str:
        return "Secret('**********')"


class Environment:
    """Reads ``{prefix}_{NAME}`` variables, falling back to shared ``WNWA_{NAME}`` ones."""

    def __init__(self, prefix: str, environ: Mapping[str, str] | None = None) -> None:
        self.prefix = prefix.upper()
        self._environ = os.environ if environ is None else environ
        self.deployment = self._environ.get("WNWA_ENV", DEVELOPMENT)
        if self.deployment not in _DEPLOYMENTS:
            raise ConfigurationError(
                f"WNWA_ENV must be one of {', '.join(_DEPLOYMENTS)}, not {self.deployment!r}"
            )

    @property
    def is_development(self) -> bool:
        """True for local development and tests, where convenient defaults are allowed."""
        return self.deployment != PRODUCTION

    def _lookup(self, name: str, *, shared: bool = True) -> tuple[str, str | None]:
        own = f"{self.prefix}_{name}"
        if own in self._environ or not shared:
            return own, self._environ.get(own)
        fallback = f"WNWA_{name}"
        return own, self._environ.get(fallback)

    def text(self, name: str, default: str | None = None, *, shared: bool = True) -> str:
        """A plain string setting; without a default the variable is required.

        ``shared=False`` ignores the ``WNWA_{NAME}`` fallback, for a value that must be the
        process's own (the development IdP's address is not the network's)."""
        variable, value = self._lookup(name, shared=shared)
        if value is None or value == "":
            if default is None:
                raise ConfigurationError(f"{variable} is required")
            return default
        return value

    def integer(self, name: str, default: int) -> int:
        """An integer setting."""
        variable, value = self._lookup(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(f"{variable} must be a whole number, not {value!r}") from None

    def flag(self, name: str, default: bool) -> bool:
        """A boolean setting: true/false, yes/no, on/off or 1/0."""
        variable, value = self._lookup(name)
        if value is None or value == "":
            return default
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigurationError(f"{variable} must be true or false, not {value!r}")

    def secret(
        self, name: str, development_default: str | None = None, *, shared: bool = True
    ) -> Secret:
        """A secret: required outside development, where no default is ever used.

        ``shared=False`` ignores the ``WNWA_{NAME}`` fallback, for values that must be
        the service's own (its database).
        """
        variable, value = self._lookup(name, shared=shared)
        if value:
            if not self.is_development and value == development_default:
                raise ConfigurationError(
                    f"{variable} still holds the development value; set a real secret"
                )
            return Secret(value)
        if self.is_development and development_default is not None:
            return Secret(development_default)
        raise ConfigurationError(f"{variable} is required outside development")


@dataclass(frozen=True, slots=True)
class PublicUrl:
    """Where people reach the network: an origin (scheme, host, port), no trailing slash.

    Every absolute address the platform writes — links in mail, the Atom feed's ids and
    links, identity's redirect URIs and passkey origin — is built from it, never from a
    request's ``Host`` header, which the sender chooses.
    """

    origin: str

    @property
    def https(self) -> bool:
        return self.origin.startswith("https://")

    def link(self, path: str) -> str:
        """The absolute address of ``path`` (which starts with ``/``)."""
        if not path.startswith("/"):
            raise ValueError("a link's path starts with /")
        return self.origin + path

    def response_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """What every answer carries: HSTS when the network is reached over https (never
        on plain-http development, where it would stick to ``localhost`` in the browser)."""
        return ((b"strict-transport-security", HSTS),) if self.https else ()


PUBLIC_URL = "WNWA_PUBLIC_URL"
# localhost, not 127.0.0.1: browsers accept no IP address as a passkey's website
DEVELOPMENT_PUBLIC_URL = f"http://localhost:{PORTS['gateway']}"
# two years, subdomains included (what hstspreload.org asks for; a year is the least)
HSTS = b"max-age=63072000; includeSubDomains"


def read_public_url(environ: Mapping[str, str] | None = None) -> PublicUrl:
    """``WNWA_PUBLIC_URL``, the one place it is read: required outside development, where
    it defaults to the gateway on this machine. Only an origin: the portal is at the root."""
    env = Environment("WNWA", environ)
    value = env.text("PUBLIC_URL", DEVELOPMENT_PUBLIC_URL if env.is_development else None)
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018 — a port that is not a number raises here
    except ValueError:
        parts = urlsplit("")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or value.strip().endswith(("?", "#"))
    ):
        raise ConfigurationError(
            f"{PUBLIC_URL} must be the address people reach the network at, scheme and host"
            f" only, such as https://wnwa.example.org (not {value!r})"
        )
    return PublicUrl(f"{parts.scheme}://{parts.netloc.lower()}")


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Settings every service has: where it listens, its database, whom it trusts."""

    name: str
    host: str
    port: int
    database_url: Secret
    jwks_url: str
    token_issuer: str
    token_audience: str
    graphiql: bool
    deployment: str
    public_url: PublicUrl
    # whether `__schema` / `__type` are answered: off in production (the gateway composes
    # from the exported SDL files, never by asking a subgraph)
    introspection: bool = True
    # how long an unused operation document is kept (servicekit/recent.py): ten minutes;
    # tests shorten it to watch memory forget, and it can never be longer
    document_idle_seconds: float = 600.0
    # worker processes on the service's one socket (`wnwa serve --workers`)
    workers: int = 1

    @classmethod
    def from_environment(
        cls, name: str, default_port: int, environ: Mapping[str, str] | None = None
    ) -> ServiceSettings:
        """Read the common settings of service ``name`` (prefix ``WNWA_{NAME}``)."""
        env = Environment(f"WNWA_{name}", environ)
        return cls(
            name=name,
            host=env.text("HOST", "127.0.0.1"),
            port=env.integer("PORT", default_port),
            database_url=env.secret(
                "DATABASE_URL",
                development_default=f"postgresql://postgres@127.0.0.1:5432/wnwa_{name}",
                shared=False,
            ),
            jwks_url=env.text("JWKS_URL", local_url("identity", "/.well-known/jwks.json")),
            token_issuer=env.text("TOKEN_ISSUER", local_url("identity")),
            token_audience=env.text("TOKEN_AUDIENCE", "wnwa"),
            graphiql=env.flag("GRAPHIQL", env.is_development),
            deployment=env.deployment,
            public_url=read_public_url(environ),
            introspection=env.flag("INTROSPECTION", env.is_development),
            document_idle_seconds=document_idle_seconds(env),
            workers=worker_count(env),
        )


def worker_count(env: Environment) -> int:
    """``WORKERS`` (shared ``WNWA_WORKERS``, which `wnwa serve --workers` sets): 1 to 64."""
    workers = env.integer("WORKERS", 1)
    if not 1 <= workers <= 64:
        raise ConfigurationError(f"{env.prefix}_WORKERS must be 1 to 64")
    return workers


def document_idle_seconds(env: Environment) -> float:
    """``DOCUMENT_IDLE_SECONDS`` (shared ``WNWA_DOCUMENT_IDLE_SECONDS``): 1 to 600."""
    seconds = env.integer("DOCUMENT_IDLE_SECONDS", 600)
    if not 1 <= seconds <= 600:
        raise ConfigurationError(f"{env.prefix}_DOCUMENT_IDLE_SECONDS must be 1 to 600")
    return float(seconds)
