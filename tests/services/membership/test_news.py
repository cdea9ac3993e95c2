"""News posts: admins publish in a safe Markdown subset, anyone reads what is out."""

from __future__ import annotations

import datetime as dt

import asyncpg

from servicekit.clock import FixedClock
from services.membership import markdown
from tests.conftest import ServiceUnderTest
from tests.support.tokens import TokenIssuer

PUBLISH = """
mutation Publish($input: NewsInput!) {
  publishNews(input: $input) {
    post { id slug title bodyHtml publishedOn } errors { field message }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: NewsInput!) {
  updateNews(id: $id, input: $input) { post { slug withdrawn } errors { field message } }
}
"""
READ = "query { news { slug title summary } }"
ONE = "query One($slug: String!) { newsPost(slug: $slug) { title bodyHtml } }"


async def test_an_admin_publishes_and_anyone_reads_it(
    membership: ServiceUnderTest, admin_token: str, clock: FixedClock
) -> None:
    answer = await membership.graphql(
        PUBLISH,
        {
            "input": {
                "title": "Ogle County joins",
                "body": "Welcome, **Ogle County**!\n\n- one\n- two",
            }
        },
        token=admin_token,
    )
    post = answer["data"]["publishNews"]["post"]
    assert post["slug"] == "ogle-county-joins"
    assert post["publishedOn"] == clock.today().isoformat()  # the service's today
    assert "<strong>Ogle County</strong>" in post["bodyHtml"]
    assert "<ul><li>one</li><li>two</li></ul>" in post["bodyHtml"]
    again = await membership.graphql(
        PUBLISH, {"input": {"title": "Ogle County joins", "body": "Again."}}, token=admin_token
    )
    assert again["data"]["publishNews"]["post"]["slug"] == "ogle-county-joins-2"

    public = await membership.graphql(READ, {})
    assert [p["slug"] for p in public["data"]["news"]] == [
        "ogle-county-joins-2",
        "ogle-county-joins",
    ]
    one = await membership.graphql(ONE, {"slug": "ogle-county-joins"})
    assert one["data"]["newsPost"]["title"] == "Ogle County joins"


async def test_scheduled_and_withdrawn_posts_stay_out_of_public_view(
    membership: ServiceUnderTest,
    admin_token: str,
    issuer: TokenIssuer,
    db: asyncpg.Connection,
    clock: FixedClock,
) -> None:
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    later = await membership.graphql(
        PUBLISH,
        {"input": {"title": "Coming soon", "body": "Soon.", "publishedOn": tomorrow}},
        token=admin_token,
    )
    assert later["data"]["publishNews"]["errors"] == []
    now = await membership.graphql(
        PUBLISH, {"input": {"title": "Out now", "body": "Now."}}, token=admin_token
    )
    post_id = now["data"]["publishNews"]["post"]["id"]
    assert [p["slug"] for p in (await membership.graphql(READ, {}))["data"]["news"]] == ["out-now"]
    assert (await membership.graphql(ONE, {"slug": "coming-soon"}))["data"]["newsPost"] is None

    withdrawn = await membership.graphql(
        UPDATE,
        {"id": post_id, "input": {"title": "Out now", "body": "Now.", "withdrawn": True}},
        token=admin_token,
    )
    assert withdrawn["data"]["updateNews"]["post"] == {"slug": "out-now", "withdrawn": True}
    assert (await membership.graphql(READ, {}))["data"]["news"] == []
    everything = await membership.graphql(
        "query { news(includeUnpublished: true) { slug } }", {}, token=admin_token
    )
    assert len(everything["data"]["news"]) == 2
    officer = issuer.token("officer", department="00000000-0000-4000-8000-000000000001")
    hidden = await membership.graphql(
        "query { news(includeUnpublished: true) { slug } }", {}, token=officer
    )
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM news_posts") == 2


async def test_only_admins_publish_and_bad_input_writes_nothing(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    coordinator = issuer.token("coordinator", department="00000000-0000-4000-8000-000000000001")
    refused = await membership.graphql(
        PUBLISH, {"input": {"title": "Hi", "body": "x"}}, token=coordinator
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await membership.graphql(PUBLISH, {"input": {"title": "Hi", "body": "x"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await membership.graphql(
        PUBLISH,
        {"input": {"title": " ", "body": "x" * 20_001, "publishedOn": "2099-01-01"}},
        token=admin_token,
    )
    fields = {e["field"] for e in bad["data"]["publishNews"]["errors"]}
    assert fields == {"input.title", "input.body", "input.publishedOn"}
    assert await db.fetchval("SELECT count(*) FROM news_posts") == 0


def test_the_markdown_subset_escapes_everything_else() -> None:
    html = markdown.to_html(
        "## Hello <script>alert(1)</script>\n"
        'Read [the FAQ](/faq) or [this](javascript:alert(1)) and <img src=x onerror="y">.\n'
        "*Stay* **safe** & `<code>`\n\n"
        "1. first\n2. second\n"
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="/faq">the FAQ</a>' in html
    assert 'href="javascript' not in html
    assert "<img" not in html
    assert "<em>Stay</em> <strong>safe</strong> &amp; <code>&lt;code&gt;</code>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert markdown.to_text("## A *b* [c](/d)") == "A b c"
