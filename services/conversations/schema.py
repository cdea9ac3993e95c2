"""The conversations subgraph: a supporter's messaging key, which an officer's browser
encrypts to. Everything live (opening, messages, streams) is HTTP (``web.py``)."""

from __future__ import annotations

import base64
import hashlib

import strawberry
from strawberry.types import Info

from servicekit.graphql import context_of, parse_id, require_principal

from . import store


@strawberry.type(description="The public key a supporter's device takes messages under.")
class MessagingKey:
    public_key: str = strawberry.field(
        description="An uncompressed P-256 point (65 bytes), base64url, for ECDH."
    )
    fingerprint: str = strawberry.field(
        description="The first 16 hex digits of its SHA-256, to compare out of band."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "A supporter's messaging key; null when they do not take messages. Asking"
            " leaves nothing behind."
        )
    )
    async def messaging_key(self, info: Info, supporter_id: strawberry.ID) -> MessagingKey | None:
        require_principal(info)
        supporter = parse_id(supporter_id)
        if supporter is None:
            return None
        row = await store.get(db=context_of(info).pool, supporter_id=supporter)
        if row is None:
            return None
        return MessagingKey(
            public_key=base64.urlsafe_b64encode(row.public_key).rstrip(b"=").decode(),
            fingerprint=hashlib.sha256(row.public_key).hexdigest()[:16],
        )
