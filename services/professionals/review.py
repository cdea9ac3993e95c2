"""The vetters' queries: the applications, oldest first, and one by id or reference."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit.graphql import PublicError, context_of, parse_id
from servicekit.paging import PageInfo, decode_cursor, page_of, page_size

from . import application_store, rules
from .application import Application
from .context import context
from .vocabulary import VettingStatus

First = Annotated[int, strawberry.argument(description="Page size, 1 to 100.")]


@strawberry.type
class ApplicationConnection:
    nodes: list[Application]
    page_info: PageInfo


@strawberry.type
class ReviewQueries:
    @strawberry.field(description="Applications, oldest first: vetters only.")
    async def applications(
        self,
        info: Info[Any, Any],
        status: VettingStatus | None = None,
        due_for_re_vetting: Annotated[
            bool,
            strawberry.argument(description="Approved, with a license expiring soon or expired."),
        ] = False,
        first: First = 50,
        after: str | None = None,
    ) -> ApplicationConnection | None:
        rules.vetter(info)
        limit = page_size(first)
        request = context(info)
        notice = dt.timedelta(days=request.resources.settings.expiry_notice_days)
        rows = await application_store.list_applications(
            db=request.pool,
            status=status.value if status else None,
            expiring_by=request.loaders.today + notice if due_for_re_vetting else None,
            after=decode_cursor(after, dt.datetime.fromisoformat, UUID),
            limit=limit + 1,
        )
        page, page_info = page_of(rows, limit, lambda row: (row.submitted_at.isoformat(), row.key))
        return ApplicationConnection(nodes=list(page), page_info=page_info)

    @strawberry.field(description="One application by id or by reference: vetters only.")
    async def application(
        self,
        info: Info[Any, Any],
        id: strawberry.ID | None = None,
        reference: str | None = None,
    ) -> Application | None:
        rules.vetter(info)
        if id is not None:
            professional_id = parse_id(id)
            row = (
                await context(info).loaders.application_rows.load(professional_id)
                if professional_id
                else None
            )
        elif reference is not None:
            row = await application_store.get_by_reference(
                db=context_of(info).pool, reference=reference.strip().upper()
            )
        else:
            raise PublicError("Give an `id` or a `reference`.")
        return row
