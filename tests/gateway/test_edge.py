"""What the gateway refuses at the edge, and how it says so."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web

from servicekit.demo import DEMO_DEPARTMENTS
from tests.gateway.conftest import Federation, GatewayClient, gateway_for

pytestmark = pytest.mark.slow  # real subgraph servers

HARLOW_PARK = DEMO_DEPARTMENTS[2]


async def test_private_fields_need_a_token_public_ones_do_not(gateway: GatewayClient) -> None:
    private = await gateway("{ memberDepartments { nodes { name } } feeTiers { annualFeeCents } }")
    assert private == {
        "errors": [
            {
                "message": "Sign in to use memberDepartments.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    public = await gateway("{ feeTiers { minSwornOfficers } }")
    assert public["data"]["feeTiers"][0] == {"minSwornOfficers": 1}


async def test_a_bad_token_is_refused_with_a_reason(
    gateway: GatewayClient, federation: Federation
) -> None:
    expired = federation.issuer.token("officer", lifetime=-120)
    response = await gateway.http.post(
        "/graphql",
        json={"query": "{ feeTiers { minSwornOfficers } }"},
        headers={"Authorization": f"Bearer {expired}"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Sign in again: the token has expired."
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_expired_session_cookie_still_allows_public_operations(
    gateway: GatewayClient, federation: Federation
) -> None:
    gateway.http.cookies.set("wnwa_access", federation.issuer.token("officer", lifetime=-120))
    public = await gateway.http.post(
        "/graphql", json={"query": "{ feeTiers { minSwornOfficers } }"}
    )
    assert public.status_code == 200
    assert public.json()["data"]["feeTiers"][0] == {"minSwornOfficers": 1}
    private = await gateway.http.post(
        "/graphql", json={"query": "{ memberDepartments { nodes { name } } }"}
    )
    [error] = private.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "the token has expired" in error["message"]


async def test_the_session_cookie_signs_in_too(
    gateway: GatewayClient, federation: Federation
) -> None:
    token = federation.issuer.token("officer", department=HARLOW_PARK.id)
    gateway.http.cookies.set("wnwa_access", token)
    response = await gateway.http.post(
        "/graphql", json={"query": "{ memberDepartments(first: 1) { nodes { name } } }"}
    )
    assert response.json()["data"]["memberDepartments"]["nodes"][0]["name"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (
            "{ a: feeTiers { b: minSwornOfficers } " * 1
            + " ".join(f"x{i}: feeTiers {{ minSwornOfficers }}" for i in range(40))
            + "}",
            "aliases",
        ),
        (
            "{ "
            + " ".join(["feeTiers { minSwornOfficers maxSwornOfficers annualFeeCents }"] * 150)
            + " }",
            "fields",
        ),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }", "aliases"),
        (
            "query { searchPeerSupporters { matches { supporter { department { record { "
            "terms { id } currentTerm { id } } } } } } }",
            "levels deep",
        ),
    ],
)
async def test_costly_operations_are_refused_before_any_subgraph_work(
    federation: Federation, query: str, words: str
) -> None:
    async with gateway_for(federation, WNWA_GATEWAY_MAX_DEPTH="5") as gateway:
        answer = await gateway(query, token=federation.issuer.token("officer"))
    assert "data" not in answer
    error = answer["errors"][0]
    assert words in error["message"]
    assert error["extensions"]["code"] == "OPERATION_TOO_COSTLY"


async def test_requests_in_other_shapes_get_plain_answers(gateway: GatewayClient) -> None:
    form = await gateway.http.post("/graphql", data={"query": "{ feeTiers { minSwornOfficers } }"})
    assert form.status_code == 415
    assert form.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    broken = await gateway.http.post(
        "/graphql", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    batch = await gateway.http.post(
        "/graphql", json=[{"query": "{ feeTiers { minSwornOfficers } }"}]
    )
    assert batch.json()["errors"][0]["message"] == "Send one operation per request."
    syntax = await gateway("{ feeTiers { ")
    assert syntax["errors"][0]["message"].startswith("Syntax Error")
    get = await gateway.http.get("/graphql")
    assert get.status_code == 405


async def test_multipart_needs_the_csrf_header(gateway: GatewayClient) -> None:
    response = await gateway.http.post(
        "/graphql",
        files={
            "operations": (None, '{"query": "{ feeTiers { minSwornOfficers } }"}'),
            "map": (None, "{}"),
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTION"
    allowed = await gateway.http.post(
        "/graphql",
        files={
            "operations": (None, '{"query": "{ feeTiers { minSwornOfficers } }"}'),
            "map": (None, "{}"),
        },
        headers={"X-WNWA-Request": "portal"},
    )
    assert allowed.json()["data"]["feeTiers"][0] == {"minSwornOfficers": 1}


async def test_production_closes_introspection_and_the_playground(federation: Federation) -> None:
    production = {"WNWA_ENV": "production", "WNWA_PUBLIC_URL": "https://wnwa.example.org"}
    async with gateway_for(federation, **production) as gateway:
        answer = await gateway("{ __schema { queryType { name } } }")
        page = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
    assert "introspection has been disabled" in answer["errors"][0]["message"]
    assert page.status_code == 405
    async with gateway_for(federation) as development:
        page = await development.http.get("/graphql", headers={"Accept": "text/html"})
        schema = await development("{ __schema { queryType { name } } }")
    assert page.status_code == 200
    assert "graphiql.min.js" in page.text
    assert schema == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_cors_is_closed_unless_an_origin_is_configured(federation: Federation) -> None:
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    async with gateway_for(federation) as closed:
        response = await closed.http.options("/graphql", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    async with gateway_for(
        federation, WNWA_GATEWAY_CORS_ORIGINS="https://portal.example"
    ) as opened:
        allowed = await opened.http.options(
            "/graphql", headers={**preflight, "Origin": "https://portal.example"}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"


@contextlib.asynccontextmanager
async def fake_identity() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    async def login(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        response = web.Response(status=302, headers={"Location": "https://idp.example/authorize"})
        response.set_cookie("wnwa_signin", "sealed", httponly=True, path="/auth")
        return response

    app = web.Application()
    app.router.add_get("/auth/login", login)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_auth_is_proxied_to_identity_without_client_details(federation: Federation) -> None:
    async with (
        fake_identity() as (origin, seen),
        gateway_for(federation, WNWA_GATEWAY_IDENTITY_ORIGIN=origin) as gateway,
    ):
        response = await gateway.http.get(
            "/auth/login?department=x",
            headers={
                "User-Agent": "OfficerPhone/1.0",
                "X-Forwarded-For": "203.0.113.9",
                "Cookie": "wnwa_session=abc",
                "Origin": "https://evil.example",
                "Sec-Fetch-Site": "cross-site",
            },
        )
    assert response.status_code == 302
    assert response.headers["location"] == "https://idp.example/authorize"
    assert "wnwa_signin=sealed" in response.headers["set-cookie"]
    [headers] = seen
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["cookie"] == "wnwa_session=abc"
    assert "OfficerPhone" not in lowered.get("user-agent", "")
    assert "x-forwarded-for" not in lowered
    # what identity needs to refuse a sign-in form posted by another website
    assert (lowered["origin"], lowered["sec-fetch-site"]) == ("https://evil.example", "cross-site")


async def test_vetters_download_documents_through_the_gateway(
    gateway: GatewayClient, federation: Federation
) -> None:
    vetter = federation.issuer.token("vetter")
    listing = await gateway(
        "{ applications(first: 5) { nodes { documents { filename downloadPath } } } }", token=vetter
    )
    documents = [d for n in listing["data"]["applications"]["nodes"] for d in n["documents"]]
    assert documents, "the demo seed has applications with documents"
    path = documents[0]["downloadPath"]
    assert path.startswith("/documents/")

    download = await gateway.http.get(path, headers={"Authorization": f"Bearer {vetter}"})
    assert download.status_code == 200
    assert download.content[:4] in (b"%PDF", b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1")
    assert "attachment" in download.headers["content-disposition"]
    assert download.headers["cache-control"] == "no-store"

    officer = federation.issuer.token("officer")
    refused = await gateway.http.get(path, headers={"Authorization": f"Bearer {officer}"})
    assert refused.status_code == 403
    anonymous = await gateway.http.get(path)
    assert anonymous.status_code == 401


async def test_only_valid_documents_of_a_usual_size_are_remembered(federation: Federation) -> None:
    async with gateway_for(federation) as gateway:
        padded = "{ feeTiers { minSwornOfficers } } #" + "x" * 20_000
        assert (await gateway(padded))["data"]["feeTiers"]
        assert (await gateway("{ feeTiers { nope } }"))["errors"]
        usual = await gateway("{ feeTiers { minSwornOfficers } }")
        assert usual["data"]["feeTiers"]
        remembered = gateway.app.state.gateway.operations.documents
    assert list(remembered) == ["{ feeTiers { minSwornOfficers } }"]


@contextlib.asynccontextmanager
async def recording_service() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in for identity or professionals that answers any path and records it."""
    paths: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        paths.append(request.raw_path)
        return web.Response(
            text="<html>service page</html>",
            content_type="text/html",
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Permissions-Policy": "interest-cohort=()",
                "Cross-Origin-Opener-Policy": "same-origin",
                "X-Powered-By": "identity internals",
            },
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", paths
    finally:
        await runner.cleanup()


