"""The membership subgraph: the `Department` entity, terms, fee tiers and contacts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from servicekit.clock import Clock
from servicekit.graphql import (
    Forbidden,
    PublicError,
    RequestContext,
    context_of,
    parse_id,
    require_principal,
    require_role,
)
from servicekit.mail import MailSettings
from servicekit.paging import PageInfo, decode_cursor, page_of, page_size
from servicekit.proof_of_work import FormChallenge, FormProof

from . import rules, store

if TYPE_CHECKING:
    from .network import NetworkFiguresSource


# -- per-request loaders ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactForms:
    """The proof of work each anonymous form asks for, priced by its busyness everywhere."""

    join_inquiries: FormProof
    demo_requests: FormProof


@dataclass(frozen=True, slots=True)
class MembershipResources:
    """What membership holds for as long as it runs."""

    figures: NetworkFiguresSource  # gathers and caches the network figures
    forms: ContactForms
    mail: MailSettings  # where mail goes
    renewal_notice_days: int


class MembershipLoaders:
    """DataLoaders of one request, so a page of departments costs one query per kind, and
    the request's "today" (a UTC date), read once so every field agrees."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.today = clock.today()
        self.departments = DataLoader[UUID, store.DepartmentRow | None](
            lambda ids: self._departments(pool, ids)
        )
        self.terms = DataLoader[UUID, list[store.TermRow]](lambda ids: self._terms(pool, ids))
        self.consortia = DataLoader[UUID, store.ConsortiumRow | None](
            lambda ids: self._consortia(pool, ids)
        )
        self.consortium_terms = DataLoader[UUID, list[store.TermRow]](
            lambda ids: self._consortium_terms(pool, ids)
        )

    @staticmethod
    async def _departments(pool: asyncpg.Pool, ids: list[UUID]) -> list[store.DepartmentRow | None]:
        found = await store.get_departments(db=pool, ids=ids)
        return [found.get(department_id) for department_id in ids]

    @staticmethod
    async def _terms(pool: asyncpg.Pool, ids: list[UUID]) -> list[list[store.TermRow]]:
        terms = await store.list_terms(db=pool, department_ids=ids)
        return [[term for term in terms if term.department_id == one] for one in ids]

    @staticmethod
    async def _consortia(pool: asyncpg.Pool, ids: list[UUID]) -> list[store.ConsortiumRow | None]:
        found = {row.id: row for row in await store.list_consortia(db=pool)}
        return [found.get(one) for one in ids]

    @staticmethod
    async def _consortium_terms(pool: asyncpg.Pool, ids: list[UUID]) -> list[list[store.TermRow]]:
        terms = await store.list_consortium_terms(db=pool, consortium_ids=ids)
        return [[term for term in terms if term.consortium_id == one] for one in ids]


# a membership request: its loaders, and the process's resources
MembershipContext = RequestContext[MembershipLoaders, MembershipResources]


def context(info: Info[Any, Any]) -> MembershipContext:
    """The request's context: who asks, its loaders, and the process's resources."""
    typed: MembershipContext = info.context
    return typed


# -- types --------------------------------------------------------------------------------


@strawberry.enum(description="Where a department stands with the network.")
class DepartmentStatus(Enum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LAPSED = "lapsed"


@strawberry.enum
class TermKind(Enum):
    FIRST = "first"
    RENEWAL = "renewal"


@strawberry.type(
    description="A subscription term: the first three years (or one or two, with a reason), "
    "then one year each."
)
class SubscriptionTerm:
    id: strawberry.ID
    kind: TermKind
    years: int = strawberry.field(description="How long the term lasts: 1 to 3 years.")
    starts_on: dt.date
    ends_on: dt.date = strawberry.field(description="The day after the term's last day.")
    annual_fee_cents: int = strawberry.field(
        description="The annual fee quoted when it was recorded; a consortium's covers every "
        "member."
    )
    shorter_term_reason: str | None = strawberry.field(
        description="Why a first term is shorter than three years."
    )
    consortium_id: strawberry.Private[UUID | None] = None

    @classmethod
    def from_row(cls, row: store.TermRow) -> SubscriptionTerm:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=TermKind(row.kind),
            years=row.years,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            annual_fee_cents=row.annual_fee_cents,
            shorter_term_reason=row.shorter_term_reason,
            consortium_id=row.consortium_id,
        )

    @strawberry.field(description="The consortium whose agreement this is, if it is one.")
    async def consortium(self, info: Info[Any, Any]) -> Consortium | None:
        if self.consortium_id is None:
            return None
        row = await context(info).loaders.consortia.load(self.consortium_id)
        return Consortium.from_row(row) if row else None


