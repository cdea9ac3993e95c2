"""Documents kept by their text are forgotten by a timer once unused, and bounded in number."""

from __future__ import annotations

import asyncio

from servicekit.recent import RecentDocuments


async def test_an_unused_document_is_forgotten_by_the_timer_without_another_request() -> None:
    documents: RecentDocuments[str] = RecentDocuments(size=10, idle_seconds=0.2)
    documents.put('{ professionals(search: {nearZipCode: "60601"}) { nodes { id } } }', "a")
    documents.put("{ me { roles } }", "b")
    await asyncio.sleep(0.1)
    assert documents.get("{ me { roles } }") == "b"  # used again: kept longer
    await asyncio.sleep(0.15)
    assert '{ professionals(search: {nearZipCode: "60601"}) { nodes { id } } }' not in documents
    assert "{ me { roles } }" in documents
    await asyncio.sleep(0.15)
    assert len(documents) == 0


async def test_at_most_size_documents_are_kept_the_least_recently_used_leave_first() -> None:
    documents: RecentDocuments[int] = RecentDocuments(size=3, idle_seconds=60)
    for number in range(3):
        documents.put(f"query Q{number} {{ me {{ roles }} }}", number)
    assert documents.get("query Q0 { me { roles } }") == 0
    documents.put("query Q3 { me { roles } }", 3)
    assert "query Q1 { me { roles } }" not in documents
    assert len(documents) == 3


async def test_the_documents_kept_weigh_at_most_their_budget() -> None:
    documents: RecentDocuments[int] = RecentDocuments(size=100, idle_seconds=60, max_weight=1000)
    for number in range(5):
        documents.put(f"query Q{number} {{ me {{ roles }} }}", number, weight=300)
    assert documents.weight == 900
    assert list(documents) == [f"query Q{number} {{ me {{ roles }} }}" for number in (2, 3, 4)]
    # its length by default; one heavier than the whole budget is not kept at all
    documents.put("{ me { roles } }", 5)
    assert documents.weight == 900 + len("{ me { roles } }")
    documents.put("{ me { department } }", 6, weight=1001)
    assert "{ me { department } }" not in documents
    # kept again under its text: weighed once
    documents.put("{ me { roles } }", 7, weight=100)
    assert documents.weight == 1000
    assert documents.get("{ me { roles } }") == 7
