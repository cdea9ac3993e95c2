"""GraphiQL served from the service's own origin: no CDN, no third-party script.

The page loads React, ReactDOM and GraphiQL from files shipped in this package
(``static/``, licences in ``static/LICENSES.txt``) under a strict Content-Security-Policy,
and keeps GraphiQL's editor state in memory only, so nothing typed survives the tab.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_PATH = "/graphiql/static"
_STATIC_FOLDER = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{static}/graphiql.min.css">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL…</div>
<script src="{static}/react.production.min.js"></script>
<script src="{static}/react-dom.production.min.js"></script>
<script src="{static}/graphiql.min.js"></script>
<script src="{static}/graphiql-start.js"></script>
</body>
</html>
"""


def graphiql_page(*, title: str, endpoint: str) -> HTMLResponse:
    """The GraphiQL page for ``endpoint``, with its security headers."""
    html = _PAGE.format(title=title, endpoint=endpoint, static=STATIC_PATH)
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def static_files() -> Mount:
    """The route serving GraphiQL's scripts and styles."""
    return Mount(STATIC_PATH, app=StaticFiles(directory=_STATIC_FOLDER), name="graphiql-static")