@strawberry.type(
    description="Small departments under one agreement: one term recorded for the consortium "
    "applies to every member. Network admins only."
)
class Consortium:
    id: strawberry.ID
    name: str
    row_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: store.ConsortiumRow) -> Consortium:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, row_id=row.id)

    @strawberry.field(description="The member departments, by name.")
    async def members(self, info: Info[Any, Any]) -> list[Department]:
        rows = await store.consortium_members(db=context_of(info).pool, consortium_id=self.row_id)
        return [Department.from_row(row) for row in rows]

    @strawberry.field(description="The consortium's terms, oldest first.")
    async def terms(self, info: Info[Any, Any]) -> list[SubscriptionTerm]:
        rows = await context(info).loaders.consortium_terms.load(self.row_id)
        return [SubscriptionTerm.from_row(row) for row in rows]

    @strawberry.field(description="The term covering today, if any.")
    async def current_term(self, info: Info[Any, Any]) -> SubscriptionTerm | None:
        rows = await context(info).loaders.consortium_terms.load(self.row_id)
        term = rules.current_term(rows, context(info).loaders.today)
        return SubscriptionTerm.from_row(term) if term else None

    @strawberry.field(
        description="True from the renewal notice period before the last term's end onwards."
    )
    async def renewal_due(self, info: Info[Any, Any]) -> bool:
        request = context(info)
        rows = await request.loaders.consortium_terms.load(self.row_id)
        return rules.renewal_due(rows, request.loaders.today, request.resources.renewal_notice_days)


@strawberry.type(
    description="A department's membership record: for network admins and the department's "
    "own coordinators."
)
class MembershipRecord:
    row: strawberry.Private[store.DepartmentRow]

    @strawberry.field
    def ori(self) -> str:
        return self.row.ori

    @strawberry.field
    def sworn_officers(self) -> int:
        return self.row.sworn_officers

    @strawberry.field(description="Whether civilian staff may sign in.")
    def civilians_enrolled(self) -> bool:
        return self.row.civilians_enrolled

    @strawberry.field
    def status(self) -> DepartmentStatus:
        return DepartmentStatus(self.row.status)

    @strawberry.field
    def joined_on(self) -> dt.date | None:
        return self.row.joined_on

    @strawberry.field(description="The consortium whose agreement covers it, if any.")
    async def consortium(self, info: Info[Any, Any]) -> Consortium | None:
        found = await store.consortium_of(db=context_of(info).pool, department_id=self.row.id)
        return Consortium.from_row(found) if found else None

    @strawberry.field(description="All terms, its own and its consortium's, oldest first.")
    async def terms(self, info: Info[Any, Any]) -> list[SubscriptionTerm]:
        rows = await context(info).loaders.terms.load(self.row.id)
        return [SubscriptionTerm.from_row(row) for row in rows]

    @strawberry.field(description="The term covering today, if any.")
    async def current_term(self, info: Info[Any, Any]) -> SubscriptionTerm | None:
        rows = await context(info).loaders.terms.load(self.row.id)
        term = rules.current_term(rows, context(info).loaders.today)
        return SubscriptionTerm.from_row(term) if term else None

    @strawberry.field(
        description="True from the renewal notice period before the last term's end onwards."
    )
    async def renewal_due(self, info: Info[Any, Any]) -> bool:
        request = context(info)
        rows = await request.loaders.terms.load(self.row.id)
        return rules.renewal_due(rows, request.loaders.today, request.resources.renewal_notice_days)

    @strawberry.field(description="The annual fee its size tier quotes today, in cents.")
    async def annual_fee_quote_cents(self, info: Info[Any, Any]) -> int | None:
        return await store.fee_for(db=context_of(info).pool, sworn_officers=self.row.sworn_officers)


