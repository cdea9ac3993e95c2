"""Responses the gateway writes itself, with the headers every one of them carries."""

from __future__ import annotations

from starlette.responses import JSONResponse

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def graphql_error(message: str, code: str, status: int = 200) -> JSONResponse:
    """A GraphQL-shaped error answer a client can act on."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=SECURITY_HEADERS,
    )
