"""The portal's pages drawn from the network's data, rendered on the server: news and
updates (`/news`, `/news/{slug}`, the Atom feed `/news.atom`) and the public figures.

They ask the gateway's own GraphQL executor for public fields only, without any token,
exactly as a visitor's browser could; nothing about the reader is passed on.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.portal.pages import Page, layout
from servicekit.clock import SYSTEM_CLOCK
from servicekit.control_characters import holds_control_character
from servicekit.settings import PublicUrl

NEWS = Page("news", "/news", "News and updates", signed_in=False, script=False)
FIGURES = Page("figures", "/figures", "The network in figures", signed_in=False, script=False)

_LIST = (
    """query News { news(first: 50) { id slug title summary bodyHtml publishedOn updatedAt } }"""
)
_ONE = """query Post($slug: String!) { newsPost(slug: $slug) { title bodyHtml publishedOn } }"""
_FIGURES = """query Figures { networkFigures { memberDepartments counties states
  activePeerSupporters vettedProfessionals resources }
  visitFigures(days: 30) { day pageViews installs } }"""
_SURVEY = """query SurveyResults { supporterSurveyResults { quarter answers minimumAnswers
  questions { text answers { text percent } } } }"""
_UNAVAILABLE = (
    '<p class="form-errors" role="alert">This page cannot be shown right now. Please try again '
    'in a few minutes. The <a href="/crisis">crisis lines</a> are always open.</p>'
)


async def _ask(request: Request, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The answer's data, or None when the network could not answer."""
    answer = await request.app.state.gateway.run(query, variables or {}, None, None)
    return None if answer.get("errors") or not answer.get("data") else answer["data"]


def _long_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def _html(
    page: Page,
    body: str,
    headers: dict[str, str],
    *,
    title: str | None = None,
    status_code: int = 200,
) -> Response:
    return HTMLResponse(layout(page, body, title=title), status_code=status_code, headers=headers)


async def news_list(request: Request, headers: dict[str, str]) -> Response:
    data = await _ask(request, _LIST)
    if data is None:
        return _html(NEWS, _UNAVAILABLE, headers, status_code=503)
    posts = data["news"]
    items = "".join(
        f'<li class="result"><h2 class="h3"><a href="/news/{escape(p["slug"])}">'
        f"{escape(p['title'])}</a></h2>"
        f'<p class="meta"><time datetime="{escape(p["publishedOn"])}">'
        f"{_long_date(p['publishedOn'])}</time></p><p>{escape(p['summary'])}</p></li>"
        for p in posts
    )
    body = (
        '<p class="lede">What is new in the network: departments joining, training, changes to '
        'the portal. Follow it in any feed reader with the <a href="/news.atom">Atom feed</a>; '
        "no account, no tracking.</p>"
        + (f'<ul class="results">{items}</ul>' if posts else "<p>No news yet.</p>")
    )
    return _html(NEWS, body, headers)


async def news_post(request: Request, headers: dict[str, str]) -> Response:
    slug = str(request.path_params["slug"])[:80]
    # no post's address holds a control character (membership would refuse it as bad input)
    unknown = holds_control_character(slug)
    data = {"newsPost": None} if unknown else await _ask(request, _ONE, {"slug": slug})
    if data is None:
        return _html(NEWS, _UNAVAILABLE, headers, status_code=503)
    post = data["newsPost"]
    if post is None:
        body = '<p>There is no such post. See <a href="/news">all news</a>.</p>'
        return _html(NEWS, body, headers, title="Post not found", status_code=404)
    # bodyHtml is escaped by membership's renderer, and the policy forbids inline script anyway
    body = (
        f'<p class="meta"><time datetime="{escape(post["publishedOn"])}">'
        f"{_long_date(post['publishedOn'])}</time></p>"
        f'<div class="article">{post["bodyHtml"]}</div>'
        '<p><a href="/news">All news and updates</a></p>'
    )
    return _html(NEWS, body, headers, title=post["title"])


async def news_feed(request: Request, headers: dict[str, str], public_url: PublicUrl) -> Response:
    """The Atom feed. Shared caches keep it (public, five minutes), so nothing in it may come
    from the request: its addresses are ``public_url``'s, never the ``Host`` header's, and
    an entry's id is its post's, which no move of the site changes."""
    data = await _ask(request, _LIST)
    if data is None:
        return Response(
            "The feed is not available right now.",
            status_code=503,
            media_type="text/plain",
            headers=headers,
        )
    posts = data["news"]
    updated = max((p["updatedAt"] for p in posts), default=SYSTEM_CLOCK.now().isoformat())
    entries = "".join(
        "<entry>"
        f"<title>{escape(p['title'])}</title>"
        f"<id>urn:uuid:{escape(p['id'])}</id>"
        f'<link rel="alternate" type="text/html" href="{_at(public_url, "/news/", p["slug"])}"/>'
        f"<published>{escape(p['publishedOn'])}T00:00:00Z</published>"
        f"<updated>{escape(p['updatedAt'])}</updated>"
        f"<summary>{escape(p['summary'])}</summary>"
        f'<content type="html">{escape(p["bodyHtml"])}</content>'
        "</entry>"
        for p in posts
    )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>WeNeverWalkAlone: news and updates</title>"
        f"<id>{_at(public_url, '/news')}</id>"
        f'<link rel="self" type="application/atom+xml" href="{_at(public_url, "/news.atom")}"/>'
        f'<link rel="alternate" type="text/html" href="{_at(public_url, "/news")}"/>'
        f"<updated>{escape(updated)}</updated>"
        "<author><name>WeNeverWalkAlone</name></author>"
        f"{entries}</feed>"
    )
    return Response(
        feed,
        media_type="application/atom+xml",
        headers={**headers, "Cache-Control": "public, max-age=300"},
    )


