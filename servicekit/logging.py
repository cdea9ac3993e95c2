"""Logging that never carries identifiers and dates no one's request.

Log lines are written from fixed messages; as a second line of defence every record's
final text passes through :class:`RedactIdentifiers`, which replaces anything shaped like
an email address, IP address, phone number, JWT, bearer credential or long hexadecimal
pseudonym. Code locations (``resolve@schema.py:227``, as unexpected errors are logged) are
not identifiers and stay readable. Server access logs are off (``uvicorn`` is started with
``access_log=False``).

A line's time is when it was written, so a line a request causes would date that request (a
push that failed, the message that caused it). :class:`HourlyRelease` holds every line
logged while a request is served (:func:`serving_request`; tasks it starts inherit it), and
the server's own report of a request that failed, and writes each distinct line once the
hour has closed, with how many times it came: errors (a bug, which operators must see every
one of) with their count, warnings in tens, as metric figures are. What a process holds
when it stops is dropped. Below WARNING only the server's start and stop lines
(:data:`LIFECYCLE_LOGGERS`) are written, whatever the level: no library's INFO line per
request (httpx writes one) is.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar

from servicekit.clock import SYSTEM_CLOCK, Clock

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
# below WARNING, only these loggers' lines are written, and only outside a request
LIFECYCLE_LOGGERS = frozenset({"uvicorn.error"})
# held lines are written once each hour has closed; warnings in tens
HOUR_SECONDS = 3600
WARNING_STEP = 10
# the server's report of a request that failed after the app returned: that request's line
_SERVER_REQUEST_LINES = ("Exception in ASGI application", "ASGI callable returned without")
# distinct held lines; more are counted together, so a flood cannot fill the memory
_MAX_HELD = 500
# true while a request is served (and in tasks it started): set by LanedStarlette directly,
# a third of a microsecond against the context manager's one and a half
SERVING: ContextVar[bool] = ContextVar("wnwa_serving_request", default=False)


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


@contextlib.contextmanager
def serving_request() -> Iterator[None]:
    """Within it (and in tasks started within it), lines are a request's: held for the hour."""
    token = SERVING.set(True)
    try:
        yield
    finally:
        SERVING.reset(token)


class HourlyRelease(logging.Handler):
    """Hands ``target`` what may be written now; holds a request's lines for the hour.

    :meth:`start` runs :meth:`write_hour` at the top of every hour on a timer of its own.
    """

    def __init__(self, target: logging.Handler, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__()
        self.target = target
        self.clock = clock
        self._held: dict[tuple[int, str, str], int] = {}
        self._closed = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        by_request = SERVING.get() or message.startswith(_SERVER_REQUEST_LINES)
        if record.levelno < logging.WARNING:
            if record.name in LIFECYCLE_LOGGERS and not by_request:
                self.target.handle(record)
            return
        if not by_request:
            self.target.handle(record)
            return
        key = (record.levelno, record.name, " ".join(message.split()))
        if key not in self._held and len(self._held) >= _MAX_HELD:
            key = (record.levelno, record.name, "(other lines)")
        # Handler.handle holds this handler's lock around emit
        self._held[key] = self._held.get(key, 0) + 1

    def write_hour(self) -> None:
        """Write each held line with its count (warnings: the tens; the rest waits)."""
        hour = self.clock.now().strftime("%Y-%m-%d %H:%M")
        due: list[tuple[int, str, str, int]] = []
        self.acquire()
        try:
            for (level, name, message), count in sorted(self._held.items()):
                shown = count if level >= logging.ERROR else count - count % WARNING_STEP
                if shown:
                    due.append((level, name, message, shown))
                if count > shown:
                    self._held[(level, name, message)] = count - shown
                else:
                    del self._held[(level, name, message)]
        finally:
            self.release()
        for level, name, message, count in due:
            self.target.handle(
                logging.LogRecord(
                    name,
                    level,
                    __file__,
                    0,
                    "%s [%d, in the hour to %s UTC]",
                    (message, count, hour),
                    None,
                )
            )

    def held(self) -> int:
        """How many lines are waiting for an hour to close."""
        self.acquire()
        try:
            return sum(self._held.values())
        finally:
            self.release()

    def start(self) -> None:
        """Write the held lines at the top of every hour from now on."""
        threading.Thread(target=self._hourly, name="wnwa-log-hours", daemon=True).start()

    def _hourly(self) -> None:
        while not self._closed.wait(HOUR_SECONDS - self.clock.timestamp() % HOUR_SECONDS):
            self.write_hour()

    def close(self) -> None:
        self._closed.set()
        super().close()


def configure_logging(level: str = "INFO") -> HourlyRelease:
    """Send every logger's records through the redacting filter and :class:`HourlyRelease` to
    standard error."""
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler = HourlyRelease(stream)
    handler.addFilter(RedactIdentifiers())
    root = logging.getLogger()
    for previous in root.handlers:
        previous.close()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.disabled = True
    handler.start()
    return handler
