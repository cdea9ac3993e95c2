"""The portal's pages: each is a body fragment (`<name>.html` beside this file) in one layout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

_FOLDER = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    path: str
    title: str
    signed_in: bool = True
    sign_in_form: bool = False


PAGES = (
    Page("home", "/", "Home"),
    Page("sign-in", "/sign-in", "Sign in", signed_in=False, sign_in_form=True),
    Page("supporters", "/supporters", "Find a peer supporter"),
    Page("professionals", "/professionals", "Find a professional"),
    Page("resources", "/resources", "Resources"),
    Page("profile", "/my-profile", "My peer-supporter profile"),
    Page("department", "/department", "My department"),
    Page("admin", "/admin", "Network administration"),
    Page("vetting", "/vetting", "Vetting"),
    Page("apply", "/apply", "Apply as a professional", signed_in=False),
    Page("join", "/join", "Bring the network to your department", signed_in=False),
    Page("enroll", "/enroll", "Make your passkey", signed_in=False),
    Page("passkeys", "/passkeys", "My passkeys"),
    Page("codes", "/codes", "Enrolment codes and passkeys"),
)

_SIGNED_IN_NAV = (
    ("/", "Home"),
    ("/supporters", "Peer supporters"),
    ("/professionals", "Professionals"),
    ("/resources", "Resources"),
    ("/passkeys", "Passkeys"),
)
_PUBLIC_NAV = (("/sign-in", "Sign in"), ("/apply", "For professionals"), ("/join", "Join"))

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · WeNeverWalkAlone</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/portal/static/portal.css">
<script type="module" src="/portal/static/{name}.js"></script>
</head>
<body data-page="{name}">
<a class="skip" href="#main">Skip to content</a>
<p class="crisis" id="crisis">In crisis, or worried about someone?
<a href="tel:988">Call 988</a> or <a href="sms:988">text 988</a>, any hour.</p>
<header class="top">
<a class="brand" href="{home}">WeNeverWalkAlone</a>
<nav aria-label="Main"><ul>{nav}</ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>{title}</h1>
{body}
</main>
<footer class="foot">
<p>Nothing you search, view or call here is recorded.
<a href="/sign-in#what-we-record">What we record and what we do not</a>.</p>
</footer>
</body>
</html>
"""


@cache
def render(page: Page) -> str:
    """The page's full HTML (built once per process: the pages are static)."""
    body = (_FOLDER / f"{page.name}.html").read_text(encoding="utf-8")
    links = _SIGNED_IN_NAV if page.signed_in else _PUBLIC_NAV
    nav = "".join(
        f'<li><a href="{href}"{" aria-current=page" if href == page.path else ""}>'
        f"{escape(label)}</a></li>"
        for href, label in links
    )
    if page.signed_in:
        nav += '<li><a href="/auth/logout">Sign out</a></li>'
    return _LAYOUT.format(
        title=escape(page.title),
        name=page.name,
        home="/" if page.signed_in else "/sign-in",
        nav=nav,
        body=body,
    )
