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
    script: bool = True  # the page has its own module, static/<name>.js


PAGES = (
    Page("home", "/", "Home"),
    Page("welcome", "/", "Peer support for police officers, across departments", signed_in=False),
    Page("sign-in", "/sign-in", "Sign in", signed_in=False, sign_in_form=True),
    Page("supporters", "/supporters", "Find a peer supporter"),
    Page("professionals", "/professionals", "Find a professional"),
    Page("resources", "/resources", "Resources"),
    Page("profile", "/my-profile", "My peer-supporter profile"),
    Page("department", "/department", "My department"),
    Page("admin", "/admin", "Network administration"),
    Page("vetting", "/vetting", "Vetting"),
    Page("apply", "/apply", "Apply as a professional", signed_in=False),
    Page("application-status", "/application-status", "Your application's status", signed_in=False),
    Page("join", "/join", "Bring the network to your department", signed_in=False),
    Page("enroll", "/enroll", "Make your passkey", signed_in=False),
    Page("passkeys", "/passkeys", "My passkeys"),
    Page("codes", "/codes", "Enrolment codes and passkeys"),
    Page("about", "/about", "About the network", signed_in=False, script=False),
    Page("faq", "/faq", "Questions and answers", signed_in=False),
    Page("training", "/training", "Peer-support training", signed_in=False, script=False),
    Page("crisis", "/crisis", "Crisis lines, any hour", signed_in=False, script=False),
    Page("privacy", "/privacy", "Privacy policy", signed_in=False, script=False),
    Page("terms", "/terms", "Terms of use", signed_in=False, script=False),
)

_SIGNED_IN_NAV = (
    ("/", "Home"),
    ("/supporters", "Peer supporters"),
    ("/professionals", "Professionals"),
    ("/resources", "Resources"),
)
_PUBLIC_NAV = (
    ("/about", "About"),
    ("/faq", "Questions"),
    ("/news", "News"),
    ("/join", "Join"),
    ("/apply", "For professionals"),
    ("/sign-in", "Sign in"),
)
FOOTER_LINKS = (
    ("/about", "About"),
    ("/faq", "Questions and answers"),
    ("/training", "Training"),
    ("/news", "News"),
    ("/figures", "Figures"),
    ("/crisis", "Crisis lines"),
    ("/privacy", "Privacy"),
    ("/terms", "Terms of use"),
)

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>{title} · WeNeverWalkAlone</title>
<meta name="theme-color" content="#1f4e8c">
<link rel="icon" href="/portal/static/icon.svg" type="image/svg+xml">
<link rel="apple-touch-icon" href="/portal/static/icon-192.png">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="stylesheet" href="/portal/static/portal.css">
<script type="module" src="/portal/static/app.js"></script>
{script}</head>
<body data-page="{name}">
<a class="skip" href="#main">Skip to content</a>
<p class="crisis" id="crisis">In crisis, or worried about someone?
<a href="tel:988">Call 988</a> or <a href="sms:988">text 988</a>, any hour.
<a href="/crisis">More crisis lines</a></p>
<header class="top">
<a class="brand" href="/">WeNeverWalkAlone</a>
<nav aria-label="Main"><ul>{nav}</ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>{title}</h1>
{body}
</main>
{footer}
</body>
</html>
"""


def footer() -> str:
    """The footer every page carries (identity's pages too): the statement and public links."""
    links = "".join(
        f'<li><a href="{href}">{escape(label)}</a></li>' for href, label in FOOTER_LINKS
    )
    return (
        '<footer class="foot">\n'
        "<p>Nothing you search, view or call here is recorded.\n"
        '<a href="/privacy">What we record and what we do not</a>.</p>\n'
        f'<nav aria-label="About the network"><ul class="foot-links">{links}</ul></nav>\n'
        '<button type="button" class="secondary" id="install" hidden>Install the app</button>\n'
        "</footer>"
    )


@cache
def render(page: Page) -> str:
    """The page's full HTML (built once per process: the pages are static)."""
    return layout(page, (_FOLDER / f"{page.name}.html").read_text(encoding="utf-8"))


def layout(page: Page, body: str, *, title: str | None = None) -> str:
    """A body (already safe HTML) in the layout; ``title`` replaces the page's own."""
    links = _SIGNED_IN_NAV if page.signed_in else _PUBLIC_NAV
    nav = "".join(
        f'<li><a href="{href}"{" aria-current=page" if href == page.path else ""}>'
        f"{escape(label)}</a></li>"
        for href, label in links
    )
    if page.signed_in:
        nav += '<li><a href="/auth/logout">Sign out</a></li>'
    script = (
        f'<script type="module" src="/portal/static/{page.name}.js"></script>\n'
        if page.script
        else ""
    )
    return _LAYOUT.format(
        title=escape(title or page.title),
        name=page.name,
        script=script,
        nav=nav,
        body=body,
        footer=footer(),
    )
