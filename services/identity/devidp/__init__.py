"""The development OpenID Provider: demo organisations and accounts, loopback only.

For `wnwa up`: ``serve()`` runs it (blocking) from ``WNWA_DEVIDP_*`` settings, or
``python -m services.identity.devidp``; ``demo_logins()`` lists the accounts to print.
"""

from __future__ import annotations

from collections.abc import Mapping

from servicekit import serving

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
    settings = load(environ)
    serving.serve(create_app(settings), host=settings.host, port=settings.port)
    return 0
