"""Database URLs: which database a URL names, and the same server with another database.

Plain string work, kept apart from the pool so that what only needs a URL (`wnwa up`'s
supervisor, the benches) does not load the database driver.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_name(database_url: str) -> str:
    """The database a URL points at (its path), e.g. ``wnwa_membership``."""
    name = urlsplit(database_url).path.lstrip("/")
    if not _DATABASE_NAME.match(name):
        raise ValueError("the database URL must name a database such as wnwa_membership")
    return name


def with_database(server_url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    if not _DATABASE_NAME.match(name):
        raise ValueError(f"{name!r} is not a valid database name")
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
