"""Every POST under /auth that changes something takes JSON, or (the sign-in form) its own
encoding from this origin: what another site can make a browser send without asking
(a form, text/plain, a bare POST) is a 415 or 403 and changes nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from services.identity import auth_posts, sessions, web
from services.identity.passkeys import routes as passkey_routes
from tests.services.identity.conftest import Stack
from tests.services.identity.test_admission import _snapshot
from tests.services.identity.test_passkeys import admin_codes, authenticator, enroll

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

POSTS = sorted(
    route.path
    for route in [*web.ROUTES, *sessions.ROUTES, *passkey_routes.ROUTES]
    if route.methods is not None and "POST" in route.methods
)
FORM_POSTS = ["/auth/login", "/auth/service-token"]
JSON_POSTS = [path for path in POSTS if path not in FORM_POSTS]

# what a page of any site can make a browser send with no CORS preflight, and then some
NOT_JSON: dict[str, dict[str, Any]] = {
    "text/plain": {
        "content": b'{"credential": {}}',
        "headers": {"Content-Type": "text/plain;charset=UTF-8"},
    },
    "no body": {},
    "a form": {"data": {"credential": "{}"}},
    "multipart": {"files": {"credential": ("credential", b"{}", "application/json")}},
    "json-ish": {"content": b"{}", "headers": {"Content-Type": "application/json-patch+json"}},
}
NOT_FORM: dict[str, dict[str, Any]] = {
    "text/plain": {
        "content": b"department=network",
        "headers": {"Content-Type": "text/plain"},
    },
    "no body": {},
    "json": {"json": {"department": "network"}},
    "multipart": {"files": {"department": (None, b"network")}},
}


def test_every_post_route_is_tested() -> None:
    assert set(FORM_POSTS) == set(auth_posts.ACCEPTS)
    assert set(FORM_POSTS) <= set(POSTS)
    # every other POST route is in JSON_POSTS, so a new one is tested without being named
    assert {"/auth/passkeys/mine/remove", "/auth/refresh", "/auth/logout", "/auth/enroll"} <= set(
        JSON_POSTS
    )


@pytest.fixture(scope="module")
async def passkey_session(stack: Stack) -> tuple[bytes, httpx.Cookies]:
    """A passkey and the cookies of a session opened with it (one enrolment: codes are
    rate-limited)."""
    (code,) = await admin_codes(stack, "Badge 700")
    device = authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, device, code)).status_code == 200
        return device.credentials[0].credential_id, httpx.Cookies(browser.cookies)


async def test_a_text_plain_post_removes_no_passkey_and_signs_no_one_out(
    stack: Stack, passkey_session: tuple[bytes, httpx.Cookies]
) -> None:
    credential, cookies = passkey_session
    async with stack.browser() as browser:
        browser.cookies = httpx.Cookies(cookies)
        # what <form enctype="text/plain"> or fetch(..., {mode: "no-cors"}) sends
        forged = await browser.post(
            "/auth/passkeys/mine/remove",
            content=b"anything",
            headers={"Content-Type": "text/plain"},
        )
        assert forged.status_code == 415
        assert "JSON" in forged.json()["error"]
        assert "set-cookie" not in forged.headers
        assert (await browser.post("/auth/refresh", json={})).status_code == 200
    connection = await asyncpg.connect(stack.identity_database)
    try:
        assert await connection.fetchval(
            "SELECT count(*) FROM passkeys WHERE credential_id = $1", credential
        )
    finally:
        await connection.close()


@pytest.mark.parametrize("sent", list(NOT_JSON), ids=list(NOT_JSON))
@pytest.mark.parametrize("path", JSON_POSTS)
async def test_json_posts_refuse_everything_else(
    stack: Stack, passkey_session: tuple[bytes, httpx.Cookies], path: str, sent: str
) -> None:
    async with stack.browser() as browser:
        browser.cookies = httpx.Cookies(passkey_session[1])
        before = await _snapshot(stack.identity_database)
        refused = await browser.post(path, **NOT_JSON[sent])
        assert refused.status_code == 415, refused.text
        assert refused.json() == {
            "error": "Send this request as JSON (Content-Type: application/json)."
        }
        assert "set-cookie" not in refused.headers
        assert await _snapshot(stack.identity_database) == before
        # the same session, asked in JSON, still works
        renewed = await browser.post(
            "/auth/refresh",
            content=b"{}",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        assert renewed.status_code == 200


@pytest.mark.parametrize("sent", list(NOT_FORM), ids=list(NOT_FORM))
@pytest.mark.parametrize("path", FORM_POSTS)
async def test_form_posts_refuse_everything_else(stack: Stack, path: str, sent: str) -> None:
    async with stack.browser() as browser:
        refused = await browser.post(
            path, auth=("gateway", "dev-service-secret-gateway"), **NOT_FORM[sent]
        )
        assert refused.status_code == 415, refused.text
        assert "application/x-www-form-urlencoded" in refused.text
        assert "set-cookie" not in refused.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.wnwa.example"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
    ids=["cross-site", "same-site", "another origin", "an opaque origin"],
)
async def test_the_sign_in_form_is_refused_from_another_website(
    stack: Stack, headers: dict[str, str]
) -> None:
    async with stack.browser() as browser:
        refused = await browser.post("/auth/login", data={"department": "network"}, headers=headers)
        assert refused.status_code == 403
        assert "another website" in refused.text
        assert "set-cookie" not in refused.headers


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "same"}, {}],
    ids=["same-origin", "this origin", "not a browser"],
)
async def test_the_sign_in_form_works_from_this_site(stack: Stack, headers: dict[str, str]) -> None:
    if headers.get("Origin") == "same":
        headers = {"Origin": stack.identity_url}
    async with stack.browser() as browser:
        started = await browser.post("/auth/login", data={"department": "network"}, headers=headers)
        assert started.status_code == 303, started.text
        assert "wnwa_signin" in started.cookies
