"""The redaction filter keeps code locations readable and still removes identifiers; the
lines a request causes wait for the hour, so no line's time dates a request."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import sys

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servicekit.clock import FixedClock
from servicekit.graphql_lane import LanedStarlette
from servicekit.logging import HourlyRelease, RedactIdentifiers, redact, serving_request


@pytest.mark.parametrize(
    "location",
    [
        "resolve@schema.py:227",
        "assign_vetter@vetting.py:88 <- resolve@schema.py:227 <- _execute@graphql.py:12",
        "<lambda>@app.py:31",
        "test_case@test_file_2.py:5",
    ],
)
def test_code_locations_are_not_taken_for_email_addresses(location: str) -> None:
    line = f"unexpected KeyError in operation Search at {location}"
    assert redact(line) == line


@pytest.mark.parametrize(
    "identifier",
    [
        "officer.one@agency.example",
        "someone@ministry.gov.py",
        "dispatch@harlow-park.pd.example:",
        "a.b+tag@mail.example.com:8080",
        "resolve@schema.example.org",
    ],
)
def test_email_addresses_next_to_code_locations_are_still_redacted(identifier: str) -> None:
    redacted = redact(f"failed for {identifier} at resolve@schema.py:227")
    assert identifier.rstrip(":") not in redacted
    assert redacted.endswith("at resolve@schema.py:227")


class Written:
    """What the process would write to standard error, behind the hourly release."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        target = logging.StreamHandler(self.stream)
        target.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.clock = FixedClock(dt.datetime(2031, 3, 4, 14, 59, 59, tzinfo=dt.UTC))
        self.handler = HourlyRelease(target, self.clock)
        self.handler.addFilter(RedactIdentifiers())

    def log(self, name: str, level: int, message: str, *args: object) -> None:
        record = logging.getLogger(name).makeRecord(name, level, __file__, 1, message, args, None)
        self.handler.handle(record)

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()


def test_a_requests_lines_wait_for_the_hour_and_warnings_leave_in_tens() -> None:
    written = Written()
    with serving_request():
        written.log("wnwa.graphql", logging.ERROR, "unexpected KeyError in operation Report")
        for _ in range(13):
            written.log("wnwa.conversations.push", logging.WARNING, "a push failed (%s)", "Oops")
    assert written.lines() == []  # nothing when the requests came
    written.clock.at += dt.timedelta(seconds=1)
    written.handler.write_hour()
    assert written.lines() == [
        "WARNING wnwa.conversations.push: a push failed (Oops)"
        " [10, in the hour to 2031-03-04 15:00 UTC]",
        "ERROR wnwa.graphql: unexpected KeyError in operation Report"
        " [1, in the hour to 2031-03-04 15:00 UTC]",
    ]
    # the three left over wait for the next ten
    written.handler.write_hour()
    assert len(written.lines()) == 2
    assert written.handler.held() == 3


def test_lines_of_no_request_are_written_at_once_and_no_info_line_of_a_library() -> None:
    written = Written()
    written.log("wnwa.service", logging.WARNING, "housekeeping failed (%s)", "TimeoutError")
    written.log("uvicorn.error", logging.INFO, "Application startup complete.")
    written.log("httpx", logging.INFO, "HTTP Request: POST https://idp.example/token 200")
    written.log("wnwa.directory", logging.DEBUG, "a debugging line")
    with serving_request():
        written.log("uvicorn.error", logging.INFO, "a line a request caused")
    assert written.lines() == [
        "WARNING wnwa.service: housekeeping failed (TimeoutError)",
        "INFO uvicorn.error: Application startup complete.",
    ]


def test_the_servers_report_of_a_failed_request_waits_for_the_hour_too() -> None:
    written = Written()
    try:
        raise KeyError("dana.whitlock@harlow-park.pd.example")
    except KeyError:
        record = logging.getLogger("uvicorn.error").makeRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            1,
            "Exception in ASGI application\n",
            (),
            sys.exc_info(),
        )
    written.handler.handle(record)
    assert written.lines() == []
    written.handler.write_hour()
    [line] = written.lines()
    assert line.startswith("ERROR uvicorn.error: Exception in ASGI application (KeyError) [1,")
    assert "dana" not in line


async def test_a_request_to_a_service_marks_what_it_logs_as_its_own() -> None:
    written = Written()
    logger = logging.getLogger("wnwa.test.requests")
    logger.addHandler(written.handler)

    async def push_later() -> None:
        logger.warning("a push failed (ClientError)")

    async def message(request: Request) -> Response:
        # a task started by the request, as a push is: its line is the request's too
        await asyncio.create_task(push_later())
        return JSONResponse({}, status_code=201)

    app = LanedStarlette(routes=[Route("/conversations/x/messages", message, methods=["POST"])])
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as http:
            assert (await http.post("/conversations/x/messages")).status_code == 201
        logger.warning("a line of the process's own")
    finally:
        logger.removeHandler(written.handler)
    assert written.lines() == ["WARNING wnwa.test.requests: a line of the process's own"]
    assert written.handler.held() == 1
