"""identity's pages wear the portal's layout and tell a refused person what to do next."""

from __future__ import annotations

import re

import pytest
from starlette.responses import HTMLResponse

from servicekit.portal_frame import FOOTER_LINKS
from services.identity import pages
from services.identity.admission import Standing, admit
from services.identity.oidc import SignInProblem


def refusal(roles: set[str], *, is_network: bool = False, standing: Standing | None) -> str:
    with pytest.raises(SignInProblem) as refused:
        admit(roles, is_network=is_network, standing=standing)
    return str(refused.value)


@pytest.mark.parametrize(
    ("reason", "next_step"),
    [
        (refusal({"officer"}, standing=None), 'href="/faq#joining"'),
        (refusal({"officer"}, standing=Standing(False, True)), "no coordinator here to ask"),
        (refusal({"civilian"}, standing=Standing(True, False)), "coordinator can switch it on"),
        (refusal(set(), standing=Standing(True, True)), "coordinator or IT team"),
        (refusal({"officer"}, is_network=True, standing=None), "choose your department"),
    ],
)
def test_every_refusal_has_its_own_next_step_and_the_crisis_lines(
    reason: str, next_step: str
) -> None:
    page = bytes(pages.sign_in_failed(reason).body).decode()
    assert next_step in page
    assert "Start again" not in page  # the generic advice is for technical failures only
    assert 'href="tel:988"' in page
    assert page.count('href="/crisis"') >= 2


def test_a_technical_failure_suggests_starting_again() -> None:
    page = pages.sign_in_failed("The answer came from a different identity provider.")
    assert 'href="/sign-in">Start again' in bytes(page.body).decode()


@pytest.mark.parametrize(
    "response",
    [pages.sign_in_failed("x"), pages.signed_out(), pages.sign_in_form("Check it")],
    ids=["failed", "signed-out", "form"],
)
def test_the_pages_use_the_portal_layout_under_a_strict_policy(response: object) -> None:
    assert isinstance(response, HTMLResponse)
    html = bytes(response.body).decode()
    policy = response.headers["content-security-policy"]
    assert "'unsafe" not in policy
    assert "script-src 'self'" in policy
    assert '<link rel="stylesheet" href="/portal/static/portal.css">' in html
    assert '<script type="module" src="/portal/static/clean-address.js">' in html
    assert re.search(r"<(style|script)(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html
    footer = html.split('<footer class="foot">')[1]
    assert re.findall(r'href="([^"]+)"', footer)[1:] == [href for href, _ in FOOTER_LINKS]
