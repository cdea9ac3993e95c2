"""The conversations subgraph: a supporter's messaging key, which an officer's browser
encrypts to. Everything live (opening, messages, streams) is HTTP (``web.py``)."""

from __future__ import annotations

import base64
import hashlib

import strawberry
from strawberry.types import Info

from servicekit.graphql import BadUserInput, context_of, parse_id, require_principal

from . import store

# the cards of one page of search results, with room to spare
_MOST_KEYS_ASKED = 100


@strawberry.type(description="The public key a supporter's device takes messages under.")
class MessagingKey:
    supporter_id: strawberry.ID = strawberry.field(description="Whose device it is.")
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
        return None if row is None else _key(row)

    @strawberry.field(
        description=(
            "The messaging keys of those of these supporters who take messages (a page of"
            " search results: at most 100 ids). Asking leaves nothing behind."
        )
    )
    async def messaging_keys(
        self, info: Info, supporter_ids: list[strawberry.ID]
    ) -> list[MessagingKey]:
        require_principal(info)
        if len(supporter_ids) > _MOST_KEYS_ASKED:
            raise BadUserInput(f"Ask for at most {_MOST_KEYS_ASKED} supporters at once.")
        wanted = [parsed for raw in supporter_ids if (parsed := parse_id(raw)) is not None]
        if not wanted:
            return []
        rows = await store.get_many(db=context_of(info).pool, supporter_ids=wanted)
        return [_key(row) for row in rows]


def _key(row: store.DeviceRow) -> MessagingKey:
    return MessagingKey(
        supporter_id=strawberry.ID(str(row.supporter_id)),
        public_key=base64.urlsafe_b64encode(row.public_key).rstrip(b"=").decode(),
        fingerprint=hashlib.sha256(row.public_key).hexdigest()[:16],
    )
