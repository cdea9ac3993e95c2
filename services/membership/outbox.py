"""Joining-inquiry and demo-request mail (staff notices, receipts) that could not be
delivered: network admins see it, retry it or dismiss it. This service's own outbox
(:mod:`servicekit.mail`); the fields' work is in :mod:`servicekit.undelivered_mail`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from servicekit import undelivered_mail
from servicekit.undelivered_mail import Count, UndeliveredMail, UndeliveredMailPayload


@strawberry.type
class OutboxQueries:
    @strawberry.field(
        description="Staff notices and receipts of joining inquiries and demo requests not"
        " delivered yet, dead letters first: network admins only."
    )
    async def undelivered_contact_mail(
        self, info: Info[Any, Any], first: Count = 50
    ) -> list[UndeliveredMail] | None:
        return await undelivered_mail.undelivered(info, first)


@strawberry.type
class OutboxMutations:
    @strawberry.mutation(description="Try an undelivered message again now: network admins only.")
    async def retry_contact_mail(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> UndeliveredMailPayload:
        return await undelivered_mail.retry_mail(info, id)

    @strawberry.mutation(description="Never send an undelivered message: network admins only.")
    async def dismiss_contact_mail(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> UndeliveredMailPayload:
        return await undelivered_mail.dismiss_mail(info, id)
