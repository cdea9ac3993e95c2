"""The gateway's calls to subgraphs give the same outcome over its own keep-alive
connections (servicekit/http_connections.py) as over aiohttp's client, whatever the
subgraph answers."""

from __future__ import annotations

import aiohttp
import pytest

from gateway.subgraphs import SubgraphClient, SubgraphResponse, SubgraphUnavailable
from servicekit.http_connections import HttpConnections, Origin
from tests.servicekit.test_http_connections import serving

ANSWERS = [
    ("ok", b'{"data": {"a": 1}}'),
    ("ok", b'{"data": null, "errors": [{"message": "no", "path": ["a"]}]}'),
    ("ok", b'{"data": {"a": [1, "\\u00e9"]}, "errors": [{"message": "x"}, 3]}'),
    ("ok", b"<html>a proxy's page</html>"),
    ("ok", b'["not", "a", "response"]'),
    ("chunked", b""),
    ("close", b'{"data": {"a": 2}}'),
    ("hang up", b""),
]


class _Counted(HttpConnections):
    posts = 0

    async def post(self, origin: Origin, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        self.posts += 1
        return await super().post(origin, headers, body)


async def _outcome(
    client: SubgraphClient,
) -> SubgraphResponse | str:
    try:
        return await client.fetch(
            "directory", "query ($v: Int) { a }", {"v": 1}, authorization="Bearer a.b.c"
        )
    except SubgraphUnavailable as unavailable:
        return str(unavailable)


@pytest.mark.parametrize(("mode", "answer"), ANSWERS)
async def test_the_lean_connections_and_aiohttp_give_the_same_outcome(
    mode: str, answer: bytes
) -> None:
    async with serving() as (server, origin), aiohttp.ClientSession() as session:
        server.mode, server.answer = mode, answer
        urls = {"directory": f"http://127.0.0.1:{origin.port}/graphql"}
        connections = _Counted(seconds=2)
        lean = SubgraphClient(session, urls, 2, connections=connections)
        plain = SubgraphClient(session, urls, 2)
        try:
            outcomes = [await _outcome(lean), await _outcome(plain)]
        finally:
            connections.close()
        assert connections.posts == 1  # the lean way was taken
        assert outcomes[0] == outcomes[1]
        # and the subgraph was asked the same question both ways
        lean_body, plain_body = (request.split(b"\r\n\r\n", 1)[1] for request in server.requests)
        assert lean_body == plain_body
