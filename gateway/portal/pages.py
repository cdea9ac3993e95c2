"""The portal's pages: each is a body fragment (`<name>.html` beside this file) in one layout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape
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
    Page("codes", "/codes", "Enrollment codes and passkeys"),
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

# What search engines and link previews show for a page (public pages, and the signed-in
# ones in one line); a page without its own gets the network's.
_NETWORK = (
    "A confidential peer-support network for police officers: peer supporters from other "
    "departments, vetted professionals and crisis lines, with nothing an officer does recorded."
)
DESCRIPTIONS = {
    "welcome": _NETWORK,
    "sign-in": "Sign in with your department's account, a passkey or an enrollment code to "
    "find peer supporters and vetted professionals.",
    "apply": "Licensed counselors, psychologists and psychiatrists who treat police officers "
    "apply here to be vetted and listed by the network.",
    "application-status": "Applied as a professional? Enter your reference and status code "
    "to see where your application stands.",
    "join": "Bring confidential peer support to your department: ask about joining, request "
    "a demo or book a time to see the network.",
    "enroll": "Turn the one-time enrollment code your coordinator gave you into a passkey "
    "on this device.",
    "about": "Why officers talk to peers from another department, what they find in the "
    "network and how departments take part.",
    "faq": "Questions and answers: joining, membership terms, fees, civilian staff, vetting "
    "of professionals and what is never recorded.",
    "training": "What peer-support training covers, who can become a peer supporter and how "
    "departments arrange it.",
    "crisis": "Crisis lines open at any hour: 988, COPLINE and Safe Call Now for officers, "
    "the Veterans Crisis Line, Crisis Text Line and 911.",
    "self-check": "Four standard self-checks (depression, anxiety, post-traumatic stress, "
    "alcohol), scored on this device; nothing is sent or kept.",
    "privacy": "What the network keeps, what it never records and what anyone could ever "
    "obtain, in plain words.",
    "terms": "The terms of use of the peer-support network for police officers, in plain words.",
    "news": "News and updates from the peer-support network for police officers: departments "
    "joining, training and changes to the portal.",
    "figures": "The network in figures: member departments, counties, states, peer "
    "supporters, vetted professionals and anonymous daily visit totals.",
    "not-found": "This address is not a page of the network. The crisis lines and the "
    "public pages are linked here.",
}

NOT_FOUND = Page("not-found", "", "This page does not exist", signed_in=False, script=False)

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
    description = DESCRIPTIONS.get(page.name, _NETWORK)
    script = (
        f'<script type="module" src="/portal/static/{page.name}.js"></script>\n'
        if page.script
        else ""
    )
    return portal_frame.document(
        title=title or page.title,
        name=page.name,
        head=f'<meta name="description" content="{escape(description)}">\n' + _HEAD + script,
        nav=nav,
        body=body,
        foot=portal_frame.footer(install_button=True),
    )
