"""Directory mutations: supporters edit their own profile and switch; coordinators and
network admins deactivate and reactivate. Every mutation validates all input first and
writes nothing when any field is wrong."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit.graphql import (
    FieldError,
    Forbidden,
    InputErrors,
    context_of,
    no_such,
    parse_id,
    require_role,
)
from servicekit.vocabulary import Gender

from . import rules, store
from .availability import Weekday, to_the_hour
from .rules import may_manage
from .schema import PeerSupporter, context
from .vocabulary import AreaOfSupport


@strawberry.input(description="One weekly time slot, in the supporter's own time zone.")
class ScheduleSlotInput:
    day: Weekday
    start: str = strawberry.field(description="`HH:MM`, 24-hour clock.")
    end: str = strawberry.field(
        description="`HH:MM`; `24:00` for midnight; before `start` for a night shift, which "
        "ends the next day (Sunday's on Monday)."
    )


@strawberry.input(description="Your peer-supporter profile.")
class PeerSupporterProfileInput:
    display_name: str = strawberry.field(description="How you want to be called.")
    phone: str
    accepts_texts: bool = False
    languages: list[str] = strawberry.field(description="ISO 639 codes, e.g. en, es.")
    areas_of_support: list[AreaOfSupport]
    zip_code: str = strawberry.field(description="The ZIP code where you work.")
    time_zone: str | None = strawberry.field(
        default=None, description="IANA name; taken from the ZIP code when left out."
    )
    weekly_schedule: list[ScheduleSlotInput] = strawberry.field(default_factory=list)
    years_of_service: int | None = None
    certifications: list[str] = strawberry.field(default_factory=list)
    bio: str = ""
    gender: Gender | None = strawberry.field(default=None, description="Only if you wish.")


@strawberry.input(description="Changes to your profile; omitted fields stay as they are.")
class PeerSupporterProfileChanges:
    display_name: str | None = None
    phone: str | None = None
    accepts_texts: bool | None = None
    languages: list[str] | None = None
    areas_of_support: list[AreaOfSupport] | None = None
    zip_code: str | None = None
    time_zone: str | None = None
    weekly_schedule: list[ScheduleSlotInput] | None = None
    years_of_service: int | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )
    certifications: list[str] | None = None
    bio: str | None = None
    gender: Gender | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )


@strawberry.enum
class AvailabilitySwitch(Enum):
    AVAILABLE_NOW = "available_now"
    UNAVAILABLE = "unavailable"
    FOLLOW_SCHEDULE = "follow_schedule"


@strawberry.input(description="Your manual switch; it overrides your schedule until `until`.")
class AvailabilityInput:
    switch: AvailabilitySwitch
    until: dt.datetime | None = strawberry.field(
        default=None,
        description="AVAILABLE_NOW: at most 24 hours ahead (four hours when left out). "
        "UNAVAILABLE: required, within 180 days.",
    )


@strawberry.type
class PeerSupporterPayload:
    supporter: PeerSupporter | None
    errors: list[FieldError]


# input fields named otherwise than the rules' fields
_RENAMED = {"areas_of_support": "areas"}


def entered(source: object) -> dict[str, Any]:
    """An input's fields by the rules' names: left-out ones absent, an explicit null None,
    enums as their values, schedule slots as (day, start, end)."""
    entered: dict[str, Any] = {}
    for item in dataclasses.fields(source):  # type: ignore[arg-type]
        value = getattr(source, item.name)
        if value is not strawberry.UNSET:
            entered[_RENAMED.get(item.name, item.name)] = _plain(value)
    return entered


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, ScheduleSlotInput):
        return (value.day, value.start, value.end)
    if isinstance(value, Enum):
        return value.value
    return value


def _failed(errors: InputErrors) -> PeerSupporterPayload:
    return PeerSupporterPayload(supporter=None, errors=errors.items)


def _no_profile() -> PeerSupporterPayload:
    return PeerSupporterPayload(
        supporter=None,
        errors=[FieldError(field="input", message="You have no profile yet; create it first.")],
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create your own profile: peer supporters only.")
    async def create_my_peer_supporter_profile(
        self, info: Info[Any, Any], input: PeerSupporterProfileInput
    ) -> PeerSupporterPayload:
        principal = require_role(info, "peer_supporter")
        department = parse_id(principal.department_id)
        if department is None:
            raise Forbidden("Your sign-in names no department.")
        errors = InputErrors()
        profile_in = rules.check_profile(entered(input), errors)
        if profile_in is None:
            return _failed(errors)
        try:
            row = await store.create_supporter(
                db=context_of(info).pool,
                owner_subject=principal.subject,
                department_id=department,
                profile_in=profile_in,
            )
        except asyncpg.UniqueViolationError:
            errors.add("input", "You have a profile already; edit it instead.")
            return _failed(errors)
        return PeerSupporterPayload(
            supporter=PeerSupporter.from_row(row, context(info).loaders.now), errors=[]
        )

    @strawberry.mutation(description="Edit your own profile; the change shows at once.")
    async def update_my_peer_supporter_profile(
        self, info: Info[Any, Any], input: PeerSupporterProfileChanges
    ) -> PeerSupporterPayload:
        principal = require_role(info, "peer_supporter")
        pool = context_of(info).pool
        current = await store.get_by_owner(db=pool, owner_subject=principal.subject)
        if current is None:
            return _no_profile()
        errors = InputErrors()
        profile_in = rules.check_profile(entered(input), errors, current=current)
        if profile_in is None:
            return _failed(errors)
        row = await store.update_supporter(db=pool, supporter_id=current.id, profile_in=profile_in)
        if row is None:
            return _no_profile()
        return PeerSupporterPayload(
            supporter=PeerSupporter.from_row(row, context(info).loaders.now), errors=[]
        )

    @strawberry.mutation(description="Switch yourself available now, unavailable, or back.")
    async def set_my_availability(
        self, info: Info[Any, Any], input: AvailabilityInput
    ) -> PeerSupporterPayload:
        principal = require_role(info, "peer_supporter")
        pool = context_of(info).pool
        current = await store.get_by_owner(db=pool, owner_subject=principal.subject)
        if current is None:
            return _no_profile()
        errors = InputErrors()
        now = context(info).loaders.now
        available_until = unavailable_until = None
        if input.switch is AvailabilitySwitch.AVAILABLE_NOW:
            available_until = rules.available_until(input.until, now, errors)
        elif input.switch is AvailabilitySwitch.UNAVAILABLE:
            unavailable_until = rules.unavailable_until(input.until, now, errors)
        elif input.until is not None:
            errors.add("input.until", "Following your schedule needs no end time.")
        if errors:
            return _failed(errors)
        row = await store.set_availability(
            db=pool,
            supporter_id=current.id,
            # to the hour: the database never keeps the moment of the click
            available_until=to_the_hour(available_until) if available_until else None,
            unavailable_until=to_the_hour(unavailable_until) if unavailable_until else None,
        )
        if row is None:
            return _no_profile()
        return PeerSupporterPayload(
            supporter=PeerSupporter.from_row(row, context(info).loaders.now), errors=[]
        )

    @strawberry.mutation(
        description="Hide a supporter from search: their department's coordinators or "
        "network admins."
    )
    async def deactivate_peer_supporter(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> PeerSupporterPayload:
        return await _set_active(info, id, active=False)

    @strawberry.mutation(description="Show a deactivated supporter in search again.")
    async def reactivate_peer_supporter(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> PeerSupporterPayload:
        return await _set_active(info, id, active=True)


async def _set_active(
    info: Info[Any, Any], id: strawberry.ID, *, active: bool
) -> PeerSupporterPayload:
    principal = require_role(info, "coordinator", "network_admin")
    supporter_id = parse_id(id)
    current = await context(info).loaders.supporters.load(supporter_id) if supporter_id else None
    if supporter_id is None or current is None:
        return PeerSupporterPayload(
            supporter=None,
            errors=[FieldError(field="id", message=no_such("peer supporter"))],
        )
    if not may_manage(principal, current.department_id):
        raise Forbidden("Coordinators manage their own department's supporters only.")
    row = await store.set_active(db=context_of(info).pool, supporter_id=supporter_id, active=active)
    assert row is not None
    return PeerSupporterPayload(
        supporter=PeerSupporter.from_row(row, context(info).loaders.now), errors=[]
    )
