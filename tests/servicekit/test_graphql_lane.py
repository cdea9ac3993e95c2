"""The GraphQL lane: a JSON POST to /graphql is answered as through the full application,
and everything else takes the full application's way."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from servicekit.graphql_lane import GraphQLLane, LanedStarlette
from servicekit.limits import BodySizeLimit

CAP = 1000


def endpoint(way: str):  # type: ignore[no-untyped-def]
    async def answer(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"page": "graphiql", "way": way})
        if request.headers["content-type"].startswith("multipart/"):
            async with request.form() as form:
                return JSONResponse({"form": sorted(form.keys()), "way": way})
        body = await request.json()
        if body.get("fail"):
            raise RuntimeError("secret detail")
        return JSONResponse({"data": body, "state": request.state.marker, "way": way})

    return answer


@contextlib.asynccontextmanager
async def lifespan(_: object) -> AsyncIterator[dict[str, str]]:
    yield {"marker": "from the lifespan"}


@contextlib.asynccontextmanager
async def client(*, lane: bool) -> AsyncIterator[httpx.AsyncClient]:
    application = LanedStarlette(
        routes=[Route("/graphql", endpoint("router"), methods=["GET", "POST"])],
        middleware=[Middleware(BodySizeLimit, max_bytes=CAP)],
        lifespan=lifespan,
        lane=GraphQLLane(endpoint("lane"), max_bytes=CAP) if lane else None,
    )
    async with application.router.lifespan_context(application) as state:

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})  # as uvicorn passes the lifespan's state on
            await application(scope, receive, send)

        transport = httpx.ASGITransport(app=served, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.mark.parametrize("lane", [True, False])
async def test_the_same_answers_with_and_without_the_lane(lane: bool) -> None:
    way = "lane" if lane else "router"
    async with client(lane=lane) as http:
        answer = await http.post("/graphql", json={"query": "{ a }"})
        assert answer.status_code == 200
        assert answer.json() == {
            "data": {"query": "{ a }"},
            "state": "from the lifespan",
            "way": way,
        }

        declared = await http.post(
            "/graphql",
            content=b"{" + b" " * CAP + b"}",
            headers={"content-type": "application/json"},
        )
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

        async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted as it comes
            for _ in range(CAP // 100 + 2):
                yield b" " * 100

        streamed = await http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413

        failed = await http.post("/graphql", json={"fail": True})
        assert (failed.status_code, failed.text) == (500, "Internal Server Error")


async def test_what_is_not_a_json_post_to_graphql_takes_the_full_way() -> None:
    async with client(lane=True) as http:
        assert (await http.get("/graphql")).json() == {"page": "graphiql", "way": "router"}
        upload = await http.post("/graphql", files={"file": ("a.txt", b"x")})
        assert upload.json() == {"form": ["file"], "way": "router"}
        assert (await http.post("/elsewhere", json={})).status_code == 404
