"""A person signs in with their department's SSO and uses the API, all through the gateway."""

from __future__ import annotations

import pytest

from tests.support.stack import Stack, sign_in

pytestmark = pytest.mark.slow  # runs the whole stack

ME = "{ me { roles department { id name county } } }"


def test_an_officer_signs_in_and_the_cookie_opens_the_api(stack: Stack) -> None:
    with stack.browser() as browser:
        landing = sign_in(browser, "dana.whitlock@harlow-park.pd.example")
        # identity sends the browser home: the portal, on the gateway's origin
        assert landing.status_code == 200
        assert str(landing.url) == f"{stack.gateway}/"
        # and a developer signed in the same way has GraphiQL on the same origin
        playground = browser.get("/graphql")
        assert "graphiql.min.js" in playground.text
        cookie_names = {cookie.name for cookie in browser.cookies.jar}
        assert "wnwa_access" in cookie_names

        answer = browser.post("/graphql", json={"query": ME}).json()
        me = answer["data"]["me"]
        assert me["roles"] == ["OFFICER"]
        # `department` is identity's stub; its name and county come from membership
        assert me["department"]["name"] == "Harlow Park Police Department"
        assert me["department"]["county"] == "Cook"

        search = browser.post(
            "/graphql",
            json={
                "query": """{ searchPeerSupporters(first: 50) {
                    matches { supporter { telLink department { name } } } } }"""
            },
        ).json()
        matches = search["data"]["searchPeerSupporters"]["matches"]
        assert matches
        assert all(
            m["supporter"]["department"]["name"] != "Harlow Park Police Department" for m in matches
        )
        assert all(m["supporter"]["telLink"].startswith("tel:+1") for m in matches)


def test_signing_out_closes_the_api_again(stack: Stack) -> None:
    with stack.browser() as browser:
        sign_in(browser, "ruth.kowalczyk@fenwood.pd.example")
        assert browser.post("/graphql", json={"query": ME}).json()["data"]["me"]["roles"]
        browser.post("/auth/logout", json={})
        browser.cookies.clear()
        after = browser.post("/graphql", json={"query": ME}).json()
        assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_refused_officer_gets_no_session(stack: Stack) -> None:
    with stack.browser() as browser:
        page = sign_in(browser, "lee.ashdown@wrenfield.pd.example")
        assert page.status_code in (400, 403)
        assert "member" in page.text  # the page says why, in plain words
        assert "wnwa_access" not in {cookie.name for cookie in browser.cookies.jar}
