"""Well-being resources: a curated list for every signed-in user, crisis lines first, that
network admins add to, change and retire; and each department's own lines (its employee
assistance programme, chaplain, peer-team lead, family support), which its coordinators keep
and only its own people see, marked as the department's. The input check is
``rules.check_resource``, with the directory's other validators; the SQL is in
``resource_store``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit.by_id import change_by_id
from servicekit.graphql import (
    FieldError,
    Forbidden,
    InputErrors,
    context_of,
    parse_id,
    require_principal,
    require_role,
)
from servicekit.tokens import Principal

from . import resource_store, rules
from .mutations import entered
from .schema import Department
from .vocabulary import ResourceAudience, ResourceCategory

# a department's own list is short: its EAP, chaplains, peer-team lead, family support
MAX_DEPARTMENT_RESOURCES = 50

# -- types --------------------------------------------------------------------------------


@strawberry.type(description="A curated well-being resource.")
class WellbeingResource:
    id: strawberry.ID
    row: strawberry.Private[resource_store.ResourceRow]

    @classmethod
    def from_row(cls, row: resource_store.ResourceRow) -> WellbeingResource:
        return cls(id=strawberry.ID(str(row.id)), row=row)

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def url(self) -> str | None:
        return self.row.url

    @strawberry.field(description="A number to call: E.164, or a short code such as 988.")
    def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field(description="A number to text: E.164, or a short code such as 741741.")
    def text_number(self) -> str | None:
        return self.row.text_number

    @strawberry.field(description="Digits to press once the call connects (988, then 1).")
    def then_dial(self) -> str | None:
        return self.row.then_dial

    @strawberry.field(description="The word a text starts with (HOME to 741741).")
    def text_keyword(self) -> str | None:
        return self.row.text_keyword

    @strawberry.field(description="A `tel:` link; a comma pauses before the digits to press.")
    def tel_link(self) -> str | None:
        if not self.row.phone:
            return None
        then = f",{self.row.then_dial}" if self.row.then_dial else ""
        return f"tel:{self.row.phone}{then}"

    @strawberry.field(description="An `sms:` link, the keyword already written when there is one.")
    def sms_link(self) -> str | None:
        if not self.row.text_number:
            return None
        # `?&body=` is read by both iOS and Android messaging apps
        body = f"?&body={self.row.text_keyword}" if self.row.text_keyword else ""
        return f"sms:{self.row.text_number}{body}"

    @strawberry.field
    def category(self) -> ResourceCategory:
        return ResourceCategory(self.row.category)

    @strawberry.field
    def audience(self) -> ResourceAudience:
        return ResourceAudience(self.row.audience)

    @strawberry.field(description="Lower comes first, after the crisis lines.")
    def position(self) -> int:
        return self.row.position

    @strawberry.field
    def retired(self) -> bool:
        return self.row.retired

    @strawberry.field(
        description="The department whose own resource this is (shown only to its people); "
        "null for the network's."
    )
    def department(self) -> Department | None:
        if self.row.department_id is None:
            return None
        return Department(id=strawberry.ID(str(self.row.department_id)))


@strawberry.input
class WellbeingResourceInput:
    title: str
    description: str
    url: str | None = None
    phone: str | None = None
    text_number: str | None = None
    category: ResourceCategory
    audience: ResourceAudience = ResourceAudience.EVERYONE
    position: int = 100
    then_dial: str | None = strawberry.field(
        default=None, description="Digits to press once the call connects, e.g. 1."
    )
    text_keyword: str | None = strawberry.field(
        default=None, description="The word a text starts with, e.g. HOME."
    )


@strawberry.input(description="Changes to a resource; omitted fields stay as they are.")
class WellbeingResourceChanges:
    title: str | None = None
    description: str | None = None
    url: str | None = strawberry.field(default=strawberry.UNSET, description="null removes it.")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="null removes it.")
    text_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )
    category: ResourceCategory | None = None
    audience: ResourceAudience | None = None
    position: int | None = None
    then_dial: str | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )
    text_keyword: str | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )


@strawberry.type
class WellbeingResourcePayload:
    resource: WellbeingResource | None
    errors: list[FieldError]


# -- queries ------------------------------------------------------------------------------


@strawberry.type
class ResourceQueries:
    @strawberry.field(
        description="Curated well-being resources for signed-in users, crisis lines first: "
        "the network's, and your own department's (its `department` set). Retired ones are "
        "listed only for network admins who ask."
    )
    async def wellbeing_resources(
        self,
        info: Info[Any, Any],
        category: ResourceCategory | None = None,
        audience: ResourceAudience | None = None,
        include_retired: bool = False,
    ) -> list[WellbeingResource] | None:
        principal = require_principal(info)
        if include_retired and not principal.has_role("network_admin"):
            raise Forbidden("Only network admins see retired resources.")
        rows = await resource_store.list_resources(
            db=context_of(info).pool,
            category=category.value if category else None,
            audience=audience.value if audience else None,
            include_retired=include_retired,
            department_id=parse_id(principal.department_id),
        )
        return [WellbeingResource.from_row(row) for row in rows]

    @strawberry.field(
        description="Your department's own resources, retired ones included: coordinators."
    )
    async def department_wellbeing_resources(
        self, info: Info[Any, Any]
    ) -> list[WellbeingResource] | None:
        department = _own_department(require_role(info, "coordinator"))
        rows = await resource_store.list_department_resources(
            db=context_of(info).pool, department_id=department
        )
        return [WellbeingResource.from_row(row) for row in rows]


def _own_department(principal: Principal) -> UUID:
    department = parse_id(principal.department_id)
    if department is None:
        raise Forbidden("Your sign-in names no department.")
    return department


# -- mutations ----------------------------------------------------------------------------


@strawberry.type
class ResourceMutations:
    @strawberry.mutation(description="Add a resource: network admins only.")
    async def create_wellbeing_resource(
        self, info: Info[Any, Any], input: WellbeingResourceInput
    ) -> WellbeingResourcePayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        resource_in = rules.check_resource(entered(input), errors)
        if resource_in is None:
            return WellbeingResourcePayload(resource=None, errors=errors.items)
        row = await resource_store.create_resource(
            db=context_of(info).pool, resource_in=resource_in
        )
        return WellbeingResourcePayload(resource=WellbeingResource.from_row(row), errors=[])

    @strawberry.mutation(description="Change one of the network's resources: network admins only.")
    async def update_wellbeing_resource(
        self, info: Info[Any, Any], id: strawberry.ID, input: WellbeingResourceChanges
    ) -> WellbeingResourcePayload:
        require_role(info, "network_admin")
        return await _update(info, id, input, department=None)

    @strawberry.mutation(
        description="Retire one of the network's resources (hidden from readers), or bring "
        "it back: network admins."
    )
    async def retire_wellbeing_resource(
        self, info: Info[Any, Any], id: strawberry.ID, retired: bool = True
    ) -> WellbeingResourcePayload:
        require_role(info, "network_admin")
        return await _retire(info, id, retired, department=None)

    @strawberry.mutation(
        description="Add one of your department's own resources (its EAP, a chaplain, the "
        "peer-team lead, family support), shown only to its people: coordinators."
    )
    async def create_department_resource(
        self, info: Info[Any, Any], input: WellbeingResourceInput
    ) -> WellbeingResourcePayload:
        department = _own_department(require_role(info, "coordinator"))
        pool = context_of(info).pool
        errors = InputErrors()
        resource_in = rules.check_resource(entered(input), errors)
        if resource_in is None:
            return WellbeingResourcePayload(resource=None, errors=errors.items)
        async with pool.acquire() as connection, connection.transaction():
            # one department at a time, so two additions at once cannot pass the limit
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 9))", str(department)
            )
            held = await resource_store.count_department_resources(
                db=connection, department_id=department
            )
            if held >= MAX_DEPARTMENT_RESOURCES:
                errors.add(
                    "input",
                    f"Your department has {MAX_DEPARTMENT_RESOURCES} resources already: "
                    "change or retire one instead.",
                )
                return WellbeingResourcePayload(resource=None, errors=errors.items)
            row = await resource_store.create_resource(
                db=connection, resource_in=resource_in, department_id=department
            )
        return WellbeingResourcePayload(resource=WellbeingResource.from_row(row), errors=[])

    @strawberry.mutation(description="Change one of your department's resources: coordinators.")
    async def update_department_resource(
        self, info: Info[Any, Any], id: strawberry.ID, input: WellbeingResourceChanges
    ) -> WellbeingResourcePayload:
        department = _own_department(require_role(info, "coordinator"))
        return await _update(info, id, input, department=department)

    @strawberry.mutation(
        description="Retire one of your department's resources, or bring it back: coordinators."
    )
    async def retire_department_resource(
        self, info: Info[Any, Any], id: strawberry.ID, retired: bool = True
    ) -> WellbeingResourcePayload:
        department = _own_department(require_role(info, "coordinator"))
        return await _retire(info, id, retired, department=department)


async def _update(
    info: Info[Any, Any],
    id: strawberry.ID,
    input: WellbeingResourceChanges,
    *,
    department: UUID | None,
) -> WellbeingResourcePayload:
    """Change a resource of ``department`` (None: the network's); any other id is unknown."""
    pool = context_of(info).pool
    errors = InputErrors()
    resource_id = parse_id(id)
    current = (
        await resource_store.get_resource(
            db=pool, resource_id=resource_id, department_id=department
        )
        if resource_id
        else None
    )
    if resource_id is None or current is None:
        errors.unknown("id", "resource")
        return WellbeingResourcePayload(resource=None, errors=errors.items)
    resource_in = rules.check_resource(entered(input), errors, current=current)
    if resource_in is None:
        return WellbeingResourcePayload(resource=None, errors=errors.items)
    row = await resource_store.update_resource(
        db=pool, resource_id=resource_id, resource_in=resource_in, department_id=department
    )
    if row is None:
        errors.unknown("id", "resource")
        return WellbeingResourcePayload(resource=None, errors=errors.items)
    return WellbeingResourcePayload(resource=WellbeingResource.from_row(row), errors=[])


async def _retire(
    info: Info[Any, Any], id: strawberry.ID, retired: bool, *, department: UUID | None
) -> WellbeingResourcePayload:
    pool = context_of(info).pool
    row, errors = await change_by_id(
        id,
        lambda resource_id: resource_store.set_resource_retired(
            db=pool, resource_id=resource_id, retired=retired, department_id=department
        ),
        thing="resource",
    )
    return WellbeingResourcePayload(
        resource=WellbeingResource.from_row(row) if row else None, errors=errors
    )
