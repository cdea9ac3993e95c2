"""The portal's pages and files as served: strict CSP, nothing inline, nothing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.portal import published
from gateway.portal.pages import PAGES, Page, layout, render
from gateway.portal.routes import SITE_DIGEST, STATIC_FOLDER, site_digest
from gateway.settings import load

PORTAL = Path(STATIC_FOLDER).parent
# COPLINE (1-800-COPLINE, per copline.org) and Safe Call Now
OFFICERS_LINES = ("tel:+18002675463", "tel:+12064593020")


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
    # the 24-hour lines run by and for officers, in the banner beside 988
    banner = response.text.split('id="crisis"')[1].split("</p>")[0]
    for line in OFFICERS_LINES:
        assert f'href="{line}"' in banner
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


# the one thing a page keeps in the browser: a peer supporter's own device key for messages
# (private half non-extractable), which must outlive the page (docs/conversations.md)
KEPT_ON_PURPOSE = {("messages.js", "indexedDB")}


def test_nothing_is_loaded_from_elsewhere_or_kept_in_the_browser() -> None:
    files = [*PORTAL.glob("*.html"), *(f for f in STATIC_FOLDER.glob("*") if f.suffix != ".png")]
    assert files
    for file in files:
        content = file.read_text(encoding="utf-8")
        assert re.search(r"(src|href)=\"(https?:)?//", content) is None, file.name
        assert "@import" not in content, file.name
        assert re.search(r"(?<![\w$])url\(", content) is None, file.name  # CSS url(), not b64url(
        for storage in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
            if (file.name, storage) in KEPT_ON_PURPOSE:
                continue
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
    lines = crisis.split('id="crisis-lines"')[1]
    # the officers' own lines come right after 988, each written out as well as linked
    order = [
        lines.index(href) for href in ('href="tel:988"', *map('href="{}"'.format, OFFICERS_LINES))
    ]
    assert order == sorted(order)
    assert order[-1] < lines.index('href="tel:988,1"')
    assert "1-800-267-5463" in lines
    assert "1-206-459-3020" in lines


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


async def test_the_self_checks_are_served_but_never_counted() -> None:
    app = create_app(load({"WNWA_ENV": "test"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        await client.get("/crisis")
        page = await client.get("/self-check")
        again = await client.get("/self-check")
    assert page.status_code == again.status_code == 200
    assert "set-cookie" not in page.headers
    assert "never leave this device" in page.text
    assert "/portal/static/self-check.js" in page.text
    # the crisis lines count as one view; the self-checks, twice opened, not at all
    assert sum(views for views, _ in app.state.visits.totals().values()) == 1


async def test_the_worker_names_its_copy_after_the_sites_content(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    async with client:
        worker = (await client.get("/service-worker.js")).text
    version = re.search(r'const VERSION = "wnwa-public-([0-9a-f]+)";', worker)
    assert version is not None, "the gateway writes the site's digest into the cache name"
    assert SITE_DIGEST not in worker
    # the public self-checks are kept for offline use with the modules they import
    for kept in ('"/self-check"', "self-check-scoring.js", "next-steps.js", '"/crisis"'):
        assert kept in worker.split("const KEPT")[0]
    # any change to a file (or a page) gives another digest, so browsers take the new worker
    for file in STATIC_FOLDER.iterdir():
        (tmp_path / file.name).write_bytes(file.read_bytes())
    pages = [render(page) for page in PAGES]
    assert site_digest(tmp_path, pages) == version.group(1)
    (tmp_path / "portal.css").write_text("/* changed */", encoding="utf-8")
    assert site_digest(tmp_path, pages) != version.group(1)
    assert site_digest(STATIC_FOLDER, [*pages[:-1], pages[-1] + " "]) != version.group(1)


@pytest.mark.parametrize("path", ["/no-such-page", "/supporters/extra", "/news-and-more"])
async def test_an_unknown_address_is_a_page_of_the_portal_with_the_crisis_lines(
    client: httpx.AsyncClient, path: str
) -> None:
    async with client:
        response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert 'href="tel:988"' in response.text
    assert '<link rel="stylesheet" href="/portal/static/portal.css">' in response.text
    main = response.text.split('id="main"')[1].split("</main>")[0]
    for link in ("/", "/crisis", "/faq", "/join", "/apply"):
        assert f'href="{link}"' in main
    assert '<meta name="description"' in response.text


@pytest.mark.parametrize(
    "path",
    ["/graphql/extra", "/documents", "/portal/static/nothing.js", "/healthz/more", "/api/v1"],
)
async def test_an_unknown_api_address_keeps_a_machine_answer(
    client: httpx.AsyncClient, path: str
) -> None:
    async with client:
        response = await client.get(path)
        posted = await client.post("/no-such-page", json={})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": "Not found."}
    # a program posting to an unknown address is not handed a page either
    assert posted.status_code == 404
    assert posted.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/mental-health-professional-sign-up", "/apply"),
        ("/contact", "/join"),
        ("/members", "/sign-in"),
    ],
)
async def test_the_addresses_the_network_used_publicly_lead_to_their_pages(
    client: httpx.AsyncClient, old: str, new: str
) -> None:
    async with client:
        response = await client.get(old)
        query = await client.get(f"{old}?from=flyer")
        followed = await client.get(old, follow_redirects=True)
    assert response.status_code == 301
    assert response.headers["location"] == new
    assert query.headers["location"] == new  # nothing from the address is carried along
    assert followed.status_code == 200


@pytest.mark.parametrize("page", [page for page in PAGES if not page.signed_in])
async def test_every_public_page_describes_itself(client: httpx.AsyncClient, page: Page) -> None:
    described = re.compile(r'<meta name="description" content="[^"]{40,}">')
    async with client:
        response = await client.get(page.path)
    assert described.search(response.text)
    # the pages drawn from the network's data wear the same layout
    for drawn in (published.NEWS, published.FIGURES):
        assert described.search(layout(drawn, "<p>Drawn.</p>")), drawn.name


def _words(html: str) -> str:
    """A page's text as one line: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_public_pages_say_what_the_product_does(client: httpx.AsyncClient) -> None:
    async with client:
        privacy, terms, about, faq, training = [
            _words((await client.get(path)).text)
            for path in ("/privacy", "/terms", "/about", "/faq", "/training")
        ]
    # a passkey's row is named field by field, with why (identity's passkeys table)
    assert "we hold nothing about you" not in privacy
    for kept in ("your department, your roles", "the last day it works", "never the label"):
        assert kept in privacy, kept
    assert "does not say whose it is" in privacy
    # the three ways in (docs/identity.md): department sign-in, passkey, enrollment code
    for page in (terms, about):
        assert "passkey" in page
        assert "enrollment code" in page
    # passkey re-entry: the department's system sees one sign-in per period, not each one
    department_sees = faq.split("Will my department know I used it?")[-1]
    assert "passkey" in department_sees
    assert "does not ask your department's system" in department_sees
    # who may be a peer supporter: the same on both pages, as identity and directory allow
    rule = (
        "Sworn officers of a member department, and civilian staff where the department has "
        "switched civilian access on, can become peer supporters once the department names them"
    )
    assert rule in faq
    assert rule in training


