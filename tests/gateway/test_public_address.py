"""Absolute addresses come from the one configured public URL, never from the request's Host
header; an https deployment tells browsers to come back over https only (HSTS)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.settings import load
from tests.gateway.conftest import Federation, _subgraph
from tests.support.database import TemplateDatabases
from tests.support.graphql import running
from tests.support.tokens import TokenIssuer

PUBLIC_URL = "https://portal.wnwa.example"
ATOM = "{http://www.w3.org/2005/Atom}"
HSTS = "max-age=63072000; includeSubDomains"


@pytest.fixture(scope="module")
async def membership_only(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[Federation]:
    """Membership's subgraph with one news post: all the feed asks of the network."""
    async with _subgraph("membership", databases, issuer) as (url, database_url):
        db = await asyncpg.connect(database_url)
        try:
            await db.execute(
                "INSERT INTO news_posts (slug, title, body, published_on)"
                " VALUES ('peer-support-week', 'Peer support week', 'Join us.', '2020-01-01')"
            )
        finally:
            await db.close()
        yield Federation(
            urls={"membership": url}, database_urls={"membership": database_url}, issuer=issuer
        )


@contextlib.asynccontextmanager
async def gateway_at(
    federation: Federation, public_url: str | None
) -> AsyncIterator[httpx.AsyncClient]:
    overrides = {"WNWA_PUBLIC_URL": public_url} if public_url else {}
    app = create_app(load(federation.gateway_environment(**overrides)))
    async with running(app) as http:
        yield http


async def test_the_host_header_cannot_change_the_feed(membership_only: Federation) -> None:
    async with gateway_at(membership_only, PUBLIC_URL) as http:
        honest = await http.get("/news.atom")
        poisoned = await http.get("/news.atom", headers={"Host": "evil.example"})
    assert honest.status_code == poisoned.status_code == 200
    assert honest.headers["cache-control"] == "public, max-age=300"
    assert "evil.example" not in poisoned.text
    assert poisoned.content == honest.content
    feed = ElementTree.fromstring(honest.content)  # noqa: S314 (our own feed, in a test)
    assert feed.findtext(f"{ATOM}id") == f"{PUBLIC_URL}/news"
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert f"{PUBLIC_URL}/news.atom" in links
    assert f"{PUBLIC_URL}/news/peer-support-week" in links
    assert all(str(link).startswith(f"{PUBLIC_URL}/") for link in links)
    [entry] = feed.iter(f"{ATOM}entry")
    assert str(entry.findtext(f"{ATOM}id")).startswith("urn:uuid:")


async def test_https_deployments_send_hsts_on_every_answer(membership_only: Federation) -> None:
    async with gateway_at(membership_only, PUBLIC_URL) as http:
        answers = [
            await http.get("/healthz"),
            await http.get("/news"),
            await http.get("/no-such-page"),
            await http.get("/portal/static/no-such-file.css"),
            await http.get("/auth/departments"),  # identity is not running: the gateway answers
            await http.post("/graphql", json={"query": "{ __typename }"}),
            await http.post("/graphql", content=b"{", headers={"content-type": "text/plain"}),
        ]
    for answer in answers:
        assert answer.headers.get_list("strict-transport-security") == [HSTS], answer.url


async def test_plain_http_development_sends_no_hsts(membership_only: Federation) -> None:
    async with gateway_at(membership_only, None) as http:
        answers = [
            await http.get("/healthz"),
            await http.get("/news"),
            await http.post("/graphql", json={"query": "{ __typename }"}),
        ]
    for answer in answers:
        assert "strict-transport-security" not in answer.headers
