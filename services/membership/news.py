"""News and updates: network admins publish, anyone reads (the portal's `/news` and feed).

A post is public from its publish date unless withdrawn; admins also see scheduled and
withdrawn posts. The body is a safe Markdown subset (:mod:`.markdown`) rendered here, so
every reader (the portal, the Atom feed, another client) gets the same escaped HTML.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit.graphql import (
    FieldError,
    InputErrors,
    context_of,
    no_such,
    parse_id,
    require_role,
)

from . import markdown, news_store, rules

MAX_POSTS = 100


@strawberry.type(description="A news post from the network.")
class NewsPost:
    row: strawberry.Private[news_store.NewsRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="The post's address on the portal: /news/{slug}.")
    def slug(self) -> str:
        return self.row.slug

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="The Markdown source, as written.")
    def body(self) -> str:
        return self.row.body

    @strawberry.field(description="The body as HTML: escaped, only the safe subset's tags.")
    def body_html(self) -> str:
        return markdown.to_html(self.row.body)

    @strawberry.field(description="The opening of the body as plain text, for lists and feeds.")
    def summary(self) -> str:
        return markdown.to_text(self.row.body)

    @strawberry.field
    def published_on(self) -> dt.date:
        return self.row.published_on

    @strawberry.field
    def updated_at(self) -> dt.datetime:
        return self.row.updated_at

    @strawberry.field(description="Withdrawn posts are shown to admins only.")
    def withdrawn(self) -> bool:
        return self.row.withdrawn


Count = Annotated[int, strawberry.argument(description="How many, newest first (1 to 100).")]


def _visible_by(info: Info[Any, Any], include_unpublished: bool) -> dt.date | None:
    if include_unpublished:
        require_role(info, "network_admin")
        return None
    return context_of(info).clock.today()


@strawberry.type
class NewsQueries:
    @strawberry.field(description="News posts, newest first. Anyone; unpublished: admins only.")
    async def news(
        self, info: Info[Any, Any], first: Count = 20, include_unpublished: bool = False
    ) -> list[NewsPost]:
        published_by = _visible_by(info, include_unpublished)
        rows = await news_store.list_posts(
            db=context_of(info).pool, published_by=published_by, limit=max(1, min(first, MAX_POSTS))
        )
        return [NewsPost(row=row) for row in rows]

    @strawberry.field(description="One published post by its slug; null when there is none.")
    async def news_post(self, info: Info[Any, Any], slug: str) -> NewsPost | None:
        if len(slug) > 80:
            return None
        row = await news_store.get_post(db=context_of(info).pool, slug=slug)
        if row is None or row.withdrawn or row.published_on > context_of(info).clock.today():
            return None
        return NewsPost(row=row)


@strawberry.input(description="A news post. The publish date defaults to today.")
class NewsInput:
    title: str
    body: str = strawberry.field(
        description="Markdown: paragraphs, ## headings, lists, **bold**, *italic*, [links](https://…)."
    )
    published_on: dt.date | None = None
    withdrawn: bool = False


@strawberry.type
class NewsPayload:
    post: NewsPost | None
    errors: list[FieldError]


def _slug(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-") or "post"


@strawberry.type
class NewsMutations:
    @strawberry.mutation(description="Publish a news post: network admins only.")
    async def publish_news(self, info: Info[Any, Any], input: NewsInput) -> NewsPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        post_in = rules.check_news_post(input, errors, today=context_of(info).clock.today())
        if post_in is None:
            return NewsPayload(post=None, errors=errors.items)
        pool = context_of(info).pool
        base = _slug(post_in.title)
        slug, number = base, 1
        while await news_store.slug_taken(db=pool, slug=slug):
            number += 1
            slug = f"{base}-{number}"
        try:
            row = await news_store.create_post(db=pool, slug=slug, post_in=post_in)
        except asyncpg.UniqueViolationError:
            errors.add(
                "input.title", "A post with this title was just published; change the title."
            )
            return NewsPayload(post=None, errors=errors.items)
        return NewsPayload(post=NewsPost(row=row), errors=[])

    @strawberry.mutation(description="Change or withdraw a news post: network admins only.")
    async def update_news(
        self, info: Info[Any, Any], id: strawberry.ID, input: NewsInput
    ) -> NewsPayload:
        require_role(info, "network_admin")
        errors = InputErrors()
        post_id = parse_id(id)
        post_in = rules.check_news_post(input, errors, today=context_of(info).clock.today())
        if post_id is None:
            errors.unknown("id", "news post")
        if errors or post_in is None or post_id is None:
            return NewsPayload(post=None, errors=errors.items)
        row = await news_store.update_post(
            db=context_of(info).pool, post_id=post_id, post_in=post_in, withdrawn=input.withdrawn
        )
        if row is None:
            return NewsPayload(
                post=None,
                errors=[FieldError(field="id", message=no_such("news post"))],
            )
        return NewsPayload(post=NewsPost(row=row), errors=[])
