"""Running an app with uvicorn, the same way for every service, the gateway and the dev IdP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def serve(app: str | Callable[..., Any], *, host: str, port: int, workers: int = 1) -> None:
    """Run ``app`` until stopped: an ASGI app, or the ``"module:function"`` that builds it in
    each of ``workers`` processes. Access logs off (they would name addresses), no server
    header, proxy headers ignored, five seconds for requests in flight at shutdown."""
    import uvicorn  # imported late: only a serving process needs it

    uvicorn.run(
        app,
        factory=isinstance(app, str),
        workers=max(1, workers),
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
