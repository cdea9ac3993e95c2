"""GraphiQL served from the service's own origin: no CDN, no third-party script.

The page loads React, ReactDOM and GraphiQL from files shipped in this package
(``static/``, licences in ``static/LICENSES.txt``) under a strict Content-Security-Policy,
and keeps GraphiQL's editor state in memory only, so nothing typed survives the tab. It opens
on the operations the caller gives (the gateway's examples) instead of GraphiQL's welcome
text, handed to GraphiQL's public ``defaultQuery`` and ``variables`` props through a JSON
data block, which the policy does not execute.
"""

from __future__ import annotations

import json
from html import escape
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
<link rel="icon" href="{static}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{static}/graphiql.min.css">
<link rel="stylesheet" href="{static}/graphiql-page.css">
</head>
<body>
<main id="graphiql" data-endpoint="{endpoint}" data-title="{title}">Loading GraphiQL…</main>
<script type="application/json" id="graphiql-opening">{opening}</script>
<script src="{static}/react.production.min.js"></script>
<script src="{static}/react-dom.production.min.js"></script>
<script src="{static}/graphiql.min.js"></script>
<script src="{static}/graphiql-start.js"></script>
</body>
</html>
"""

# a service's own GraphiQL (development only) opens on this rather than GraphiQL's welcome
_PLAIN = (
    "# This service's schema is in the documentation explorer (the book icon).\n"
    "# The network's API is the gateway's /graphql, whose GraphiQL opens with examples.\n"
)


def _json_in_html(value: object) -> str:
    """JSON that cannot end its <script> element or start markup inside it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def graphiql_page(
    *, title: str, endpoint: str, operations: str | None = None, variables: str | None = None
) -> HTMLResponse:
    """The GraphiQL page for ``endpoint``, opening on ``operations`` and ``variables`` (a
    JSON text), with its security headers."""
    opening = {"query": operations or _PLAIN, "variables": variables}
    html = _PAGE.format(
        title=escape(title),
        endpoint=escape(endpoint),
        static=STATIC_PATH,
        opening=_json_in_html(opening),
    )
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
