"""Peer supporters' anonymous monthly reports and the figures made from them.

A supporter reports how many officers from other departments they supported in a month.
While the month is open, a report is only counted in the memory of the directory process
that took it, and a mark in the database server's memory refuses a second report
(``report_months``); nothing is written. When the month closes, each process writes its own
part of the figures with differential-privacy noise (``report_figures``), sealed under the
report key (``report_key``), and the published figures are the sums of the parts.
Coordinators see their department's figure, network admins any department's; a department's
figure is shown only when its summed noisy count of reports reached the threshold. Nobody
sees who called whom: that is never recorded.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Any

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

from . import report_figures, report_store
from .report_key import ReportKey
from .report_months import CLOSES_ON_DAY, Outcome, open_from
from .schema import Department, context

MAX_OFFICERS_PER_MONTH = 300  # about ten a day: anything above is a typing mistake
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> dt.date | None:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


@strawberry.type
class SupportReportPayload:
    accepted: bool
    errors: list[FieldError]


@strawberry.type(
    description="One department's part of a month, with differential-privacy noise; only "
    "when its noisy count of reports reached `minimumReports`."
)
class DepartmentSupport:
    department: Department
    reports: int
    officers_supported: int = strawberry.field(
        description="Officers of other departments its peer supporters supported."
    )


@strawberry.type(
    description="A department's figure over the twelve closed months up to the month asked: "
    "the sums of those months' noisy parts (no noise is drawn again), shown once its noisy "
    "count of reports reaches `minimumReports`; small departments get a figure here."
)
class TwelveMonthSupport:
    first_month: str
    last_month: str
    minimum_reports: int = strawberry.field(
        description="The summed noisy count of reports over the twelve months a department "
        "needs to be shown: 12 (a year of one supporter's monthly reports) with one directory "
        "process, a little more with several."
    )
    department: DepartmentSupport | None = strawberry.field(
        description="Null when its noisy count over the twelve months stayed below "
        "`minimumReports`."
    )
    reports_margin: int = strawberry.field(
        description="About 95% of the time the true count of reports is within this of the "
        "figure (the noise of that many parts)."
    )
    officers_margin: int = strawberry.field(description="The same for officers supported.")
    expected_reports_per_month: float = strawberry.field(
        description="Reports a month from the department's active peer supporters if they "
        "report at the network's pace (the network's reports a month over its active "
        "supporters): an estimate from figures already shown, never from the department's "
        "hidden count."
    )
    appears_around: str | None = strawberry.field(
        description="`YYYY-MM`: when the figure would appear if, from the month now taking "
        "reports, the department's supporters report at that pace (reports of the last "
        "twelve months count too, so it may come sooner). Null when it is shown, or when that "
        "pace does not reach `minimumReports` within twelve months."
    )


@strawberry.type(
    description="Reciprocity in a month: what the network's peer supporters gave, and a "
    "department's share when enough of its supporters reported. Every figure carries "
    "differential-privacy noise drawn once when the month closed. Never who called whom."
)
class SupportReciprocity:
    month: str
    reports: int = strawberry.field(description="Reports across the network.")
    officers_supported: int = strawberry.field(description="Across the network.")
    departments_shown: int = strawberry.field(
        description="Departments whose own (noisy) figure can be shown."
    )
    minimum_reports: int = strawberry.field(
        description="The summed noisy count of reports a department needed this month to "
        "be shown: 15 when one directory process wrote the month's figures, a little more "
        "with several (each adds its own noise)."
    )
    department: DepartmentSupport | None = strawberry.field(
        description="Null when its noisy count of reports stayed below `minimumReports`: "
        "then it is only part of the network total."
    )
    twelve_months: TwelveMonthSupport = strawberry.field(
        description="The department's figure over the twelve closed months up to this one."
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
        today = context(info).loaders.now.date()
        if when >= open_from(today):
            # while a month takes reports, each new one would show as a change in the totals
            raise PublicError(
                f"Figures for {when.strftime('%Y-%m')} appear once its reports close, on the "
                f"{CLOSES_ON_DAY}th of the next month."
            )
        await context(info).resources.months.tick(pool)  # the month may have closed a moment ago
        months = context(info).resources.months
        figures = await report_store.month_figures(
            db=pool, key=months.key, month=when, department_id=department
        )
        if figures is None:
            # no directory process ran until that month closed (or before reports existed):
            # no report was counted, so there is nothing to hide
            figures = report_store.MonthFigures(
                reports=0,
                officers_supported=0,
                departments=0,
                minimum_reports=report_figures.minimum_reports(1),
                department=None,
            )
        year = await twelve_months(pool, months.key, when, department, today)
        shown = None
        if department is not None and figures.department is not None:
            shown = DepartmentSupport(
                department=Department(id=strawberry.ID(str(department))),
                reports=figures.department.reports,
                officers_supported=figures.department.officers_supported,
            )
        return SupportReciprocity(
            month=when.strftime("%Y-%m"),
            reports=figures.reports,
            officers_supported=figures.officers_supported,
            departments_shown=figures.departments,
            minimum_reports=figures.minimum_reports,
            department=shown,
            twelve_months=year,
        )

    @strawberry.field(description="Counts for the network figures: service tokens only.")
    async def directory_figures(self, info: Info[Any, Any]) -> DirectoryFigures | None:
        require_role(info, "service")
        pool = context_of(info).pool
        supporters, resources = await report_store.directory_figures(db=pool)
        return DirectoryFigures(active_peer_supporters=supporters, resources=resources)


@strawberry.type
class ReportMutations:
    @strawberry.mutation(
        description="Report how many officers from other departments you supported in a "
        "month (`YYYY-MM`): peer supporters, once per month, until the 10th of the next. "
        "Nothing is written until the month closes, then only noisy figures; nothing ties "
        "the report to you."
    )
    async def submit_support_report(
        self, info: Info[Any, Any], month: str, officers_supported: int
    ) -> SupportReportPayload:
        principal = require_principal_supporter(info)
        department = parse_id(principal.department_id)
        if department is None:
            raise Forbidden("Your sign-in names no department.")
        today = context(info).loaders.now.date()
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
        outcome = await context(info).resources.months.count(
            month=when,
            subject=principal.subject,
            department=department,
            officers=officers_supported,
        )
        if outcome is Outcome.ALREADY:
            errors.add("month", f"You already reported for {when:%Y-%m}.")
        elif outcome is Outcome.CLOSED:
            errors.add("month", f"Reports for {when:%Y-%m} have closed.")
        elif outcome is Outcome.UNAVAILABLE:
            errors.add("month", "Reports cannot be taken this minute; try again shortly.")
        return SupportReportPayload(accepted=outcome is Outcome.COUNTED, errors=errors.items)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first of the month ``count`` months after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


async def twelve_months(
    pool: Any, key: ReportKey, last: dt.date, department: uuid.UUID | None, today: dt.date
) -> TwelveMonthSupport:
    """The twelve closed months up to ``last``, and when a hidden figure would appear."""
    first = add_months(last, 1 - report_figures.TWELVE_MONTHS)
    figures = await report_store.twelve_month_figures(
        db=pool, key=key, first=first, last=last, department_id=department
    )
    share = 0.0
    if figures.active_supporters:
        share = min(1.0, figures.network_reports_per_month / figures.active_supporters)
    pace = figures.department_active_supporters * share
    around = None
    if figures.department is None and pace > 0:
        months = math.ceil(figures.minimum_reports / pace)
        if months <= report_figures.TWELVE_MONTHS:
            # reports from the month now taking them; the figure shows once the last closes
            around = add_months(today.replace(day=1), months).strftime("%Y-%m")
    shown = None
    if department is not None and figures.department is not None:
        shown = DepartmentSupport(
            department=Department(id=strawberry.ID(str(department))),
            reports=figures.department.reports,
            officers_supported=figures.department.officers_supported,
        )
    return TwelveMonthSupport(
        first_month=first.strftime("%Y-%m"),
        last_month=last.strftime("%Y-%m"),
        minimum_reports=figures.minimum_reports,
        department=shown,
        reports_margin=report_figures.margin(
            figures.parts, sensitivity=1, epsilon=report_figures.EPSILON_DEPARTMENT_REPORTS
        ),
        officers_margin=report_figures.margin(
            figures.parts,
            sensitivity=report_figures.OFFICERS_CAP,
            epsilon=report_figures.EPSILON_DEPARTMENT_OFFICERS,
        ),
        expected_reports_per_month=round(pace, 2),
        appears_around=around,
    )


def require_principal_supporter(
    info: Info[Any, Any], refusal: str = "Only peer supporters report the officers they supported."
) -> Any:
    """The principal when a peer supporter; a FORBIDDEN error that says so otherwise."""
    try:
        return require_role(info, "peer_supporter")
    except Forbidden:
        raise Forbidden(refusal) from None
