"""The few HTML pages identity shows: the sign-in form, errors, signed out. No scripts."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;"
    "color:#1d2433}h1{font-size:1.4rem}input{font:inherit;padding:.4rem;width:100%;"
    "box-sizing:border-box}button{font:inherit;padding:.5rem 1rem;margin-top:.8rem}"
    ".problem{background:#fdecec;border-left:4px solid #b3261e;padding:.6rem 1rem}"
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def page(title: str, body: str, *, status_code: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · WeNeverWalkAlone</title><style>{_STYLE}</style>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def sign_in_form(problem: str | None = None) -> HTMLResponse:
    notice = f"<p class=problem role=alert>{escape(problem)}</p>" if problem else ""
    return page(
        "Sign in",
        f"{notice}<p>Sign in with your department's own account. Enter your work email; "
        "it is used only to find your department's sign-in and is not kept.</p>"
        '<form method=post action="/auth/login"><label for=email>Work email</label>'
        "<input id=email name=email type=email autocomplete=email required>"
        "<button type=submit>Continue</button></form>",
        status_code=400 if problem else 200,
    )


def sign_in_failed(reason: str, *, status_code: int = 400) -> HTMLResponse:
    return page(
        "We could not sign you in",
        f"<p class=problem role=alert>{escape(reason)}</p>"
        '<p>Nothing was recorded. <a href="/auth/login">Start again</a>, or ask your '
        "department's coordinator if this keeps happening.</p>",
        status_code=status_code,
    )


def signed_out() -> HTMLResponse:
    return page("You are signed out", '<p><a href="/auth/login">Sign in again</a></p>')
