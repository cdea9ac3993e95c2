"""The development OpenID Provider: demo organisations and accounts, loopback only.

For `wnwa up`: ``serve()`` runs it (blocking) from ``WNWA_DEVIDP_*`` settings, or
``python -m services.identity.devidp``; ``demo_logins()`` lists the accounts to print.
"""

from __future__ import annotations

from collections.abc import Mapping

from .accounts import demo_logins, providers_toml
from .app import create_app
from .settings import load

__all__ = [
    "create_app",
    "demo_logins",
    "load",
    "providers_toml",
    "serve",
]


def serve(environ: Mapping[str, str] | None = None) -> int:
    """Run the development provider with uvicorn until stopped (access logs off)."""
    import uvicorn

    settings = load(environ)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        server_header=False,
        log_config=None,
    )
    return 0
