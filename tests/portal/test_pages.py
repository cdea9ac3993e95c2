"""The portal's pages and files as served: strict CSP, nothing inline, nothing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.portal.pages import PAGES, Page
from gateway.portal.routes import STATIC_FOLDER
from gateway.settings import load

PORTAL = Path(STATIC_FOLDER).parent


@pytest.fixture
async def client() -> httpx.AsyncClient:
    app = create_app(load({"WNWA_ENV": "test"}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
async def test_every_page_has_a_strict_policy_and_the_crisis_line(
    client: httpx.AsyncClient, page: Page
) -> None:
    async with client:
        response = await client.get(page.path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'none'" in policy
    assert "unsafe" not in policy
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert 'href="tel:988"' in response.text
    # scripts only by src, no inline handlers or style attributes
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == []
    assert re.search(r"\son[a-z]+=", response.text) is None
    assert " style=" not in response.text


async def test_static_files_carry_the_policy(client: httpx.AsyncClient) -> None:
    async with client:
        response = await client.get("/portal/static/lib.js")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_nothing_is_loaded_from_elsewhere_or_kept_in_the_browser() -> None:
    files = [*PORTAL.glob("*.html"), *(f for f in STATIC_FOLDER.glob("*") if f.suffix != ".png")]
    assert files
    for file in files:
        content = file.read_text(encoding="utf-8")
        assert re.search(r"(src|href)=\"(https?:)?//", content) is None, file.name
        assert "@import" not in content, file.name
        assert "url(" not in content, file.name
        for storage in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
            assert storage not in content, (file.name, storage)


async def test_a_visitor_at_the_root_learns_what_the_network_is(client: httpx.AsyncClient) -> None:
    async with client:
        visitor = await client.get("/")
        client.cookies.set("wnwa_access", "anything")
        member = await client.get("/")
    assert visitor.status_code == 200
    assert "confidential peer-support network for police officers" in visitor.text
    assert 'href="/sign-in"' in visitor.text
    assert 'id="tiles"' not in visitor.text
    # with a session cookie the same address is the signed-in home (its script checks it)
    assert 'id="tiles"' in member.text
    assert "/portal/static/home.js" in member.text


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
async def test_every_page_links_the_privacy_policy_and_terms(
    client: httpx.AsyncClient, page: Page
) -> None:
    async with client:
        response = await client.get(page.path)
    footer = response.text.split('<footer class="foot">')[1]
    for link in ("/about", "/faq", "/training", "/crisis", "/privacy", "/terms"):
        assert f'href="{link}"' in footer


async def test_the_public_pages_answer_what_visitors_ask(client: httpx.AsyncClient) -> None:
    async with client:
        faq = (await client.get("/faq")).text
        privacy = (await client.get("/privacy")).text
        terms = (await client.get("/terms")).text
        training = (await client.get("/training")).text
    for anchor in ("why-elsewhere", "joining", "terms", "fees", "vetting", "recorded"):
        assert f'id="{anchor}"' in faq
    assert "three years" in faq
    assert "a year at a time" in faq
    assert "other arrangements" in faq
    # what vetting promises, kept by the professionals service (test_ethics, test_experience)
    words = " ".join(faq.split())
    assert "ethical principles, guidelines and code of conduct" in words
    assert "prior experience treating police officers" in words
    assert "What we never record" in privacy
    assert "ordered to hand over" in privacy
    assert "not an emergency service" in terms
    assert "What the training covers" in training


async def test_the_crisis_lines_dial_the_extension_and_prefill_the_keyword(
    client: httpx.AsyncClient,
) -> None:
    async with client:
        crisis = (await client.get("/crisis")).text
    assert 'href="tel:988"' in crisis
    assert 'href="tel:988,1"' in crisis  # the Veterans Crisis Line: 988, then 1
    assert 'href="sms:741741?&amp;body=HOME"' in crisis  # Crisis Text Line's keyword


async def test_the_app_is_installable_and_its_worker_keeps_only_public_pages(
    client: httpx.AsyncClient,
) -> None:
    async with client:
        manifest = await client.get("/manifest.webmanifest")
        worker = await client.get("/service-worker.js")
        page = await client.get("/crisis")
        icons = [await client.get(icon["src"]) for icon in manifest.json()["icons"]]
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.json()["start_url"] == "/"
    assert manifest.json()["display"] == "standalone"
    assert {icon.status_code for icon in icons} == {200}
    assert {icon["sizes"] for icon in manifest.json()["icons"]} >= {"192x192", "512x512"}
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "manifest-src 'self'" in page.headers["content-security-policy"]
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    # what the worker may keep: public pages and the shell, never the API or signed-in pages
    kept = re.findall(r'"(/[^"]*)"', worker.text.split("const KEPT")[0])
    assert "/crisis" in kept
    for private in (
        "/graphql",
        "/auth",
        "/supporters",
        "/professionals",
        "/my-profile",
        "/documents",
    ):
        assert not any(url.startswith(private) for url in kept), private
