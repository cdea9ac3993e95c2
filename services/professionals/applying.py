"""The public application: validated whole, documents checked by content, saved atomically,
idempotent by the form's client key. The applicant learns a reference and nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any, cast
from uuid import UUID

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit import references
from servicekit.graphql import FieldError, InputErrors, context_of
from servicekit.proof_of_work import FormChallenge, ProofOfWork

from . import application_store, notices, rules, status
from .application import Application
from .context import context
from .documents import (
    CHUNK_BYTES,
    CheckedDocument,
    DocumentProblem,
    UploadedFile,
    check,
    safe_filename,
)
from .inputs import DocumentUpload, ProfessionalApplicationInput
from .vocabulary import REQUIRED_DOCUMENTS, DocumentKind


@strawberry.type(description="Acknowledgment of an application: a reference to quote.")
class ApplicationReceipt:
    reference: str | None = strawberry.field(description="e.g. PRO-7KQ3-M9XW.")
    errors: list[FieldError]
    status_secret: str | None = strawberry.field(
        default=None,
        description="With the reference, lets the applicant check the status "
        "(applicationStatus). Shown once: only a digest is kept.",
    )


def new_reference() -> str:
    """An application's reference, e.g. PRO-7KQ3-M9XW."""
    return references.new_reference("PRO")


async def _check_documents(
    uploads: list[DocumentUpload], errors: InputErrors, *, max_bytes: int, max_count: int
) -> list[CheckedDocument | None]:
    if len(uploads) > max_count:
        errors.add("documents", f"Attach at most {max_count} documents.")
        return []
    missing = [kind for kind in REQUIRED_DOCUMENTS if kind not in {u.kind for u in uploads}]
    if missing:
        names = {
            DocumentKind.LICENSE_COPY: "a copy of your license",
            DocumentKind.CV: "your CV",
            DocumentKind.LIABILITY_INSURANCE: "proof of liability insurance",
        }
        errors.add("documents", "Attach " + ", ".join(names[kind] for kind in missing) + ".")
    checked: list[CheckedDocument | None] = []
    for index, upload in enumerate(uploads):
        file = file_of(upload)
        if file is None:
            errors.add(f"documents.{index}.file", "Send the file itself (multipart upload).")
            checked.append(None)
            continue
        try:
            checked.append(await check(file, max_bytes=max_bytes))
        except DocumentProblem as problem:
            errors.add(f"documents.{index}.file", str(problem))
            checked.append(None)
    return checked


def file_of(upload: DocumentUpload) -> UploadedFile | None:
    """The uploaded file, or None when the client sent something else in its place."""
    file = upload.file
    if all(hasattr(file, name) for name in ("read", "seek", "close", "filename")):
        return cast(UploadedFile, file)
    return None


def _receipt_for_existing(
    existing: Application, application_in: rules.ApplicationIn
) -> ApplicationReceipt:
    if existing.fingerprint == application_in.fingerprint():
        return ApplicationReceipt(reference=existing.reference, errors=[])
    return ApplicationReceipt(
        reference=None,
        errors=[
            FieldError(
                field="input.clientKey",
                message="This form key was already used for a different application; "
                "reload the form to start a new one.",
            )
        ],
    )


async def _submit(
    info: Info[Any, Any],
    input: ProfessionalApplicationInput,
    documents: list[DocumentUpload],
    proof_of_work: str | None,
) -> ApplicationReceipt:
    settings = context(info).resources.settings
    # the solution is checked before the documents are read, and spent only once the whole
    # form is valid: a form with mistakes spends nothing
    proof = await context(info).resources.applications.check(proof_of_work)
    errors = InputErrors()
    application_in = rules.check_application(
        input,
        errors,
        today=context(info).loaders.today,
        min_years_with_officers=settings.min_years_with_officers,
    )
    checked = await _check_documents(
        documents,
        errors,
        max_bytes=settings.max_document_bytes,
        max_count=settings.max_documents,
    )
    if errors or application_in is None:
        return ApplicationReceipt(reference=None, errors=errors.items)
    uploads = [
        (upload, found, file)
        for upload, found in zip(documents, checked, strict=True)
        if found and (file := file_of(upload))
    ]
    application_in = dataclasses.replace(
        application_in,
        documents=[
            rules.DocumentIn(kind=upload.kind.value, sha256=found.sha256, size=found.size_bytes)
            for upload, found, _ in uploads
        ],
    )
    # a resent form (its answer was lost) pays again: it is answered with a new status secret
    await context(info).resources.applications.spend(proof)
    pool = context_of(info).pool
    existing = await application_store.get_by_client_key(
        db=pool, client_key=application_in.client_key
    )
    if existing is not None:
        return await _with_secret(
            pool, existing.key, _receipt_for_existing(existing, application_in)
        )
    reference = new_reference()
    kind = rules.assessment_kind(application_in.locations, settings.home_metro_counties)
    secret = None
    async with pool.acquire() as connection, connection.transaction():
        professional_id = await application_store.create_application(
            connection=connection,
            application_in=application_in,
            reference=reference,
            assessment_kind=kind,
        )
        if professional_id is not None:
            for position, (upload, found, file) in enumerate(uploads):
                document_id = await application_store.add_document(
                    connection=connection,
                    professional_id=professional_id,
                    position=position,
                    kind=upload.kind.value,
                    filename=safe_filename(file.filename),
                    content_type=found.content_type,
                    size_bytes=found.size_bytes,
                    sha256=found.sha256,
                )
                await file.seek(0)
                seq = 0
                while piece := await file.read(CHUNK_BYTES):
                    await application_store.add_document_chunk(
                        connection=connection, document_id=document_id, seq=seq, data=piece
                    )
                    seq += 1
            secret = await status.issue(db=connection, professional_id=professional_id)
            await notices.application_received(
                db=connection,
                settings=settings.mail,
                reference=reference,
                email=application_in.email,
            )
    if professional_id is None:
        # the same key was used concurrently; answer as for a resubmission
        existing = await application_store.get_by_client_key(
            db=pool, client_key=application_in.client_key
        )
        assert existing is not None
        return await _with_secret(
            pool, existing.key, _receipt_for_existing(existing, application_in)
        )
    return ApplicationReceipt(reference=reference, errors=[], status_secret=secret)


async def _with_secret(
    pool: asyncpg.Pool, professional_id: UUID, receipt: ApplicationReceipt
) -> ApplicationReceipt:
    """A resubmitted form's receipt carries a new status secret (the old is not kept)."""
    if receipt.reference is not None:
        receipt.status_secret = await status.issue(db=pool, professional_id=professional_id)
    return receipt


@strawberry.type
class ApplicationChallengeQuery:
    @strawberry.field(
        description="A puzzle to solve before sending an application (its `proofOfWork`). "
        "No sign-in needed."
    )
    async def application_challenge(self, info: Info[Any, Any]) -> FormChallenge | None:
        return (await context(info).resources.applications.challenge()).as_graphql()


@strawberry.type
class ApplyMutation:
    @strawberry.mutation(
        description="Apply to join the network as a mental-health professional. No sign-in. "
        "Documents are uploaded with the GraphQL multipart request specification."
    )
    async def submit_professional_application(
        self,
        info: Info[Any, Any],
        input: ProfessionalApplicationInput,
        documents: list[DocumentUpload],
        proof_of_work: ProofOfWork = None,
    ) -> ApplicationReceipt:
        try:
            return await _submit(info, input, documents, proof_of_work)
        finally:
            # the spooled temporary files are ours to close once the application is saved
            for upload in documents:
                file = file_of(upload)
                if file is not None:
                    await file.close()
