"""Coordinators (for their own department) and network admins (for any organisation) issue
one-time enrolment codes, see and revoke passkeys, and choose how long a passkey added
after a department sign-in lasts.

A code is shown once, in the answer that issues it; only its keyed hash is kept. So is its
label (a badge number, say, which names a person): shown in that answer, then kept only as
a keyed digest, which is all revoking or withdrawing by label needs. Lists show roles,
dates and a short handle, never a label.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.database import Executor
from servicekit.graphql import FieldError, InputErrors, require_role

from .. import rules, store
from ..mutations import department_standing
from ..schema import Role, context
from . import credentials
from . import store as passkey_store
from .validity import to_column

DEFAULT_CODE_DAYS = 14
PASSKEY_SESSION_ISSUES_NO_CODES = (
    "Codes are issued after signing in with your organization's sign-in, not with a passkey: "
    "a passkey stands in for that sign-in for a while only, and cannot vouch for new "
    "passkeys that would outlast it. Sign out, then sign in with your organization's "
    "sign-in to issue codes."
)


# characters of an id shown as its handle: enough to tell a department's codes or passkeys
# apart, and the same prefix "My passkeys" shows its holder
HANDLE_CHARACTERS = 12


@strawberry.type(
    description="A one-time enrollment code not used yet. The code itself is gone, and so is "
    "its label: only a digest of it is kept."
)
class EnrollmentCode:
    id: strawberry.ID
    handle: str = strawberry.field(description="The start of its id, as printed at issue.")
    roles: list[Role]
    expires_on: dt.date = strawberry.field(description="The last day (UTC) it works.")


@strawberry.type(description="A newly issued code: shown this once, never again.")
class IssuedEnrollmentCode:
    code: str
    label: str | None = strawberry.field(description="Shown now; kept only as a digest.")
    handle: str = strawberry.field(description="How the list of unused codes names it.")
    roles: list[Role]
    expires_on: dt.date


@strawberry.type(description="A passkey the network holds. Whose it is, is not known here.")
class Passkey:
    id: strawberry.ID
    handle: str = strawberry.field(
        description="The start of its id, which its holder sees on My passkeys. The label "
        "is not kept: revoke by label with revokePasskeys."
    )
    roles: list[Role]
    valid_until: dt.date | None = strawberry.field(
        description="Its last day; null: until revoked (enrolled from a code in a department "
        "without a department sign-in)."
    )


@strawberry.input(description="A batch of codes: one per label, or `count` without labels.")
class EnrollmentCodesInput:
    department_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The department (or `network` for staff); default: your own department.",
    )
    roles: list[Role]
    labels: list[str] = strawberry.field(default_factory=list)
    count: int = 0
    valid_days: int = DEFAULT_CODE_DAYS


@strawberry.type
class EnrollmentCodesPayload:
    codes: list[IssuedEnrollmentCode]
    errors: list[FieldError]


@strawberry.input(description="Which passkeys to revoke: by label, by role, one, or everything.")
class PasskeyRevocationInput:
    department_id: strawberry.ID | None = None
    label: str | None = strawberry.field(
        default=None, description="The label its code carried, typed in any case or spacing."
    )
    role: Role | None = None
    passkey_id: strawberry.ID | None = None
    everything: bool = strawberry.field(
        default=False, description="Revoke every passkey of the department (then re-issue codes)."
    )


@strawberry.type
class RevocationPayload:
    revoked: int
    errors: list[FieldError]


@strawberry.type
class PasskeyPeriodPayload:
    days: int | None
    errors: list[FieldError]


def _organisation(info: Info[Any, Any], department_id: str | None) -> uuid.UUID:
    """The organisation asked about, when the signed-in person may manage it."""
    principal = require_role(info, "coordinator", "network_admin")
    return rules.managed_organisation(
        principal, department_id, context(info).resources.settings.network_id
    )


async def _check_standing(
    info: Info[Any, Any], organisation: uuid.UUID, roles: list[str], errors: InputErrors
) -> None:
    standing = await department_standing(info, organisation, errors, field="input.departmentId")
    if standing is None:
        return
    if not standing.active:
        errors.add("input.departmentId", "The department is not an active member.")
    elif "civilian" in roles and not standing.civilians_enrolled:
        errors.add("input.roles", "Civilian access is not enabled for this department.")


async def issue_codes(
    db: Executor,
    key: bytes,
    label_key: bytes,
    *,
    organisation: uuid.UUID,
    roles: list[str],
    labels: list[str | None],
    valid_days: int = DEFAULT_CODE_DAYS,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[list[tuple[uuid.UUID, str, str | None]], dt.date]:
    """New codes (one per label; None for no label) as (id, code, label), kept as keyed
    hashes of the code and of the label; shown once."""
    expires_on = clock.today() + dt.timedelta(days=valid_days)
    issued = [(uuid.uuid4(), credentials.new_code(), label) for label in labels]
    await passkey_store.add_enrollment_codes(
        db=db,
        codes=[
            (
                id_,
                credentials.code_digest(key, code),
                None if label is None else credentials.label_digest(label_key, organisation, label),
            )
            for id_, code, label in issued
        ],
        organisation_id=organisation,
        roles=roles,
        expires_on=expires_on,
    )
    return issued, expires_on


def _label_digest(info: Info[Any, Any], organisation: uuid.UUID, label: str) -> bytes:
    key = credentials.label_key(context(info).resources.settings.secrets_key.value)
    return credentials.label_digest(key, organisation, label)


def _code_handle(code_id: uuid.UUID) -> str:
    return code_id.hex[:HANDLE_CHARACTERS]


def _passkey(row: passkey_store.PasskeyRow) -> Passkey:
    credential = credentials.encode(row.credential_id)
    return Passkey(
        id=strawberry.ID(credential),
        handle=credential[:HANDLE_CHARACTERS],
        roles=[Role(role) for role in row.roles],
        valid_until=to_column(row.valid_until),
    )


@strawberry.type
class PasskeyQuery:
    @strawberry.field(description="Codes of a department not used yet: coordinators, admins.")
    async def enrollment_codes(
        self, info: Info[Any, Any], department_id: strawberry.ID | None = None
    ) -> list[EnrollmentCode] | None:
        organisation = _organisation(info, department_id)
        rows = await passkey_store.list_enrollment_codes(
            db=context(info).resources.pool,
            organisation_id=organisation,
            today=context(info).resources.clock.today(),
        )
        return [
            EnrollmentCode(
                id=strawberry.ID(str(row.id)),
                handle=_code_handle(row.id),
                roles=[Role(role) for role in row.roles],
                expires_on=row.expires_on,
            )
            for row in rows
        ]

    @strawberry.field(description="A department's passkeys: coordinators, network admins.")
    async def passkeys(
        self, info: Info[Any, Any], department_id: strawberry.ID | None = None
    ) -> list[Passkey] | None:
        organisation = _organisation(info, department_id)
        rows = await passkey_store.list_passkeys(
            db=context(info).resources.pool, organisation_id=organisation
        )
        return [_passkey(row) for row in rows]

    @strawberry.field(
        description="Days a passkey added after a department sign-in, or enrolled from a code, "
        "lasts (null: no department sign-in is configured)."
    )
    async def passkey_period_days(
        self, info: Info[Any, Any], department_id: strawberry.ID | None = None
    ) -> int | None:
        organisation = _organisation(info, department_id)
        provider = await store.get_provider(
            db=context(info).resources.pool, organisation_id=organisation
        )
        return provider.passkey_days if provider else None


@strawberry.type
class PasskeyMutation:
    @strawberry.mutation(description="Issue one-time enrollment codes, shown once in the answer.")
    async def issue_enrollment_codes(
        self, info: Info[Any, Any], input: EnrollmentCodesInput
    ) -> EnrollmentCodesPayload:
        organisation = _organisation(info, input.department_id)
        identity = context(info).resources
        errors = InputErrors()
        if require_role(info, "coordinator", "network_admin").passkey_limited:
            # a passkey with a last day stands in for the IdP for a time: a code it issued
            # would give its holder a passkey of a new period, again and again
            errors.add("input", PASSKEY_SESSION_ISSUES_NO_CODES)
            return EnrollmentCodesPayload(codes=[], errors=errors.items)
        for_network = organisation == identity.settings.network_id
        batch = rules.check_code_batch(
            labels=input.labels,
            count=input.count,
            valid_days=input.valid_days,
            roles=[role.value for role in input.roles],
            for_network=for_network,
            errors=errors,
        )
        if not for_network and input.roles and not errors.has("input.roles"):
            await _check_standing(info, organisation, [role.value for role in input.roles], errors)
        if batch is None or errors:
            return EnrollmentCodesPayload(codes=[], errors=errors.items)
        issued, expires_on = await issue_codes(
            identity.pool,
            identity.code_key,
            credentials.label_key(identity.settings.secrets_key.value),
            organisation=organisation,
            roles=list(batch.roles),
            labels=list(batch.labels),
            valid_days=batch.valid_days,
            clock=identity.clock,
        )
        return EnrollmentCodesPayload(
            codes=[
                IssuedEnrollmentCode(
                    code=code,
                    label=label,
                    handle=_code_handle(id_),
                    roles=[Role(role) for role in batch.roles],
                    expires_on=expires_on,
                )
                for id_, code, label in issued
            ],
            errors=[],
        )

    @strawberry.mutation(
        description="Withdraw codes not used yet: the given ones, those of a label, or all of "
        "them (neither ids nor a label)."
    )
    async def withdraw_enrollment_codes(
        self,
        info: Info[Any, Any],
        department_id: strawberry.ID | None = None,
        ids: list[strawberry.ID] | None = None,
        label: str | None = None,
    ) -> RevocationPayload:
        organisation = _organisation(info, department_id)
        errors = InputErrors()
        parsed: list[uuid.UUID] = []
        for value in ids or []:
            try:
                parsed.append(uuid.UUID(str(value)))
            except ValueError:
                errors.add("ids", f"{str(value)[:40]!r} is not a code's id.")
        if label is not None:
            rules.check_label(label, field="label", errors=errors)
            if ids is not None:
                errors.add("label", "Give code ids or a label, not both.")
        if errors:
            return RevocationPayload(revoked=0, errors=errors.items)
        withdrawn = await passkey_store.delete_enrollment_codes(
            db=context(info).resources.pool,
            organisation_id=organisation,
            ids=parsed if ids else None,
            label_digest=None if label is None else _label_digest(info, organisation, label),
        )
        return RevocationPayload(revoked=withdrawn, errors=[])

    @strawberry.mutation(description="Revoke passkeys by label, by role, one, or everything.")
    async def revoke_passkeys(
        self, info: Info[Any, Any], input: PasskeyRevocationInput
    ) -> RevocationPayload:
        organisation = _organisation(info, input.department_id)
        errors = InputErrors()
        revocation = rules.check_revocation(
            label=input.label,
            role=input.role.value if input.role is not None else None,
            passkey_id=str(input.passkey_id) if input.passkey_id is not None else None,
            everything=input.everything,
            errors=errors,
        )
        if revocation is None:
            return RevocationPayload(revoked=0, errors=errors.items)
        revoked = await passkey_store.delete_passkeys(
            db=context(info).resources.pool,
            organisation_id=organisation,
            label_digest=(
                None
                if revocation.label is None
                else _label_digest(info, organisation, revocation.label)
            ),
            role=revocation.role,
            credential_id=revocation.credential_id,
        )
        return RevocationPayload(revoked=revoked, errors=[])

    @strawberry.mutation(
        description="How long a passkey added after a department sign-in, or enrolled from a "
        "code, lasts (1-90 days)."
    )
    async def set_passkey_period(
        self, info: Info[Any, Any], days: int, department_id: strawberry.ID | None = None
    ) -> PasskeyPeriodPayload:
        organisation = _organisation(info, department_id)
        errors = InputErrors()
        if not 1 <= days <= 90:
            errors.add("days", "Choose 1 to 90 days.")
        elif not await passkey_store.set_passkey_days(
            db=context(info).resources.pool, organisation_id=organisation, days=days
        ):
            errors.add("departmentId", "This department has no department sign-in configured.")
        if errors:
            return PasskeyPeriodPayload(days=None, errors=errors.items)
        return PasskeyPeriodPayload(days=days, errors=[])
