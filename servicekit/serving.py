"""Running an app with uvicorn, the same way for every service, the gateway and the dev IdP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

KEEP_ALIVE_SECONDS = 75

# uvicorn's public settings for every server: its httptools protocol, access logs off (they
# would name addresses), no server header, proxy headers ignored, five seconds for requests
# in flight at shutdown, idle connections kept KEEP_ALIVE_SECONDS (see serve)
OPTIONS: dict[str, Any] = {
    "http": "httptools",
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "log_config": None,
    "timeout_graceful_shutdown": 5,
    "timeout_keep_alive": KEEP_ALIVE_SECONDS,
}


def serve(app: str | Callable[..., Any], *, host: str, port: int, workers: int = 1) -> None:
    """Run ``app`` until stopped: an ASGI app, or the ``"module:function"`` that builds it in
    each of ``workers`` processes, with :data:`OPTIONS`.

    An idle connection is kept for :data:`KEEP_ALIVE_SECONDS`, longer than the gateway keeps
    its own (30 s): the caller closes first, so it never sends on a connection the server
    is closing, and the gateway's pool is not reopened after every lull (uvicorn's default
    of 5 s had it connecting again all the time)."""
    import uvicorn  # imported late: only a serving process needs it

    uvicorn.run(
        app,
        factory=isinstance(app, str),
        workers=max(1, workers),
        host=host,
        port=port,
        **OPTIONS,
    )
