"""The audit's checker: every identifier of the people who used the stack, everywhere it
could have been written down (tables, spans, metrics, log lines)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

# anything JWT-shaped is a token, whoever's it is
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Leak:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.what} in {self.where}"


@dataclass
class Forbidden:
    """The values that must appear nowhere, each with a label saying what it is."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, value: str, label: str) -> None:
        if value:
            self.values[value.lower()] = label

    def without(self, *labels_containing: str) -> Forbidden:
        """A copy that allows values whose label mentions any of ``labels_containing``."""
        return Forbidden(
            {
                value: label
                for value, label in self.values.items()
                if not any(part in label for part in labels_containing)
            }
        )


def find_leaks(sources: Iterable[tuple[str, str]], forbidden: Forbidden) -> list[Leak]:
    """Every forbidden value (case-insensitive) or JWT found in any ``(where, text)``."""
    leaks: list[Leak] = []
    for where, text in sources:
        lowered = text.lower()
        leaks.extend(
            Leak(where, label) for value, label in forbidden.values.items() if value in lowered
        )
        if JWT.search(text):
            leaks.append(Leak(where, "a JWT"))
    return leaks


def jwt_claim(token: str, name: str) -> str:
    """A claim of an access token (read, not verified: the test holds it)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return str(claims[name])


def jwt_subject(token: str) -> str:
    """The ``sub`` claim of an access token."""
    return jwt_claim(token, "sub")


RowFilter = Callable[[str, str, Mapping[str, Any]], bool]


async def table_texts(database_url: str, database: str) -> list[tuple[str, str]]:
    """One ``(database.table#n, row as text)`` per row of every table in the database."""
    connection = await asyncpg.connect(database_url)
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        texts: list[tuple[str, str]] = []
        for table in tables:
            name = table["table_name"]
            # a name from the catalogue, quoted: identifiers cannot be parameters
            rows = await connection.fetch(f'SELECT * FROM "{name}"')
            for number, row in enumerate(rows):
                rendered = {
                    key: value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for key, value in dict(row).items()
                }
                texts.append((f"{database}.{name}#{number}", json.dumps(rendered)))
        return texts
    finally:
        await connection.close()


async def address_columns(database_url: str) -> list[str]:
    """Columns typed to hold a network address (there should be none)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT table_name || '.' || column_name AS col FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type IN ('inet', 'cidr', 'macaddr')"
        )
        return [row["col"] for row in rows]
    finally:
        await connection.close()
