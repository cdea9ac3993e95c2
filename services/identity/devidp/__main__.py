"""`python -m services.identity.devidp`: run the development identity provider."""

from __future__ import annotations

import os

from servicekit.logging import configure_logging

from . import serve

configure_logging(os.environ.get("WNWA_LOG_LEVEL", "INFO"))
raise SystemExit(serve())