@strawberry.federation.type(keys=["id"], description="A police department.")
class Department:
    id: strawberry.ID
    row: strawberry.Private[store.DepartmentRow | None] = None

    @classmethod
    def from_row(cls, row: store.DepartmentRow) -> Department:
        return cls(id=strawberry.ID(str(row.id)), row=row)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Department | None:
        require_principal(info)
        department_id = parse_id(id)
        row = await context(info).loaders.departments.load(department_id) if department_id else None
        return cls.from_row(row) if row else None

    def _row(self) -> store.DepartmentRow:
        assert self.row is not None
        return self.row

    @strawberry.field
    def name(self) -> str:
        return self._row().name

    @strawberry.field
    def county(self) -> str:
        return self._row().county

    @strawberry.field(description="USPS state code, e.g. IL.")
    def state(self) -> str:
        return self._row().state

    @strawberry.field(description="Whether the department is an active member of the network.")
    def is_member(self) -> bool:
        return self._row().status == "active"

    @strawberry.field(description="Membership details: network admins and own coordinators only.")
    def record(self, info: Info[Any, Any]) -> MembershipRecord | None:
        principal = require_principal(info)
        row = self._row()
        if not rules.may_read_record(principal, row.id):
            raise Forbidden(
                "Only network admins and this department's coordinators see its record."
            )
        return MembershipRecord(row=row)


@strawberry.type
class DepartmentConnection:
    nodes: list[Department]
    page_info: PageInfo


@strawberry.type(description="Public figures about the network's membership.")
class MembershipFigures:
    member_departments: int
    counties: int
    states: int


@strawberry.type(description="Annual fee for departments within a range of sworn officers.")
class FeeTier:
    min_sworn_officers: int
    max_sworn_officers: int | None = strawberry.field(description="Empty for the top tier.")
    annual_fee_cents: int

    @classmethod
    def from_row(cls, row: store.FeeTierRow) -> FeeTier:
        return cls(
            min_sworn_officers=row.min_sworn,
            max_sworn_officers=row.max_sworn,
            annual_fee_cents=row.annual_fee_cents,
        )


@strawberry.enum
class ContactKind(Enum):
    JOIN_INQUIRY = "inquiry"
    DEMO_REQUEST = "demo"


@strawberry.enum
class DemoFormat(Enum):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"


@strawberry.type(description="A joining inquiry or demo request, for the network's staff.")
class DepartmentContact:
    id: strawberry.ID
    kind: ContactKind
    agency: str
    contact_name: str
    contact_role: str
    email: str
    phone: str | None
    message: str = strawberry.field(description="The message, or the preferred demo times.")
    demo_format: DemoFormat | None
    received_at: dt.datetime
    handled_at: dt.datetime | None
    reference: str = strawberry.field(description="What the contact was given to quote.")

    @classmethod
    def from_row(cls, row: store.ContactRow) -> DepartmentContact:
        return cls(
            reference=row.reference,
            id=strawberry.ID(str(row.id)),
            kind=ContactKind(row.kind),
            agency=row.agency,
            contact_name=row.contact_name,
            contact_role=row.contact_role,
            email=row.email,
            phone=row.phone,
            message=row.message,
            demo_format=DemoFormat(row.demo_format) if row.demo_format else None,
            received_at=row.received_at,
            handled_at=row.handled_at,
        )


@strawberry.type
class DepartmentContactConnection:
    nodes: list[DepartmentContact]
    page_info: PageInfo


# -- queries ------------------------------------------------------------------------------