def _at(public_url: PublicUrl, path: str, segment: str = "") -> str:
    """An absolute address for the feed, escaped for an XML attribute or element."""
    return escape(public_url.link(path + quote(segment, safe="")))


def _figure(label: str, value: int | None) -> str:
    shown = "—" if value is None else f"{value:,}"
    return f"<div><dt>{escape(label)}</dt><dd>{shown}</dd></div>"


def _visits(days: list[dict[str, Any]]) -> str:
    views = sum(d["pageViews"] for d in days)
    installs = sum(d["installs"] for d in days)
    rows = "".join(
        f"<tr><td>{_long_date(d['day'])}</td><td>{d['pageViews']:,}</td>"
        f"<td>{d['installs']:,}</td></tr>"
        for d in reversed(days[-7:])
    )
    table = (
        '<div class="scroll"><table class="stack" id="visits-by-day"><caption class="meta">'
        'The last days counted</caption><thead><tr><th scope="col">Day</th>'
        '<th scope="col">Pages opened</th><th scope="col">App installs</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        if days
        else "<p>No day has been counted yet: a day's totals appear once it is over.</p>"
    )
    return (
        '<h2 id="visits">Visits, counted without tracking</h2>'
        "<p>The portal counts how many pages were opened each day and how many times the app "
        "was installed — two numbers a day, nothing else. It does not look at who opened a "
        "page, from where, on what device, or which page it was.</p>"
        '<dl class="figures" id="visit-figures">'
        + _figure("Pages opened, last 30 days", views)
        + _figure("App installs, last 30 days", installs)
        + "</dl>"
        + table
    )


def _survey(results: dict[str, Any] | None) -> str:
    """The latest closed quarter's supporter survey, or why it is not shown."""
    heading = '<h2 id="survey">What peer supporters say</h2>'
    intro = (
        "<p>Each quarter peer supporters may answer three questions. Nothing ties an answer to "
        "a supporter or a department: only network-wide counts are kept, each with deliberate "
        "noise, so the shares are approximate.</p>"
    )
    if results is None:
        return heading + intro + "<p>The survey results cannot be shown right now.</p>"
    quarter = escape(results["quarter"].replace("-Q", ", quarter "))
    if results["answers"] is None:
        return (
            heading
            + intro
            + f"<p>Too few supporters answered in {quarter} for results to be shown: they "
            f"appear once about {results['minimumAnswers']} have answered in a quarter.</p>"
        )
    rows = "".join(
        f'<tr><th scope="row">{escape(q["text"])}</th><td>'
        + "; ".join(f"{escape(a['text'])} {a['percent']}%" for a in q["answers"])
        + "</td></tr>"
        for q in results["questions"]
    )
    return (
        heading
        + intro
        + f'<div class="scroll"><table class="stack" id="survey-results"><caption class="meta">'
        f"{quarter}: about {results['answers']:,} supporters answered</caption>"
        '<thead><tr><th scope="col">Question</th><th scope="col">Answers</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


async def figures(request: Request, headers: dict[str, str]) -> Response:
    data = await _ask(request, _FIGURES)
    if data is None:
        return _html(FIGURES, _UNAVAILABLE, headers, status_code=503)
    f = data["networkFigures"]
    survey = await _ask(request, _SURVEY)  # apart: the figures show even if it fails
    body = (
        '<p class="lede">How big the network is today. Whole-network counts only: nothing here '
        "is about any one person.</p>"
        '<dl class="figures" id="network-figures">'
        + _figure("Member departments", f["memberDepartments"])
        + _figure("Counties", f["counties"])
        + _figure("States", f["states"])
        + _figure("Peer supporters", f["activePeerSupporters"])
        + _figure("Vetted professionals", f["vettedProfessionals"])
        + _figure("Resources", f["resources"])
        + "</dl>"
        '<p class="hint">A dash means that part of the network did not answer just now.</p>'
        + _survey(survey["supporterSurveyResults"] if survey else None)
        + _visits(data["visitFigures"])
    )
    return _html(FIGURES, body, headers)
