"""Peer supporters' anonymous monthly reports and the figures made from them.

A supporter reports how many officers from other departments they supported in a month.
Only sums per month and department are kept (``report_store``); who reported is kept only
as keyed hashes while the month is open, to refuse a second report. Coordinators see their
department's figure, network admins any department's, each only with at least 10 reports
behind it; below that it is part of the network total only. Nobody sees who called whom:
that is never recorded anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit.graphql import (
    FieldError,
    Forbidden,
    InputErrors,
    PublicError,
    context_of,
    parse_id,
    require_role,
)

from . import report_store
from .schema import Clock, Department, DirectoryLoaders, loaders

MAX_OFFICERS_PER_MONTH = 300  # about ten a day: anything above is a typing mistake
CLOSES_ON_DAY = 10  # a month's reports are taken until the 10th of the next month
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ReportingLoaders(DirectoryLoaders):
    """The directory's loaders plus the key that makes report receipts."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock, report_key: bytes) -> None:
        super().__init__(pool, clock)
        self.report_key = report_key


def open_from(today: dt.date) -> dt.date:
    """The first month still taking reports on ``today``."""
    first = today.replace(day=1)
    if today.day > CLOSES_ON_DAY:
        return first
    return (first - dt.timedelta(days=1)).replace(day=1)


async def close_past_months(pool: asyncpg.Pool, clock: Clock) -> None:
    """Close the months whose reports are over: fold small cells, forget the receipts."""
    async with pool.acquire() as connection, connection.transaction():
        await report_store.close_months(db=connection, open_from=open_from(clock().date()))


def receipt(key: bytes, month: dt.date, subject: str) -> bytes:
    """HMAC-SHA256 of the month and the pseudonym, length-prefixed."""
    message = b""
    for part in (month.isoformat().encode(), subject.encode()):
        message += len(part).to_bytes(4, "big") + part
    return hmac.new(key, message, hashlib.sha256).digest()


def parse_month(text: str) -> dt.date | None:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


@strawberry.type
class SupportReportPayload:
    accepted: bool
    errors: list[FieldError]


@strawberry.type(description="One department's part of a month (10 reports or more).")
class DepartmentSupport:
    department: Department
    reports: int
    officers_supported: int = strawberry.field(
        description="Officers of other departments its peer supporters supported."
    )


@strawberry.type(
    description="Reciprocity in a month: what the network's peer supporters gave, and a "
    "department's share when at least 10 of its supporters reported. Never who called whom."
)
class SupportReciprocity:
    month: str
    reports: int = strawberry.field(description="Reports across the network.")
    officers_supported: int = strawberry.field(description="Across the network.")
    departments_shown: int = strawberry.field(
        description="Departments with at least 10 reports, whose own figure can be shown."
    )
    minimum_reports: int
    department: DepartmentSupport | None = strawberry.field(
        description="Null when fewer than `minimumReports` stand behind it: then it is "
        "only part of the network total."
    )


@strawberry.type(description="Directory counts for the network figures (service tokens).")
class DirectoryFigures:
    active_peer_supporters: int
    resources: int


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="Monthly reciprocity: coordinators for their own department, network "
        "admins for any (or none). `month` is `YYYY-MM`."
    )
    async def support_reciprocity(
        self, info: Info[Any, Any], month: str, department_id: strawberry.ID | None = None
    ) -> SupportReciprocity | None:
        principal = require_role(info, "coordinator", "network_admin")
        when = parse_month(month)
        if when is None:
            raise PublicError("`month` must be a month written YYYY-MM, e.g. 2027-02.")
        department = parse_id(department_id) if department_id else None
        if department_id and department is None:
            raise PublicError("`departmentId` is not a department id.")
        if not principal.has_role("network_admin"):
            own = parse_id(principal.department_id)
            if department is not None and department != own:
                raise Forbidden("Coordinators see their own department's figures only.")
            department = own
        pool = context_of(info).pool
        today = loaders(info).now.date()
        if when >= open_from(today):
            # while a month takes reports, each new one would show as a change in the totals
            raise PublicError(
                f"Figures for {when.strftime('%Y-%m')} appear once its reports close, on the "
                f"{CLOSES_ON_DAY}th of the next month."
            )
        async with pool.acquire() as connection, connection.transaction():
            await report_store.close_months(db=connection, open_from=open_from(today))
            totals = await report_store.month_totals(
                db=connection, month=when, department_id=department
            )
        shown = None
        if department is not None and totals.department_reports is not None:
            shown = DepartmentSupport(
                department=Department(id=strawberry.ID(str(department))),
                reports=totals.department_reports,
                officers_supported=totals.department_officers_supported or 0,
            )
        return SupportReciprocity(
            month=when.strftime("%Y-%m"),
            reports=totals.reports,
            officers_supported=totals.officers_supported,
            departments_shown=totals.departments,
            minimum_reports=report_store.MINIMUM_REPORTS,
            department=shown,
        )

    @strawberry.field(description="Counts for the network figures: service tokens only.")
    async def directory_figures(self, info: Info[Any, Any]) -> DirectoryFigures | None:
        require_role(info, "service")
        pool = context_of(info).pool
        # membership asks for these every minute or so: a steady moment to close past months
        async with pool.acquire() as connection, connection.transaction():
            await report_store.close_months(
                db=connection, open_from=open_from(loaders(info).now.date())
            )
        supporters, resources = await report_store.directory_figures(db=pool)
        return DirectoryFigures(active_peer_supporters=supporters, resources=resources)


@strawberry.type
class ReportMutations:
    @strawberry.mutation(
        description="Report how many officers from other departments you supported in a "
        "month (`YYYY-MM`): peer supporters, once per month, until the 10th of the next. "
        "Only totals are kept; nothing ties the report to you."
    )
    async def submit_support_report(
        self, info: Info[Any, Any], month: str, officers_supported: int
    ) -> SupportReportPayload:
        principal = require_principal_supporter(info)
        department = parse_id(principal.department_id)
        if department is None:
            raise Forbidden("Your sign-in names no department.")
        request_loaders = loaders(info)
        today = request_loaders.now.date()
        errors = InputErrors()
        when = parse_month(month)
        first_open = open_from(today)
        if when is None:
            errors.add("month", "Write the month as YYYY-MM, e.g. 2027-02.")
        elif when > today.replace(day=1):
            errors.add("month", "That month has not started yet.")
        elif when < first_open:
            errors.add(
                "month",
                f"Reports for {when:%Y-%m} closed on the {CLOSES_ON_DAY}th of the next month.",
            )
        if not 0 <= officers_supported <= MAX_OFFICERS_PER_MONTH:
            errors.add(
                "officersSupported",
                f"Give a number from 0 to {MAX_OFFICERS_PER_MONTH} for one month.",
            )
        if errors or when is None:
            return SupportReportPayload(accepted=False, errors=errors.items)
        key = request_loaders.report_key if isinstance(request_loaders, ReportingLoaders) else b""
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            await report_store.close_months(db=connection, open_from=first_open)
            added = await report_store.add_report(
                db=connection,
                month=when,
                department_id=department,
                receipt=receipt(key, when, principal.subject),
                officers_supported=officers_supported,
            )
        if not added:
            errors.add("month", f"You already reported for {when:%Y-%m}.")
        return SupportReportPayload(accepted=added, errors=errors.items)


def require_principal_supporter(info: Info[Any, Any]) -> Any:
    """The principal when a peer supporter; a FORBIDDEN error that says so otherwise."""
    try:
        return require_role(info, "peer_supporter")
    except Forbidden:
        raise Forbidden("Only peer supporters report the officers they supported.") from None
