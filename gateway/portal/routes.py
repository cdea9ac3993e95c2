"""The portal's routes: its pages, its static files and vetters' document downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.portal.pages import PAGES, Page, render
from gateway.settings import GatewaySettings

STATIC_FOLDER = Path(__file__).parent / "static"

# Scripts, styles and requests only from this origin; no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The sign-in forms post to /auth/login, which redirects to the department's own IdP
# (any origin): a form-action list would block that redirect, so it is left out here.
SIGN_IN_POLICY = CONTENT_SECURITY_POLICY.replace(" form-action 'self';", "")

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=(), interest-cohort=()",
}


class PortalStatic(StaticFiles):
    """Static files with the portal's security headers; cached briefly, never shared."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, max-age=300"
        return response


def _page_endpoint(page: Page) -> Route:
    async def endpoint(request: Request) -> Response:
        policy = SIGN_IN_POLICY if page.sign_in_form else CONTENT_SECURITY_POLICY
        return HTMLResponse(render(page), headers={**HEADERS, "Content-Security-Policy": policy})

    return Route(page.path, endpoint, methods=["GET"], name=f"portal-{page.name}")


def _document_proxy(settings: GatewaySettings) -> Route:
    """`/documents/{id}` streamed from professionals with the session's token (vetters)."""
    origin = settings.subgraph_urls["professionals"].rsplit("/graphql", 1)[0]

    async def download(request: Request) -> Response:
        token = request.cookies.get(settings.session_cookie)
        if not token:
            return Response("Sign in to download documents.", 401, media_type="text/plain")
        document_id = request.path_params["document_id"]
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        try:
            answer = await session.get(
                f"{origin}/documents/{document_id}",
                headers={"Authorization": f"Bearer {token}"},
            )
        except (aiohttp.ClientError, TimeoutError):
            await session.close()
            return Response("Documents are unavailable right now.", 503, media_type="text/plain")

        async def body() -> AsyncIterator[bytes]:
            try:
                async for piece in answer.content.iter_chunked(256 * 1024):
                    yield piece
            finally:
                answer.release()
                await session.close()

        headers = {
            name: answer.headers[name]
            for name in ("content-type", "content-length", "content-disposition")
            if name in answer.headers
        }
        headers.update(HEADERS)
        return StreamingResponse(body(), status_code=answer.status, headers=headers)

    return Route("/documents/{document_id}", download, methods=["GET"])


def portal_routes(settings: GatewaySettings) -> list[BaseRoute]:
    """Every route the portal adds to the gateway."""
    routes: list[BaseRoute] = [_page_endpoint(page) for page in PAGES]
    routes.append(_document_proxy(settings))
    routes.append(
        Mount("/portal/static", app=PortalStatic(directory=STATIC_FOLDER), name="portal-static")
    )
    return routes
