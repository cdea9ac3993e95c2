"""Identity settings, read once from ``WNWA_IDENTITY_*`` variables."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from servicekit.ports import PORTS, local_url
from servicekit.proof_of_work import Pricing, load_pricing
from servicekit.pseudonyms import DEVELOPMENT_PSEUDONYM_KEY
from servicekit.settings import ConfigurationError, Environment, Secret, ServiceSettings

DEFAULT_PORT = PORTS["identity"]
# The network's own organisation (its staff: vetters, admins) is not a department.
DEFAULT_NETWORK_ID = "00000000-0000-4000-8000-00000000beef"
DEVELOPMENT_PROVIDERS_FILE = Path(__file__).parent / "devidp" / "providers.toml"


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    service: ServiceSettings
    # where browsers reach identity: the gateway's origin, WNWA_PUBLIC_URL (the token
    # issuer is service.token_issuer)
    public_url: str
    network_id: uuid.UUID
    secrets_key: Secret  # seals client secrets and private keys at rest
    pseudonym_key: Secret  # HMAC key of the pairwise subject; changing it renames everyone
    cookie_key: Secret  # seals the sign-in and session cookies
    membership_url: str
    providers_file: Path | None
    access_token_minutes: int
    session_hours: int
    signing_key_days: int
    after_sign_in: str  # where the browser goes after signing in or out (a local path)
    service_credentials: Mapping[str, Secret]
    passkey_rp_id: str  # the WebAuthn relying party: the public origin's host name
    passkey_origins: tuple[str, ...]  # the origins a passkey ceremony may come from
    code_tries: Pricing  # the proof of work each try of an enrolment code pays

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/auth/callback"

    @property
    def secure_cookies(self) -> bool:
        """Secure everywhere except plain-http loopback development."""
        parts = urlsplit(self.public_url)
        return not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


def _service_credentials(env: Environment) -> dict[str, Secret]:
    """``name=secret,name=secret``: the services that may ask for a service token."""
    development = ",".join(
        f"{name}=dev-service-secret-{name}"
        for name in ("gateway", "directory", "membership", "professionals")
    )
    raw = env.secret("SERVICE_CREDENTIALS", development, shared=False).value
    credentials: dict[str, Secret] = {}
    for pair in raw.split(","):
        name, _, secret = pair.strip().partition("=")
        if not name or len(secret) < 16:
            raise ConfigurationError(
                "WNWA_IDENTITY_SERVICE_CREDENTIALS must be name=secret pairs separated by commas,"
                " each secret at least 16 characters"
            )
        credentials[name] = Secret(secret)
    return credentials


def _passkey_relying_party(env: Environment, public_url: str) -> tuple[str, tuple[str, ...]]:
    """The WebAuthn RP id and origins: the public origin's host name.

    Browsers refuse an IP address as an RP id, so a loopback development origin
    (``http://127.0.0.1:8000``) is served for passkeys as ``http://localhost:8000``.
    """
    parts = urlsplit(public_url)
    host = parts.hostname or ""
    origins = [f"{parts.scheme}://{parts.netloc}"]
    if host in ("127.0.0.1", "::1"):
        host = "localhost"
        origins.append(f"{parts.scheme}://localhost" + (f":{parts.port}" if parts.port else ""))
    rp_id = env.text("PASSKEY_RP_ID", host)
    if not rp_id or not (rp_id == host or host.endswith("." + rp_id)):
        raise ConfigurationError(
            "WNWA_IDENTITY_PASSKEY_RP_ID must be the public URL's host name or a parent"
            " domain of it"
        )
    return rp_id, tuple(origins)


def load(environ: Mapping[str, str] | None = None) -> IdentitySettings:
    env = Environment("WNWA_IDENTITY", environ)
    service = ServiceSettings.from_environment("identity", DEFAULT_PORT, environ)
    try:
        network_id = uuid.UUID(env.text("NETWORK_ID", DEFAULT_NETWORK_ID))
    except ValueError:
        raise ConfigurationError("WNWA_IDENTITY_NETWORK_ID must be a UUID") from None
    public_url = service.public_url.origin  # WNWA_PUBLIC_URL, as every service reads it
    rp_id, origins = _passkey_relying_party(env, public_url)
    providers = env.text(
        "PROVIDERS_FILE", str(DEVELOPMENT_PROVIDERS_FILE) if env.deployment == "development" else ""
    )
    settings = IdentitySettings(
        service=service,
        public_url=public_url,
        network_id=network_id,
        secrets_key=env.secret("SECRETS_KEY", "dev-identity-secrets-key-not-for-production"),
        pseudonym_key=env.secret("PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY),
        cookie_key=env.secret("COOKIE_KEY", "dev-identity-cookie-key-not-for-production"),
        membership_url=env.text("MEMBERSHIP_URL", local_url("membership", "/graphql")),
        providers_file=Path(providers) if providers else None,
        access_token_minutes=env.integer("ACCESS_TOKEN_MINUTES", 10),
        session_hours=env.integer("SESSION_HOURS", 12),
        signing_key_days=env.integer("SIGNING_KEY_DAYS", 30),
        after_sign_in=env.text("AFTER_SIGN_IN", "/"),
        service_credentials=_service_credentials(env),
        passkey_rp_id=rp_id,
        passkey_origins=origins,
        # a department may enrol a briefing room at once: busiest at 200 tries in 10 minutes
        code_tries=load_pricing(env, "CODE_TRIES", Pricing(busy_at=200)),
    )
    for name in ("secrets_key", "pseudonym_key", "cookie_key"):
        if len(getattr(settings, name).value) < 32:
            raise ConfigurationError(f"WNWA_IDENTITY_{name.upper()} must be at least 32 characters")
    if not 1 <= settings.access_token_minutes <= 60:
        raise ConfigurationError("WNWA_IDENTITY_ACCESS_TOKEN_MINUTES must be 1 to 60")
    if not 1 <= settings.session_hours <= 24 * 7:
        raise ConfigurationError("WNWA_IDENTITY_SESSION_HOURS must be 1 to 168")
    if not settings.after_sign_in.startswith("/") or settings.after_sign_in.startswith("//"):
        raise ConfigurationError("WNWA_IDENTITY_AFTER_SIGN_IN must be a local path such as /")
    return settings
