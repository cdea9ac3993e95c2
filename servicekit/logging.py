"""Logging that never carries identifiers.

Log lines are written from fixed messages; as a second line of defence every record's
final text passes through :class:`RedactIdentifiers`, which replaces anything shaped like
an email address, IP address, phone number, JWT, bearer credential or long hexadecimal
pseudonym. Code locations (``resolve@schema.py:227``, as unexpected errors are logged) are
not identifiers and stay readable. Server access logs are off (``uvicorn`` is started with
``access_log=False``).
"""

from __future__ import annotations

import logging
import re
import sys

# ``function@file.py:227`` is a code location, not an email address: a source file's name
# followed by a line number is never taken for a domain
_NOT_A_SOURCE_FILE = r"(?![A-Za-z0-9_-]+\.(?:py|pyi|pyx|js|mjs|ts|sql|html|toml):\d)"
_PATTERNS = (
    re.compile(rf"[A-Za-z0-9._%+-]+@{_NOT_A_SOURCE_FILE}[A-Za-z0-9.-]+\.[A-Za-z]{{2,}}"),  # email
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),  # credentials
    re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),  # IPv4
    re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b"),  # IPv6
    re.compile(r"\+?\d[\d ().-]{8,}\d"),  # phone numbers
    re.compile(r"\b[0-9a-fA-F]{32,}\b|\b[A-Za-z0-9_-]{43}\b"),  # pseudonyms, keyed hashes
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every identifier-shaped substring replaced."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactIdentifiers(logging.Filter):
    """Rewrites a record's message, arguments and exception into redacted plain text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            # the exception's text may quote values; keep only its type
            message = f"{message} ({record.exc_info[0].__name__})"
        record.msg, record.args = redact(message), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records through the redacting filter to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactIdentifiers())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.disabled = True