First = Annotated[int, strawberry.argument(description="Page size, 1 to 100.")]


@strawberry.type
class Query:
    @strawberry.field(description="Member departments (name, county, state), for signed-in users.")
    async def member_departments(
        self,
        info: Info[Any, Any],
        state: str | None = None,
        first: First = 50,
        after: str | None = None,
    ) -> DepartmentConnection | None:
        require_principal(info)
        limit = page_size(first)
        rows = await store.list_members(
            db=context_of(info).pool,
            state=state.strip().upper() if state else None,
            after=decode_cursor(after, str, str, str, UUID),
            limit=limit + 1,
        )
        page, page_info = page_of(
            rows, limit, lambda row: (row.state, row.county, row.name, row.id)
        )
        return DepartmentConnection(
            nodes=[Department.from_row(row) for row in page], page_info=page_info
        )

    @strawberry.field(description="One department by id; null when there is none.")
    async def department(self, info: Info[Any, Any], id: strawberry.ID) -> Department | None:
        return await Department.resolve_reference(info, id)

    @strawberry.field(description="Every department in any status: network admins only.")
    async def departments(
        self,
        info: Info[Any, Any],
        status: DepartmentStatus | None = None,
        first: First = 50,
        after: str | None = None,
    ) -> DepartmentConnection | None:
        require_role(info, "network_admin")
        limit = page_size(first)
        rows = await store.list_departments(
            db=context_of(info).pool,
            status=status.value if status else None,
            after=decode_cursor(after, str, UUID),
            limit=limit + 1,
        )
        page, page_info = page_of(rows, limit, lambda row: (row.name, row.id))
        return DepartmentConnection(
            nodes=[Department.from_row(row) for row in page], page_info=page_info
        )

    @strawberry.field(description="How many departments, counties and states are members.")
    async def membership_figures(self, info: Info[Any, Any]) -> MembershipFigures | None:
        departments, counties, states = await store.membership_figures(db=context_of(info).pool)
        return MembershipFigures(member_departments=departments, counties=counties, states=states)

    @strawberry.field(description="The annual fee tiers by number of sworn officers.")
    async def fee_tiers(self, info: Info[Any, Any]) -> list[FeeTier] | None:
        return [
            FeeTier.from_row(row) for row in await store.list_fee_tiers(db=context_of(info).pool)
        ]

    @strawberry.field(description="The annual fee for a department of this size, in cents.")
    async def annual_fee_quote_cents(self, info: Info[Any, Any], sworn_officers: int) -> int | None:
        if not 1 <= sworn_officers <= 100_000:
            raise PublicError("`swornOfficers` must be between 1 and 100000.")
        return await store.fee_for(db=context_of(info).pool, sworn_officers=sworn_officers)

    @strawberry.field(
        description="A puzzle to solve before sending a joining inquiry or demo request "
        "(their `proofOfWork`). No sign-in needed."
    )
    async def contact_form_challenge(
        self, info: Info[Any, Any], form: ContactKind
    ) -> FormChallenge | None:
        forms = context(info).resources.forms
        proof = forms.join_inquiries if form is ContactKind.JOIN_INQUIRY else forms.demo_requests
        return (await proof.challenge()).as_graphql()

    @strawberry.field(description="Joining inquiries and demo requests: network admins only.")
    async def department_contacts(
        self,
        info: Info[Any, Any],
        handled: bool | None = None,
        first: First = 50,
        after: str | None = None,
    ) -> DepartmentContactConnection | None:
        require_role(info, "network_admin")
        limit = page_size(first)
        rows = await store.list_contacts(
            db=context_of(info).pool,
            handled=handled,
            after=decode_cursor(after, dt.datetime.fromisoformat, UUID),
            limit=limit + 1,
        )
        page, page_info = page_of(rows, limit, lambda row: (row.received_at.isoformat(), row.id))
        return DepartmentContactConnection(
            nodes=[DepartmentContact.from_row(row) for row in page], page_info=page_info
        )
