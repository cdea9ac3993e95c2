"""The frame every page of the portal's origin wears: the gateway's own pages and identity's
sign-in pages alike (same stylesheet, the crisis banner first — 988 and the 24-hour lines run
by and for officers — the same footer), so the crisis lines and the public links cannot drift
apart between the two."""

from __future__ import annotations

from html import escape

FOOTER_LINKS = (
    ("/about", "About"),
    ("/faq", "Questions and answers"),
    ("/training", "Training"),
    ("/news", "News"),
    ("/figures", "Figures"),
    ("/crisis", "Crisis lines"),
    ("/self-check", "Self-checks"),
    ("/privacy", "Privacy"),
    ("/terms", "Terms of use"),
)

_DOCUMENT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>{title} · WeNeverWalkAlone</title>
{head}</head>
<body data-page="{name}">
<a class="skip" href="#main">Skip to content</a>
<p class="crisis" id="crisis">In crisis, or worried about someone?
<a href="tel:988">Call 988</a> or <a href="sms:988">text 988</a>, any hour.
For officers:
<a href="tel:+18002675463" aria-label="Call COPLINE, 1-800-267-5463">COPLINE</a>,
<a href="tel:+12064593020" aria-label="Call Safe Call Now, 1-206-459-3020">Safe Call Now</a>.
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


def nav_items(links: tuple[tuple[str, str], ...], current: str | None = None) -> str:
    """``<li>`` links, the current page marked for assistive technology."""
    return "".join(
        f'<li><a href="{href}"{" aria-current=page" if href == current else ""}>'
        f"{escape(label)}</a></li>"
        for href, label in links
    )


def footer(*, install_button: bool) -> str:
    """The statement of what is recorded and the public links."""
    button = (
        '<button type="button" class="secondary" id="install" hidden>Install the app</button>\n'
        if install_button
        else ""
    )
    return (
        '<footer class="foot">\n'
        "<p>Nothing you search, view or call here is recorded.\n"
        '<a href="/privacy">What we record and what we do not</a>.</p>\n'
        f'<nav aria-label="About the network"><ul class="foot-links">{nav_items(FOOTER_LINKS)}'
        "</ul></nav>\n"
        f"{button}</footer>"
    )


def document(*, title: str, name: str, head: str, nav: str, body: str, foot: str) -> str:
    """A whole page: ``title`` is escaped here; ``head`` (lines ending in a newline), ``nav``
    (list items), ``body`` and ``foot`` are safe HTML already."""
    return _DOCUMENT.format(
        title=escape(title), name=name, head=head, nav=nav, body=body, footer=foot
    )