async def _raw_get(app: Any, raw_path: bytes) -> int:
    """GET ``raw_path`` exactly as a client wrote it (HTTP clients normalise `..` away)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"gateway.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("gateway.test", 80),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


TRAVERSALS = [
    "/auth/%2e%2e/graphql",
    "/auth/%2E%2E/graphql",
    "/auth/.%2e/graphql",
    "/auth/..%2fgraphql",
    "/auth/%2e%2e%2fgraphql",
    "/auth/login%2f..%2f..%2fgraphql",
    "/auth/%2e/..%2f/graphql",
    "/auth//graphql",
    "/auth/%5c..%5cgraphql",
    "/auth/login/%2e%2e/%2e%2e/graphql",
]


async def test_dot_segments_never_reach_past_the_auth_routes(federation: Federation) -> None:
    async with (
        recording_service() as (origin, seen),
        gateway_for(federation, WNWA_GATEWAY_IDENTITY_ORIGIN=origin) as gateway,
    ):
        for path in TRAVERSALS:
            response = await gateway.http.get(path)
            assert response.status_code in (400, 404), path
        for raw in (b"/auth/../graphql", b"/auth/./../graphql", b"/auth/login/../../graphql"):
            assert await _raw_get(gateway.app, raw) in (400, 404), raw
        assert seen == []
        allowed = await gateway.http.get("/auth/signed-out?after=%2Fportal")
    assert allowed.status_code == 200
    assert [unquote(path) for path in seen] == ["/auth/signed-out?after=/portal"]


async def test_document_ids_are_document_ids(federation: Federation) -> None:
    async with (
        recording_service() as (origin, seen),
        gateway_for(federation, WNWA_GATEWAY_PROFESSIONALS_URL=f"{origin}/graphql") as gateway,
    ):
        for path in ("/documents/%2e%2e", "/documents/..%2fgraphql", "/documents/%2E%2E"):
            response = await gateway.http.get(path)
            assert response.status_code in (400, 404), path
        assert await _raw_get(gateway.app, b"/documents/..") in (400, 404)
        assert seen == []
        document = "0b3c2a4e-9d1f-4c6b-8a57-2f9e1d3c4b5a"
        await gateway.http.get(f"/documents/{document}")
    assert seen == [f"/documents/{document}"]


async def test_identitys_security_and_caching_headers_reach_the_browser(
    federation: Federation,
) -> None:
    async with (
        recording_service() as (origin, _),
        gateway_for(federation, WNWA_GATEWAY_IDENTITY_ORIGIN=origin) as gateway,
    ):
        response = await gateway.http.get("/auth/signed-out")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["permissions-policy"] == "interest-cohort=()"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert "x-powered-by" not in response.headers


async def test_service_tokens_are_refused_at_the_public_edge(
    gateway: GatewayClient, federation: Federation
) -> None:
    service = federation.issuer.token("service", department=HARLOW_PARK.id)
    response = await gateway.http.post(
        "/graphql",
        json={"query": "{ feeTiers { minSwornOfficers } }"},
        headers={"Authorization": f"Bearer {service}"},
    )
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "data" not in response.json()
    gateway.http.cookies.set("wnwa_access", service)
    by_cookie = await gateway.http.post(
        "/graphql", json={"query": "{ memberDepartments(first: 1) { nodes { name } } }"}
    )
    assert by_cookie.status_code == 403
    assert by_cookie.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
