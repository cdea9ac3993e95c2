"""Consortia: small departments under one agreement, whose one term applies to every member
(network admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit import validation
from servicekit.graphql import FieldError, InputErrors, context_of, parse_id, require_role

from . import rules, store
from .schema import Consortium, SubscriptionTerm, context

MOST_MEMBERS = 50


@strawberry.input(description="A consortium and its member departments (two or more).")
class ConsortiumInput:
    name: str
    department_ids: list[strawberry.ID]


@strawberry.type
class ConsortiumPayload:
    consortium: Consortium | None
    errors: list[FieldError]


@strawberry.type
class ConsortiumTermPayload:
    term: SubscriptionTerm | None
    consortium: Consortium | None
    errors: list[FieldError]


@strawberry.type
class ConsortiumQueries:
    @strawberry.field(description="Every consortium, by name: network admins only.")
    async def consortia(self, info: Info[Any, Any]) -> list[Consortium] | None:
        require_role(info, "network_admin")
        return [
            Consortium.from_row(row) for row in await store.list_consortia(db=context_of(info).pool)
        ]


def _member_ids(given: list[strawberry.ID], errors: InputErrors) -> list[UUID]:
    ids: list[UUID] = []
    for index, value in enumerate(given):
        parsed = parse_id(value)
        if parsed is None:
            errors.unknown(f"input.departmentIds.{index}", "department")
        elif parsed in ids:
            errors.add(f"input.departmentIds.{index}", "This department is listed twice.")
        else:
            ids.append(parsed)
    if len(given) < 2:
        errors.add("input.departmentIds", "A consortium has two or more member departments.")
    elif len(given) > MOST_MEMBERS:
        errors.add("input.departmentIds", f"A consortium has at most {MOST_MEMBERS} members.")
    return ids


@strawberry.type
class ConsortiumMutations:
    @strawberry.mutation(
        description="Bring departments under one agreement: network admins only. A member "
        "belongs to no other consortium and has no term of its own."
    )
    async def create_consortium(
        self, info: Info[Any, Any], input: ConsortiumInput
    ) -> ConsortiumPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        name = validation.line(input.name, "input.name", errors, max_length=200)
        ids = _member_ids(input.department_ids, errors)
        if not ids:
            return ConsortiumPayload(consortium=None, errors=errors.items)
        # every mistake told at once: what the listed departments are is checked too
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            # locked as recordSubscriptionTerm locks them: a term and a membership never cross
            found = {
                row.id: row
                for row in await store.lock_departments(connection=connection, department_ids=ids)
            }
            own_terms = await store.with_own_terms(db=connection, department_ids=ids)
            for index, value in enumerate(input.department_ids):
                parsed = parse_id(value)
                field = f"input.departmentIds.{index}"
                if parsed is None or errors.has(field):
                    continue
                department = found.get(parsed)
                if department is None:
                    errors.unknown(field, "department")
                    continue
                other = await store.consortium_of(db=connection, department_id=parsed)
                if other is not None:
                    errors.add(field, f"{department.name} is already part of {other.name}.")
                elif parsed in own_terms:
                    errors.add(
                        field,
                        f"{department.name} has terms of its own; a consortium's members "
                        "take the consortium's terms from the first.",
                    )
            if errors or name is None:
                return ConsortiumPayload(consortium=None, errors=errors.items)
            try:
                row = await store.create_consortium(
                    connection=connection, name=name, department_ids=ids
                )
            except asyncpg.UniqueViolationError:
                errors.add("input.name", "Another consortium has this name.")
                return ConsortiumPayload(consortium=None, errors=errors.items)
        return ConsortiumPayload(consortium=Consortium.from_row(row), errors=[])

    @strawberry.mutation(
        description="Record a consortium's next term, which applies to every member: its first "
        "(three years, or one or two with `shorterTermReason`) or a one-year renewal. The fee is "
        "the sum of the members' quotes. Makes prospect members active. Network admins only."
    )
    async def record_consortium_term(
        self,
        info: Info[Any, Any],
        consortium_id: strawberry.ID,
        starts_on: dt.date | None = None,
        first_term_years: int | None = None,
        shorter_term_reason: str | None = None,
    ) -> ConsortiumTermPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        parsed = parse_id(consortium_id)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            consortium = (
                await store.lock_consortium(connection=connection, consortium_id=parsed)
                if parsed
                else None
            )
            if parsed is None or consortium is None:
                errors.unknown("consortiumId", "consortium")
                return ConsortiumTermPayload(term=None, consortium=None, errors=errors.items)
            latest = await store.latest_term(connection=connection, consortium_id=parsed)
            planned = rules.next_term(
                latest,
                starts_on,
                errors,
                today=context(info).loaders.today,
                first_term_years=first_term_years,
                shorter_term_reason=shorter_term_reason,
            )
            members = await store.consortium_members(db=connection, consortium_id=parsed)
            total = 0
            for member in members:
                fee = await store.fee_for(db=connection, sworn_officers=member.sworn_officers)
                if fee is None:
                    errors.add(
                        "consortiumId",
                        f"No fee tier covers {member.name}'s size; set the fee tiers first.",
                    )
                    break
                total += fee
            if planned is None or errors:
                return ConsortiumTermPayload(term=None, consortium=None, errors=errors.items)
            term = await store.record_term(
                connection=connection,
                term_in=store.TermIn(
                    department_id=None,
                    consortium_id=parsed,
                    kind=planned.kind,
                    years=planned.years,
                    starts_on=planned.starts_on,
                    annual_fee_cents=total,
                    shorter_term_reason=planned.shorter_term_reason,
                ),
            )
            await store.activate(
                connection=connection,
                department_ids=[member.id for member in members],
                joined_on=planned.starts_on,
            )
        return ConsortiumTermPayload(
            term=SubscriptionTerm.from_row(term),
            consortium=Consortium.from_row(consortium),
            errors=[],
        )
