"""Conversations settings, read once from ``WNWA_CONVERSATIONS_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.ports import PORTS, local_url, peer_setting
from servicekit.settings import ConfigurationError, Environment, Secret, ServiceSettings

DEFAULT_PORT = PORTS["conversations"]
# the push services of the browsers people use; a subscription elsewhere is refused, so a
# supporter's device cannot make the service post to an address of its choosing
PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    ".notify.windows.com",
)
# a development VAPID key, refused outside development (Secret's rule)
_DEVELOPMENT_VAPID_KEY = "Tbcrz1DP1OUpDv33fZhcj28eqccdN7XGCPGBO4_HH-k"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one officer, one supporter and one message may take."""

    opens_per_hour: int = 6  # conversations an officer may open in the current hour
    open_per_supporter: int = 100  # conversations a supporter may have open at once
    message_characters: int = 4000  # of a message's text, before encryption
    waiting_messages: int = 50  # not yet read by the other side, per conversation
    hold_seconds: int = 900  # how long an unread message waits for its reader
    idle_seconds: int = 7200  # a conversation nobody wrote in for this long ends
    reports_before_pause: int = 3  # reports that pause an officer's new conversations
    pause_seconds: int = 7 * 86400

    @property
    def ciphertext_bytes(self) -> int:
        """The largest sealed message: four bytes a character in UTF-8, and the GCM tag."""
        return self.message_characters * 4 + 16


@dataclass(frozen=True, slots=True)
class ConversationsSettings:
    service: ServiceSettings
    directory_url: str
    vapid_private_key: Secret  # raw P-256 private key, base64url (RFC 8292)
    vapid_subject: str  # a mailto: or https: address push services may write to
    push_hosts: tuple[str, ...]
    limits: Limits


def load(environ: Mapping[str, str] | None = None) -> ConversationsSettings:
    env = Environment("WNWA_CONVERSATIONS", environ)
    service = ServiceSettings.from_environment("conversations", DEFAULT_PORT, environ)
    hosts = env.text("PUSH_HOSTS", ",".join(PUSH_HOSTS))
    # push services may write to the sender: the network's https address, else a mailbox
    fallback = service.public_url.origin if service.public_url.https else None
    if fallback is None and env.is_development:
        fallback = "mailto:development@wnwa.example"
    subject = env.text("VAPID_SUBJECT", fallback)
    if not subject.startswith(("mailto:", "https://")):
        raise ConfigurationError(
            "WNWA_CONVERSATIONS_VAPID_SUBJECT must be a mailto: or https: address"
        )
    defaults = Limits()
    return ConversationsSettings(
        service=service,
        directory_url=env.text(
            peer_setting("conversations", "directory").removeprefix("WNWA_CONVERSATIONS_"),
            local_url("directory", "/graphql"),
        ),
        vapid_private_key=env.secret("VAPID_PRIVATE_KEY", _DEVELOPMENT_VAPID_KEY, shared=False),
        vapid_subject=subject,
        push_hosts=tuple(host.strip() for host in hosts.split(",") if host.strip()),
        limits=Limits(
            opens_per_hour=env.integer("OPENS_PER_HOUR", defaults.opens_per_hour),
            hold_seconds=env.integer("HOLD_SECONDS", defaults.hold_seconds),
            idle_seconds=env.integer("IDLE_SECONDS", defaults.idle_seconds),
        ),
    )
