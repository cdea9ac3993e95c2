"""SQL of the network's news posts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from servicekit.database import Executor
from servicekit.rows import RowReader, RowWriter

from .rules import NewsPostIn


@dataclass(frozen=True, slots=True)
class NewsRow:
    id: UUID
    slug: str
    title: str
    body: str
    published_on: dt.date
    updated_at: dt.datetime
    withdrawn: bool


_post = RowReader(NewsRow)
_post_in = RowWriter(NewsPostIn)
_POST_IN_COLUMNS, _POST_IN_VALUES = _post_in.insert(2)


async def list_posts(*, db: Executor, published_by: dt.date | None, limit: int) -> list[NewsRow]:
    """Newest first; with ``published_by`` only posts out by that day and not withdrawn."""
    rows = await db.fetch(
        f"""
        SELECT {_post.columns} FROM news_posts
        WHERE $1::date IS NULL OR (published_on <= $1 AND NOT withdrawn)
        ORDER BY published_on DESC, updated_at DESC
        LIMIT $2
        """,  # noqa: S608 — the columns come from NewsRow
        published_by,
        limit,
    )
    return [_post(row) for row in rows]


async def get_post(
    *, db: Executor, slug: str | None = None, post_id: UUID | None = None
) -> NewsRow | None:
    row = await db.fetchrow(
        f"""
        SELECT {_post.columns} FROM news_posts
        WHERE slug = $1 OR id = $2
        """,  # noqa: S608 — the columns come from NewsRow
        slug,
        post_id,
    )
    return _post(row) if row else None


async def slug_taken(*, db: Executor, slug: str) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM news_posts WHERE slug = $1)", slug))


async def create_post(*, db: Executor, slug: str, post_in: NewsPostIn) -> NewsRow:
    row = await db.fetchrow(
        f"""
        INSERT INTO news_posts (slug, {_POST_IN_COLUMNS}) VALUES ($1, {_POST_IN_VALUES})
        RETURNING {_post.columns}
        """,  # noqa: S608 — the columns come from NewsPostIn and NewsRow
        slug,
        *_post_in.values(post_in),
    )
    assert row is not None
    return _post(row)


async def update_post(
    *, db: Executor, post_id: UUID, post_in: NewsPostIn, withdrawn: bool
) -> NewsRow | None:
    """Replace the post's fields and withdrawal; None when the id is unknown."""
    row = await db.fetchrow(
        f"""
        UPDATE news_posts
        SET {_post_in.assignments(3)}, withdrawn = $2, updated_at = now()
        WHERE id = $1
        RETURNING {_post.columns}
        """,  # noqa: S608 — the columns come from NewsPostIn and NewsRow
        post_id,
        withdrawn,
        *_post_in.values(post_in),
    )
    return _post(row) if row else None
