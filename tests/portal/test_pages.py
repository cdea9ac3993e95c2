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
    files = [*PORTAL.glob("*.html"), *STATIC_FOLDER.glob("*")]
    assert files
    for file in files:
        content = file.read_text(encoding="utf-8")
        assert re.search(r"(src|href)=\"(https?:)?//", content) is None, file.name
        assert "@import" not in content, file.name
        assert "url(" not in content, file.name
        for storage in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
            assert storage not in content, (file.name, storage)
