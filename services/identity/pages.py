"""The few HTML pages identity shows: the sign-in form, a refused or failed sign-in, signed
out. They wear the portal's layout (its stylesheet, the 988 banner, its footer), served
through the gateway on the same origin, and carry no inline script or style.

A refused sign-in is often met at a bad moment, so each refusal says what to do next in
the refused person's own situation, and the crisis lines are always on the page.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from servicekit import portal_frame

# The portal's own policy; the sign-in form leaves out form-action, because its post is
# answered with a redirect to the department's provider on another origin.
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_HEAD = """<link rel="icon" href="data:,">
<link rel="stylesheet" href="/portal/static/portal.css">
<script type="module" src="/portal/static/clean-address.js"></script>
"""
_NAV = (("/about", "About"), ("/faq", "Questions"), ("/sign-in", "Sign in"))

_CRISIS = (
    '<section class="card" aria-labelledby="now-title"><h2 id="now-title">If you need someone '
    "now</h2><p>You do not need to sign in for these. They are free and confidential, any hour."
    '</p><p><a class="button call" href="tel:988">Call 988</a> '
    '<a class="button secondary" href="sms:988">Text 988</a> '
    '<a class="button secondary" href="/crisis">More crisis lines</a></p></section>'
)

# What to do next, by the reason admission gave (its sentences, kept in step by a test)
_NOT_A_MEMBER = (
    "<p>Your department has not joined the network, so there is no coordinator here to ask. "
    "Sign-in works only for officers of member departments.</p>"
    "<p>If you think your department should join, your chief, sheriff or wellness coordinator "
    'can read <a href="/faq#joining">how a department joins</a> and '
    '<a href="/join">ask us about it</a>; you can pass that on without giving your name.</p>'
)
_CIVILIAN = (
    "<p>Your department lets sworn officers sign in, and has not switched access on for "
    "civilian staff. Your department's peer-support coordinator can switch it on.</p>"
    '<p>Meanwhile the <a href="/crisis">crisis lines</a> are open to everyone, and the '
    '<a href="/about">about page</a> says what the network offers.</p>'
)
_NO_ROLE = (
    "<p>Your department's sign-in did not tell us whether you are a sworn officer or civilian "
    "staff. Your department's coordinator or IT team can check how the sign-in is set up. "
    "Nothing about you was kept.</p>"
)
_NOT_STAFF = (
    "<p>The network's staff sign-in is for vetters and administrators. Officers sign in "
    'through their own department: <a href="/sign-in">choose your department</a>.</p>'
)
_NEXT_STEPS = {
    "Your department is not known to the network.": _NOT_A_MEMBER,
    "Your department is not an active member of the network.": _NOT_A_MEMBER,
    "Your department has not enabled access for civilian staff.": _CIVILIAN,
    "Your department's sign-in did not say you are a sworn officer or civilian staff.": _NO_ROLE,
    "Your account is not one of the network's staff roles.": _NOT_STAFF,
}
_TRY_AGAIN = (
    '<p>Nothing was recorded. <a href="/sign-in">Start again</a>; if it keeps happening, '
    "your department's coordinator or IT team can check its sign-in.</p>"
)


def page(
    title: str, body: str, *, status_code: int = 200, posts_elsewhere: bool = False
) -> HTMLResponse:
    """One of identity's pages in the portal's layout."""
    policy = _POLICY if posts_elsewhere else f"{_POLICY}; form-action 'self'"
    html = portal_frame.document(
        title=title,
        name="identity",
        head=_HEAD,
        nav=portal_frame.nav_items(_NAV),
        body=body,
        foot=portal_frame.footer(install_button=False),
    )
    return HTMLResponse(
        html, status_code=status_code, headers={**_HEADERS, "Content-Security-Policy": policy}
    )


def sign_in_form(problem: str | None = None) -> HTMLResponse:
    notice = f'<p class="form-errors" role="alert">{escape(problem)}</p>' if problem else ""
    return page(
        "Sign in",
        f"{notice}<p>Sign in with your department's own account. Enter your work email; "
        "it is used only to find your department's sign-in and is not kept.</p>"
        '<form method="post" action="/auth/login" class="card">'
        '<label for="email">Work email</label>'
        '<input id="email" name="email" type="email" autocomplete="email" required>'
        '<button type="submit">Continue</button></form>'
        '<p>Is your department a member? See <a href="/faq#joining">how departments join</a>. '
        'The <a href="/crisis">crisis lines</a> need no sign-in.</p>',
        status_code=400 if problem else 200,
        posts_elsewhere=True,
    )


def sign_in_failed(reason: str, *, status_code: int = 400) -> HTMLResponse:
    next_step = _NEXT_STEPS.get(reason, _TRY_AGAIN)
    return page(
        "We could not sign you in",
        f'<p class="form-errors" role="alert">{escape(reason)}</p>{next_step}{_CRISIS}',
        status_code=status_code,
    )


def signed_out() -> HTMLResponse:
    return page(
        "You are signed out",
        "<p>Your session cookies are gone from this browser. Nothing about your visit was "
        'kept.</p><p><a class="button" href="/sign-in">Sign in again</a> '
        '<a class="button secondary" href="/">Home</a></p>' + _CRISIS,
    )
