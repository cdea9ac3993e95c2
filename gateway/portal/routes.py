"""The portal's routes: its pages and its static files."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.portal import published
from gateway.portal.pages import NOT_FOUND, PAGES, Page, layout, render
from gateway.portal.visits import VisitCounter, membership_sender
from gateway.settings import GatewaySettings

STATIC_FOLDER = Path(__file__).parent / "static"

# Scripts, styles and requests only from this origin; no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
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


def visits(request: Request) -> VisitCounter:
    """The app's one visit counter: the gateway's (which hands finished days over on a
    schedule), or one that only counts where the gateway has not started.

    Only ``request.app`` is read here: nothing about the request itself."""
    state = request.app.state
    counter: VisitCounter | None = getattr(state, "visits", None)
    if counter is None:
        counter = state.visits = VisitCounter(None)
    return counter


def visit_counter(gateway: Any) -> VisitCounter:
    """The gateway's visit counter, handing finished days to membership when the gateway
    has a service secret to ask identity for a token with."""
    send = None
    if gateway.settings.service_secret:
        send = membership_sender(
            gateway.session,
            gateway.settings.identity_url,
            gateway.settings.service_secret,
            gateway.run,
        )
    return VisitCounter(send)


def _respond(page: Page) -> Response:
    policy = SIGN_IN_POLICY if page.sign_in_form else CONTENT_SECURITY_POLICY
    return HTMLResponse(render(page), headers={**HEADERS, "Content-Security-Policy": policy})


def _page_endpoint(page: Page) -> Route:
    async def endpoint(request: Request) -> Response:
        if page.counted:
            visits(request).page_view()
        return _respond(page)

    return Route(page.path, endpoint, methods=["GET"], name=f"portal-{page.name}")


def _shared_endpoint(path: str, signed_in: Page, visitor: Page, session_cookie: str) -> Route:
    """One address, two pages: what a signed-in person can do, or what the network is.

    Only the presence of the session cookie decides (it is not verified here: the signed-in
    page's script asks the API, which does). A visitor whose short access cookie has lapsed
    while the session lives on is sent on by the visitor page's script after one renewal.
    """

    async def endpoint(request: Request) -> Response:
        visits(request).page_view()
        return _respond(signed_in if request.cookies.get(session_cookie) else visitor)

    return Route(path, endpoint, methods=["GET"], name=f"portal-{signed_in.name}")


# Addresses the network has printed or linked publicly, kept working after the site moved on.
MOVED = {
    "/mental-health-professional-sign-up": "/apply",
    "/contact": "/join",
    # members are the departments' officers: their way in
    "/members": "/sign-in",
}
# Where programs, not people, ask: an unknown address there is answered in JSON.
MACHINE_PREFIXES = ("/graphql", "/auth", "/documents", "/portal/", "/healthz", "/readyz", "/api")


def _redirect(target: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        # the query is not carried along: nothing from an old link reaches the new page
        return RedirectResponse(target, status_code=301, headers={"Cache-Control": "no-store"})

    return endpoint


async def not_found(request: Request, exc: Exception) -> Response:
    """Any address nothing answers: for a person's browser, a page of the portal (the crisis
    lines and the public pages linked); for a program, a line of JSON."""
    path = request.url.path
    if request.method not in ("GET", "HEAD") or path.startswith(MACHINE_PREFIXES):
        return JSONResponse({"error": "Not found."}, status_code=404, headers=HEADERS)
    return HTMLResponse(
        layout(NOT_FOUND, _not_found_body()),
        status_code=404,
        headers={**HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


@cache
def _not_found_body() -> str:
    return (Path(__file__).parent / "not-found.html").read_text(encoding="utf-8")


SITE_DIGEST = "SITE_DIGEST"  # the worker's placeholder for the site's digest


def site_digest(folder: Path, pages: Iterable[str]) -> str:
    """A digest of every file in ``folder`` and of the pages' HTML: it changes whenever
    anything the app may keep a copy of changes."""
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    for html in pages:
        digest.update(html.encode() + b"\0")
    return digest.hexdigest()[:20]


@cache
def worker_source() -> str:
    """The worker with the site's digest in its cache name: a deployment that changes a page
    or file changes the worker's bytes, so browsers install it and it keeps a fresh copy."""
    source = (STATIC_FOLDER / "service-worker.js").read_text(encoding="utf-8")
    digest = site_digest(STATIC_FOLDER, (render(page) for page in PAGES))
    return source.replace(SITE_DIGEST, digest)


async def service_worker(request: Request) -> Response:
    """The installed app's worker: at the root so it may answer for every page when offline."""
    return Response(
        worker_source(),
        media_type="text/javascript",
        headers={
            **HEADERS,
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        },
    )


async def installed(request: Request) -> Response:
    """The app was installed: one more in today's total, nothing else."""
    visits(request).install()
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


async def manifest(request: Request) -> Response:
    """The web app manifest (name, icons, colours) that makes the portal installable."""
    return FileResponse(
        STATIC_FOLDER / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers={**HEADERS, "Cache-Control": "no-cache"},
    )


def portal_routes(settings: GatewaySettings) -> list[BaseRoute]:
    """Every route the portal adds to the gateway."""
    routes: list[BaseRoute] = []
    for path in dict.fromkeys(page.path for page in PAGES):
        variants = [page for page in PAGES if page.path == path]
        if len(variants) == 1:
            routes.append(_page_endpoint(variants[0]))
        else:
            [signed_in] = [page for page in variants if page.signed_in]
            [visitor] = [page for page in variants if not page.signed_in]
            routes.append(_shared_endpoint(path, signed_in, visitor, settings.session_cookie))
    page_headers = {**HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}

    def drawn(render_page: Callable[[Request, dict[str, str]], Awaitable[Response]]) -> Any:
        async def endpoint(request: Request) -> Response:
            visits(request).page_view()
            return await render_page(request, page_headers)

        return endpoint

    routes.append(Route("/news", drawn(published.news_list), methods=["GET"]))

    async def news_feed(request: Request, headers: dict[str, str]) -> Response:
        return await published.news_feed(request, headers, settings.public_url)

    routes.append(Route("/news.atom", drawn(news_feed), methods=["GET"]))
    routes.append(Route("/news/{slug}", drawn(published.news_post), methods=["GET"]))
    routes.append(Route("/figures", drawn(published.figures), methods=["GET"]))
    routes.extend(
        Route(old, _redirect(new), methods=["GET"], name=f"moved-{old.strip('/')}")
        for old, new in MOVED.items()
    )
    routes.append(Route("/service-worker.js", service_worker, methods=["GET"]))
    routes.append(Route("/portal/installed", installed, methods=["POST"]))
    routes.append(Route("/manifest.webmanifest", manifest, methods=["GET"]))
    routes.append(
        Mount("/portal/static", app=PortalStatic(directory=STATIC_FOLDER), name="portal-static")
    )
    return routes
