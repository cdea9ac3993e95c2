"""GraphiQL's page: opens on the operations it is given (never GraphiQL's welcome text), which
cannot break out of their data block, names a favicon and serves it from the same origin."""

from __future__ import annotations

import json
import re

from starlette.applications import Starlette
from starlette.testclient import TestClient

from servicekit import graphiql


def opening(body: str) -> dict[str, str | None]:
    found = re.search(
        r'<script type="application/json" id="graphiql-opening">(.*?)</script>', body, re.S
    )
    assert found is not None
    value: dict[str, str | None] = json.loads(found.group(1))
    return value


def test_the_page_opens_on_the_operations_it_is_given() -> None:
    hostile = "# </script><script>alert(1)</script> & <!--\nquery One { __typename }\n"
    page = graphiql.graphiql_page(
        title="API <b>", endpoint="/graphql", operations=hostile, variables='{"a": "<"}'
    )
    body = bytes(page.body).decode()
    # one closing tag per script element: the data block cannot be ended from inside
    assert body.count("</script>") == body.count("<script")
    assert "<script>alert" not in body
    assert opening(body) == {"query": hostile, "variables": '{"a": "<"}'}
    assert "API &lt;b&gt;" in body
    assert 'rel="icon" href="/graphiql/static/favicon.svg"' in body
    assert "<style>" not in body  # the page's own styles are a file under the policy


def test_a_service_page_opens_on_a_pointer_not_the_welcome_text() -> None:
    body = bytes(graphiql.graphiql_page(title="svc", endpoint="/graphql").body).decode()
    text = opening(body)["query"] or ""
    assert text.startswith("# ")
    assert "gateway" in text
    assert "Welcome to GraphiQL" not in text


def test_the_favicon_and_the_page_stylesheet_are_served() -> None:
    client = TestClient(Starlette(routes=[graphiql.static_files()]))
    icon = client.get("/graphiql/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    css = client.get("/graphiql/static/graphiql-page.css")
    assert css.status_code == 200
    assert "--alpha-tertiary" in css.text
