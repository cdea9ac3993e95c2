"""What a POST under /auth must look like: JSON, or the sign-in form sent from this origin.

A browser sends a form (urlencoded, multipart, text/plain) or a POST without a body to any
site without asking first, with that site's cookies wherever SameSite lets them through
(any page under the same registrable domain). Only a type such as ``application/json``
makes it ask (a CORS preflight), which identity never grants; so every POST that changes
something takes JSON and nothing else (415). The two exceptions have an encoding of their
own: the sign-in form, which must then come from this origin (``Sec-Fetch-Site``, else
``Origin``), and the OAuth token endpoint for services (HTTP Basic, no cookie).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import pages
from .runtime import NO_STORE, identity_of

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Accepts:
    """The one media type a POST takes, and whether it must come from this origin."""

    media_type: str
    same_origin: bool = False


# every POST route not named here takes JSON only
ACCEPTS = {
    "/auth/login": Accepts(FORM, same_origin=True),  # the sign-in page's form
    "/auth/service-token": Accepts(FORM),  # OAuth client credentials (RFC 6749 4.4.2)
}


def guarded(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """The routes, each POST endpoint refusing any other media type (and origin)."""
    return [
        Route(
            route.path,
            _guard(route.endpoint, ACCEPTS.get(route.path, Accepts(JSON))),
            methods=sorted(route.methods - {"HEAD"}),
        )
        if isinstance(route, Route) and route.methods and "POST" in route.methods
        else route
        for route in routes
    ]


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _guard(endpoint: Endpoint, accepts: Accepts) -> Endpoint:
    async def guarded_endpoint(request: Request) -> Response:
        if request.method == "POST":
            if media_type(request) != accepts.media_type:
                return _refuse(accepts, 415, _wrong_type(accepts))
            if accepts.same_origin and not from_this_origin(request):
                return _refuse(
                    accepts,
                    403,
                    "This sign-in was sent from another website. Start again from the "
                    "sign-in page.",
                )
        return await endpoint(request)

    return guarded_endpoint


def from_this_origin(request: Request) -> bool:
    """Whether a browser says this request comes from a page of this site.

    Browsers send ``Sec-Fetch-Site`` (and ``Origin``) with every POST; a client that sends
    neither is not a browser acting for a visitor of another site.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    settings = identity_of(request).settings
    own = {_origin(settings.public_url), *settings.passkey_origins, _origin(str(request.url))}
    return origin in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _wrong_type(accepts: Accepts) -> str:
    if accepts.media_type == JSON:
        return "Send this request as JSON (Content-Type: application/json)."
    return f"Send this request as a form (Content-Type: {FORM})."


def _refuse(accepts: Accepts, status: int, message: str) -> Response:
    if accepts.same_origin:  # a person's browser, on the sign-in page: a page that says why
        return pages.sign_in_failed(message, status_code=status)
    if accepts.media_type == FORM:  # an OAuth client
        return JSONResponse(
            {"error": "invalid_request", "error_description": message}, status, headers=NO_STORE
        )
    return JSONResponse({"error": message}, status, headers=NO_STORE)
