"""Every test the docs name exists: a threat-model row whose test was renamed or removed
would claim a protection nothing checks any more."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def named_tests() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found.update(REFERENCE.findall(document.read_text(encoding="utf-8")))
    return found


def test_every_test_the_docs_name_exists() -> None:
    named = named_tests()
    assert len(named) > 100  # the threat model alone names well over a hundred
    missing = [
        f"{path}::{name}"
        for path, name in sorted(named)
        if not (ROOT / path).exists()
        or not re.search(rf"def {name}\b", (ROOT / path).read_text(encoding="utf-8"))
    ]
    assert missing == []
