"""The portal's pages: each is a body fragment (`<name>.html` beside this file) in one layout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from servicekit import portal_frame

_FOLDER = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    path: str
    title: str
    signed_in: bool = True
    sign_in_form: bool = False
    script: bool = True  # the page has its own module, static/<name>.js
    # a view adds one to the day's anonymous page views; the self-checks promise nothing is
    # counted, not even that the page was opened
    counted: bool = True


PAGES = (
    Page("home", "/", "Home"),
    Page("welcome", "/", "Peer support for police officers, across departments", signed_in=False),
    Page("sign-in", "/sign-in", "Sign in", signed_in=False, sign_in_form=True),
    Page("supporters", "/supporters", "Find a peer supporter"),
    Page("professionals", "/professionals", "Find a professional"),
    Page("resources", "/resources", "Resources"),
    Page("profile", "/my-profile", "My peer-supporter profile"),
    Page("messages", "/messages", "Messages from officers"),
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
    Page(
        "self-check",
        "/self-check",
        "Self-checks, on this device only",
        signed_in=False,
        counted=False,
    ),
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
_HEAD = """<meta name="theme-color" content="#1f4e8c">
<link rel="icon" href="/portal/static/icon.svg" type="image/svg+xml">
<link rel="apple-touch-icon" href="/portal/static/icon-192.png">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="stylesheet" href="/portal/static/portal.css">
<script type="module" src="/portal/static/app.js"></script>
"""


@cache
def render(page: Page) -> str:
    """The page's full HTML (built once per process: the pages are static)."""
    return layout(page, (_FOLDER / f"{page.name}.html").read_text(encoding="utf-8"))


def layout(page: Page, body: str, *, title: str | None = None) -> str:
    """A body (already safe HTML) in the layout; ``title`` replaces the page's own."""
    nav = portal_frame.nav_items(_SIGNED_IN_NAV if page.signed_in else _PUBLIC_NAV, page.path)
    if page.signed_in:
        nav += '<li><a href="/auth/logout">Sign out</a></li>'
    script = (
        f'<script type="module" src="/portal/static/{page.name}.js"></script>\n'
        if page.script
        else ""
    )
    return portal_frame.document(
        title=title or page.title,
        name=page.name,
        head=_HEAD + script,
        nav=nav,
        body=body,
        foot=portal_frame.footer(install_button=True),
    )