# British spellings a US reader stumbles on (code identifiers such as `organisationId` and
# GraphQL fields such as `cancelled` are not text anyone reads, and keep their names)
BRITISH = re.compile(
    r"(?<![\w.$`_-])(counsell\w*|enrol|enrols|enrolments?|licences?|organisations?|"
    r"neighbour\w*|colour\w*|recognis\w*|behaviour|centre|programme|judgement|"
    r"cancelled|cancelling|normalis\w*|authoris\w*|analys(e|ed)|defence|whilst)(?![\w`_(:-])",
    re.IGNORECASE,
)


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
async def test_every_page_speaks_american_english(client: httpx.AsyncClient, page: Page) -> None:
    async with client:
        text = _words((await client.get(page.path)).text)
    assert BRITISH.findall(text) == []


def test_the_scripts_messages_speak_american_english() -> None:
    for file in STATIC_FOLDER.glob("*.js"):
        strings = re.findall(r'"[^"\n]*"|`[^`]*`', file.read_text(encoding="utf-8"))
        words = [m.group(0) for s in strings for m in BRITISH.finditer(s)]
        # a GraphQL selection names the field `cancelled`: its name, not a word shown
        assert [w for w in words if w != "cancelled"] == [], file.name


async def test_a_visitor_page_learns_whether_to_renew_without_being_refused(
    client: httpx.AsyncClient,
) -> None:
    async with client:
        visitor = await client.get("/auth/renewable")
        client.cookies.set("wnwa_session", "sealed-by-identity", path="/auth")
        holder = await client.get("/auth/renewable")
    assert visitor.status_code == holder.status_code == 200
    assert visitor.json() == {"renewable": False}
    assert holder.json() == {"renewable": True}
    assert visitor.headers["cache-control"] == "no-store"
    script = (STATIC_FOLDER / "welcome.js").read_text(encoding="utf-8")
    assert script.index("/auth/renewable") < script.index("/auth/refresh")
