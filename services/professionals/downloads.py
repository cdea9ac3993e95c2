"""``GET /documents/{id}``: a vetter downloads an applicant's document through the service.

GraphQL carries the documents' descriptions; their bytes come from this route, streamed from
PostgreSQL piece by piece, to a bearer token with the ``vetter`` role and to no one else.
"""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from servicekit.tokens import InvalidToken, TokenVerifier, bearer_token

from . import application_store, rules


def _refuse(status: int, code: str, message: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


async def download_document(request: Request) -> Response:
    verifier: TokenVerifier = request.state.verifier
    pool: asyncpg.Pool = request.state.pool
    token = bearer_token(request.headers)
    if token is None:
        return _refuse(401, "UNAUTHENTICATED", "Sign in as a vetter to download documents.")
    try:
        principal = await verifier.verify(token)
    except InvalidToken as invalid:
        return _refuse(401, "UNAUTHENTICATED", f"Sign in again: {invalid}.")
    if not rules.may_download(principal):
        return _refuse(403, "FORBIDDEN", "Only vetters see applicants' documents.")
    try:
        document_id = UUID(request.path_params["document_id"])
    except ValueError:
        return _refuse(404, "NOT_FOUND", "There is no such document.")
    document = await application_store.get_document(db=pool, document_id=document_id)
    if document is None:
        return _refuse(404, "NOT_FOUND", "There is no such document.")
    ascii_name = document.filename.encode("ascii", "replace").decode().replace("?", "_")
    return StreamingResponse(
        application_store.document_content(db=pool, document_id=document_id),
        media_type=document.content_type,
        headers={
            "Content-Length": str(document.size_bytes),
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(document.filename)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = [Route("/documents/{document_id}", download_document, methods=["GET"])]
