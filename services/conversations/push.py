"""Telling a supporter's installed app that a message waits: standard Web Push.

A push is sealed to the device (RFC 8291, aes128gcm), signed with the service's VAPID key
(RFC 8292) and posted to the device's push service (RFC 8030) by pywebpush. It carries the
same few bytes every time, :data:`NOTICE`: never who wrote, which conversation or what was
said. The push service learns that this device received a push, and when (docs/PRIVACY.md).
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from .store import PushSubscription

logger = logging.getLogger("wnwa.conversations.push")

# the whole payload of every push: the service worker shows "A new message is waiting"
NOTICE = '{"waiting":true}'
# a push the device is not reached for within this many seconds is dropped by the push service
TIME_TO_LIVE = 900


class PushRefused(Exception):
    """The push service no longer knows the subscription (404 or 410): forget it."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def allowed_endpoint(endpoint: str, hosts: tuple[str, ...]) -> bool:
    """An https endpoint at one of ``hosts`` (a leading dot: any subdomain); ``http://`` only
    for loopback hosts named in ``hosts`` (tests and development)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password or not host:
        return False
    if parts.scheme == "http":
        return host in ("127.0.0.1", "localhost") and host in hosts
    if parts.scheme != "https":
        return False
    return any(
        host == allowed or (allowed.startswith(".") and host.endswith(allowed)) for allowed in hosts
    )


class Pusher:
    """Sends the notice; one VAPID key for the service's lifetime."""

    def __init__(self, http: aiohttp.ClientSession, private_key: str, subject: str) -> None:
        self.http = http
        self.vapid = Vapid.from_raw(private_key.encode())
        self.subject = subject
        public = self.vapid.public_key
        assert isinstance(public, ec.EllipticCurvePublicKey)
        # what a page hands to PushManager.subscribe as its applicationServerKey
        self.application_server_key = _b64url(
            public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        )

    async def notify(self, subscription: PushSubscription) -> bool:
        """Push the notice; False when it could not be delivered (logged by class only).
        Raises :class:`PushRefused` when the subscription is gone."""
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": _b64url(subscription.p256dh), "auth": _b64url(subscription.auth)},
        }
        try:
            response = await webpush_async(
                info,
                NOTICE,
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},
                ttl=TIME_TO_LIVE,
                headers={"Urgency": "high"},
                timeout=aiohttp.ClientTimeout(total=10),
                aiohttp_session=self.http,
            )
        except WebPushException as failure:
            if failure.status_code in (404, 410):
                raise PushRefused from None
            logger.warning("a push was not accepted (HTTP %s)", failure.status_code)
            return False
        except (aiohttp.ClientError, TimeoutError) as failure:
            logger.warning("a push service was unreachable (%s)", type(failure).__name__)
            return False
        if isinstance(response, aiohttp.ClientResponse):
            response.release()
        return True
