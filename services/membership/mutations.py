"""Membership mutations: network admins manage departments, terms and fees; anyone may ask
to join or request a demo. Every mutation validates all input first and writes nothing
when any field is wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit.by_id import change_by_id
from servicekit.database import Connection
from servicekit.graphql import (
    FieldError,
    Forbidden,
    InputErrors,
    context_of,
    parse_id,
    require_role,
)
from servicekit.proof_of_work import ProofOfWork

from . import mail, rules, store
from .schema import (
    DemoFormat,
    Department,
    DepartmentContact,
    DepartmentStatus,
    FeeTier,
    SubscriptionTerm,
    context,
)


@strawberry.input(description="A new department; ORI and state must agree.")
class DepartmentInput:
    name: str
    ori: str = strawberry.field(description="The 9-character FBI Originating Agency Identifier.")
    county: str
    state: str = strawberry.field(description="USPS state code, e.g. IL.")
    sworn_officers: int
    civilians_enrolled: bool = False
    status: DepartmentStatus = DepartmentStatus.PROSPECT
    joined_on: dt.date | None = None


@strawberry.input(description="Changes to a department; omitted fields stay as they are.")
class DepartmentChanges:
    name: str | None = None
    ori: str | None = None
    county: str | None = None
    state: str | None = None
    sworn_officers: int | None = None
    civilians_enrolled: bool | None = None
    status: DepartmentStatus | None = None
    joined_on: dt.date | None = None


@strawberry.type
class DepartmentPayload:
    department: Department | None
    errors: list[FieldError]


@strawberry.type
class SubscriptionTermPayload:
    term: SubscriptionTerm | None
    department: Department | None
    errors: list[FieldError]


@strawberry.input
class FeeTierInput:
    min_sworn_officers: int
    max_sworn_officers: int | None = None
    annual_fee_cents: int


@strawberry.type
class FeeTiersPayload:
    tiers: list[FeeTier]
    errors: list[FieldError]


@strawberry.input(description="A department asking about joining the network.")
class JoinInquiryInput:
    agency: str
    contact_name: str
    contact_role: str = strawberry.field(description="e.g. Chief, Sheriff, Wellness coordinator.")
    email: str
    phone: str | None = None
    message: str


@strawberry.input(description="A request for a demonstration of the network.")
class DemoRequestInput:
    agency: str
    contact_name: str
    contact_role: str
    email: str
    phone: str | None = None
    format: DemoFormat
    preferred_times: str = strawberry.field(description="When suits you, in your own words.")


@strawberry.type(description="Acknowledgment of a contact: a reference to quote, nothing more.")
class ContactReceipt:
    reference: strawberry.ID | None
    errors: list[FieldError]


@strawberry.type
class DepartmentContactPayload:
    contact: DepartmentContact | None
    errors: list[FieldError]


def _fields(source: DepartmentInput | DepartmentChanges) -> rules.DepartmentFields:
    return rules.DepartmentFields(
        name=source.name,
        ori=source.ori,
        county=source.county,
        state=source.state,
        sworn_officers=source.sworn_officers,
        civilians_enrolled=source.civilians_enrolled,
        status=source.status.value if source.status else None,
        joined_on=source.joined_on,
    )


async def _received(
    info: Info[Any, Any],
    kind: str,
    contact: rules.ContactIn,
    create: Callable[[Connection], Awaitable[str]],
) -> ContactReceipt:
    """Store a contact and queue its acknowledgement in one transaction: both or neither."""
    async with context_of(info).pool.acquire() as connection, connection.transaction():
        reference = await create(connection)
        await mail.contact_received(
            db=connection,
            settings=mail.settings_of(info),
            kind=kind,
            agency=contact.agency,
            email=contact.email,
            reference=reference,
        )
    return ContactReceipt(reference=strawberry.ID(reference), errors=[])


async def _ori_taken(
    info: Info[Any, Any], given: rules.DepartmentFields, errors: InputErrors, own: UUID | None
) -> None:
    ori = rules.checked_ori(given, errors)
    if ori is not None:
        other = await store.get_by_ori(db=context_of(info).pool, ori=ori)
        if other is not None and other.id != own:
            errors.add("input.ori", f"{ori} already belongs to {other.name}.")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a department: network admins only.")
    async def create_department(
        self, info: Info[Any, Any], input: DepartmentInput
    ) -> DepartmentPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        given = _fields(input)
        department_in = rules.check_department(given, errors, today=context(info).loaders.today)
        await _ori_taken(info, given, errors, None)
        if department_in is None or errors:
            return DepartmentPayload(department=None, errors=errors.items)
        try:
            row = await store.create_department(
                db=context_of(info).pool, department_in=department_in
            )
        except asyncpg.UniqueViolationError:
            errors.add("input.ori", "This ORI was just registered by someone else.")
            return DepartmentPayload(department=None, errors=errors.items)
        return DepartmentPayload(department=Department.from_row(row), errors=[])

    @strawberry.mutation(description="Change a department: network admins only.")
    async def update_department(
        self, info: Info[Any, Any], id: strawberry.ID, input: DepartmentChanges
    ) -> DepartmentPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        department_id = parse_id(id)
        departments = context(info).loaders.departments
        current = await departments.load(department_id) if department_id else None
        if department_id is None or current is None:
            errors.unknown("id", "department")
            return DepartmentPayload(department=None, errors=errors.items)
        given = _fields(input).over(current)
        department_in = rules.check_department(given, errors, today=context(info).loaders.today)
        await _ori_taken(info, given, errors, department_id)
        if department_in is None or errors:
            return DepartmentPayload(department=None, errors=errors.items)
        try:
            row = await store.update_department(
                db=context_of(info).pool, department_id=department_id, department_in=department_in
            )
        except asyncpg.UniqueViolationError:
            errors.add("input.ori", "This ORI was just registered by someone else.")
            return DepartmentPayload(department=None, errors=errors.items)
        if row is None:
            errors.unknown("id", "department")
            return DepartmentPayload(department=None, errors=errors.items)
        return DepartmentPayload(department=Department.from_row(row), errors=[])

    @strawberry.mutation(
        description="Let the department's civilian staff sign in, or stop them: network admins, "
        "and coordinators for their own department."
    )
    async def set_civilian_access(
        self, info: Info[Any, Any], department_id: strawberry.ID, enrolled: bool
    ) -> DepartmentPayload:
        principal = require_role(info, "network_admin", "coordinator")
        errors = InputErrors()
        parsed = parse_id(department_id)
        if parsed is not None and not rules.may_read_record(principal, parsed):
            raise Forbidden("Coordinators change civilian access for their own department only.")
        current = await context(info).loaders.departments.load(parsed) if parsed else None
        if parsed is None or current is None:
            errors.unknown("departmentId", "department")
            return DepartmentPayload(department=None, errors=errors.items)
        department_in = rules.check_department(
            rules.DepartmentFields(civilians_enrolled=enrolled).over(current),
            errors,
            today=context(info).loaders.today,
        )
        if department_in is None:
            return DepartmentPayload(department=None, errors=errors.items)
        row = await store.update_department(
            db=context_of(info).pool, department_id=parsed, department_in=department_in
        )
        if row is None:
            errors.unknown("departmentId", "department")
            return DepartmentPayload(department=None, errors=errors.items)
        return DepartmentPayload(department=Department.from_row(row), errors=[])

    @strawberry.mutation(
        description="Record the department's next term: its first (three years, or one or two "
        "with `shorterTermReason`) or a renewal (one year, by default from the previous term's "
        "end). Makes a prospect an active member. A consortium's members take its terms "
        "(`recordConsortiumTerm`)."
    )
    async def record_subscription_term(
        self,
        info: Info[Any, Any],
        department_id: strawberry.ID,
        starts_on: dt.date | None = None,
        first_term_years: int | None = None,
        shorter_term_reason: str | None = None,
    ) -> SubscriptionTermPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        parsed = parse_id(department_id)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            department = (
                await store.lock_department(connection=connection, department_id=parsed)
                if parsed
                else None
            )
            if parsed is None or department is None:
                errors.unknown("departmentId", "department")
                return SubscriptionTermPayload(term=None, department=None, errors=errors.items)
            consortium = await store.consortium_of(db=connection, department_id=parsed)
            if consortium is not None:
                errors.add(
                    "departmentId",
                    f"This department is part of {consortium.name}; record the consortium's "
                    "term instead.",
                )
                return SubscriptionTermPayload(term=None, department=None, errors=errors.items)
            latest = await store.latest_term(connection=connection, department_id=parsed)
            planned = rules.next_term(
                latest,
                starts_on,
                errors,
                today=context(info).loaders.today,
                first_term_years=first_term_years,
                shorter_term_reason=shorter_term_reason,
            )
            fee = await store.fee_for(db=connection, sworn_officers=department.sworn_officers)
            if fee is None:
                errors.add(
                    "departmentId",
                    "No fee tier covers this department's size; set the fee tiers first.",
                )
            if planned is None or fee is None:
                return SubscriptionTermPayload(term=None, department=None, errors=errors.items)
            term = await store.record_term(
                connection=connection,
                term_in=store.TermIn(
                    department_id=parsed,
                    consortium_id=None,
                    kind=planned.kind,
                    years=planned.years,
                    starts_on=planned.starts_on,
                    annual_fee_cents=fee,
                    shorter_term_reason=planned.shorter_term_reason,
                ),
            )
            await store.activate(
                connection=connection, department_ids=[parsed], joined_on=planned.starts_on
            )
        refreshed = (await store.get_departments(db=context_of(info).pool, ids=[parsed])).get(
            parsed
        )
        return SubscriptionTermPayload(
            term=SubscriptionTerm.from_row(term),
            department=Department.from_row(refreshed) if refreshed else None,
            errors=[],
        )

    @strawberry.mutation(description="Replace the fee tiers: network admins only.")
    async def set_fee_tiers(
        self, info: Info[Any, Any], tiers: list[FeeTierInput]
    ) -> FeeTiersPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        rows = [
            store.FeeTierRow(
                min_sworn=tier.min_sworn_officers,
                max_sworn=tier.max_sworn_officers,
                annual_fee_cents=tier.annual_fee_cents,
            )
            for tier in tiers
        ]
        rules.check_fee_tiers(rows, errors)
        if errors:
            return FeeTiersPayload(tiers=[], errors=errors.items)
        saved = await store.replace_fee_tiers(db=context_of(info).pool, tiers=rows)
        return FeeTiersPayload(tiers=[FeeTier.from_row(row) for row in saved], errors=[])

    @strawberry.mutation(description="Ask about joining the network. No sign-in needed.")
    async def submit_join_inquiry(
        self, info: Info[Any, Any], input: JoinInquiryInput, proof_of_work: ProofOfWork = None
    ) -> ContactReceipt:
        errors = InputErrors()
        inquiry_in = rules.check_inquiry(input, errors)
        if inquiry_in is None:
            # a form with mistakes spends nothing: the same solution goes with the corrections
            return ContactReceipt(reference=None, errors=errors.items)
        await context(info).resources.forms.join_inquiries.admit(proof_of_work)
        return await _received(
            info,
            "inquiry",
            inquiry_in.contact,
            lambda connection: store.create_inquiry(db=connection, inquiry_in=inquiry_in),
        )

    @strawberry.mutation(description="Request a demo, virtual or in person. No sign-in needed.")
    async def request_demo(
        self, info: Info[Any, Any], input: DemoRequestInput, proof_of_work: ProofOfWork = None
    ) -> ContactReceipt:
        errors = InputErrors()
        demo_in = rules.check_demo_request(input, errors, demo_format=input.format.value)
        if demo_in is None:
            return ContactReceipt(reference=None, errors=errors.items)
        await context(info).resources.forms.demo_requests.admit(proof_of_work)
        return await _received(
            info,
            "demo",
            demo_in.contact,
            lambda connection: store.create_demo_request(db=connection, demo_in=demo_in),
        )

    @strawberry.mutation(description="Mark an inquiry or demo request handled (or open again).")
    async def mark_department_contact_handled(
        self, info: Info[Any, Any], id: strawberry.ID, handled: bool = True
    ) -> DepartmentContactPayload:
        require_role(info, "network_admin")
        pool = context_of(info).pool
        row, errors = await change_by_id(
            id,
            lambda contact_id: store.mark_contact_handled(
                db=pool, contact_id=contact_id, handled=handled
            ),
            thing="contact",
        )
        return DepartmentContactPayload(
            contact=DepartmentContact.from_row(row) if row else None, errors=errors
        )
