"""The report key with nothing running: marks nobody else can compute, parts that open only
where they were sealed, rotation, and the settings that give the key."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from servicekit.settings import ConfigurationError, Secret
from services.directory import report_store, settings
from services.directory.report_figures import Cell
from services.directory.report_key import ReportKey

JANUARY, FEBRUARY = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
OLD, NEW = Secret("o" * 40), Secret("n" * 40)
DEPARTMENT = uuid.uuid4()
PART = {None: Cell(40, 300), DEPARTMENT: Cell(1, 23)}


def test_a_mark_needs_the_key_and_differs_by_month_and_person() -> None:
    key = ReportKey(NEW)
    mark = key.mark(JANUARY, "supporter")
    assert mark == ReportKey(NEW).mark(JANUARY, "supporter")  # every process agrees
    assert mark != ReportKey(OLD).mark(JANUARY, "supporter")
    assert mark != key.mark(FEBRUARY, "supporter")
    assert mark != key.mark(JANUARY, "another")
    assert b"supporter" not in mark


def test_a_part_opens_only_where_it_was_sealed_and_only_untouched() -> None:
    key = ReportKey(NEW)
    part_id = uuid.uuid4()
    sealed = report_store.sealed_part(key, JANUARY, part_id, PART)
    assert DEPARTMENT.bytes not in sealed  # which departments a part names is sealed too
    row = {"month": JANUARY, "part_id": part_id, "sealed": sealed}
    opened = report_store.opened_parts(key, [row, dict(row)])  # a copy counts once
    assert list(opened) == [(JANUARY, part_id)]
    part = opened[(JANUARY, part_id)]
    assert (part.network(), part.pair(DEPARTMENT), part.pair(uuid.uuid4())) == (
        Cell(40, 300),
        Cell(1, 23),
        None,
    )
    tampered = bytes([sealed[0] ^ 1]) + sealed[1:]
    for moved in (
        {**row, "month": FEBRUARY},
        {**row, "part_id": uuid.uuid4()},
        {**row, "sealed": tampered},
        {**row, "sealed": sealed[:-24]},
    ):
        assert report_store.opened_parts(key, [moved]) == {}
    assert report_store.opened_parts(ReportKey(OLD), [row]) == {}


def test_a_retired_key_still_opens_what_it_sealed() -> None:
    part_id = uuid.uuid4()
    row = {
        "month": JANUARY,
        "part_id": part_id,
        "sealed": report_store.sealed_part(ReportKey(OLD), JANUARY, part_id, PART),
    }
    assert report_store.opened_parts(ReportKey(NEW), [row]) == {}
    rotated = ReportKey(NEW, [OLD])
    assert report_store.opened_parts(rotated, [row])[(JANUARY, part_id)].pair(DEPARTMENT) == (
        Cell(1, 23)
    )
    # new parts are sealed under the new key alone
    fresh = report_store.sealed_part(rotated, FEBRUARY, part_id, PART)
    row = {"month": FEBRUARY, "part_id": part_id, "sealed": fresh}
    assert report_store.opened_parts(ReportKey(NEW), [row])
    assert report_store.opened_parts(ReportKey(OLD), [row]) == {}


def test_the_report_key_is_required_long_and_never_the_development_one_in_production() -> None:
    production = {"WNWA_ENV": "production", "WNWA_PUBLIC_URL": "https://wnwa.example.org"}
    with pytest.raises(ConfigurationError, match=r"^WNWA_DIRECTORY_REPORT_KEY is required"):
        settings.load(production)
    with pytest.raises(ConfigurationError, match=r"^WNWA_DIRECTORY_REPORT_KEY must be at least"):
        settings.load({**production, "WNWA_DIRECTORY_REPORT_KEY": "short"})
    with pytest.raises(ConfigurationError, match="development value"):
        settings.load({**production, "WNWA_DIRECTORY_REPORT_KEY": settings.DEVELOPMENT_REPORT_KEY})
    # the shared fallback never gives it: the key is the directory's own
    with pytest.raises(ConfigurationError, match=r"^WNWA_DIRECTORY_REPORT_KEY"):
        settings.load({**production, "WNWA_REPORT_KEY": "r" * 40})
    with pytest.raises(ConfigurationError, match=r"^WNWA_DIRECTORY_RETIRED_REPORT_KEYS"):
        settings.load(
            {
                **production,
                "WNWA_DIRECTORY_REPORT_KEY": "k" * 40,
                "WNWA_DIRECTORY_RETIRED_REPORT_KEYS": "o" * 40 + ",short",
            }
        )
    service = {
        "WNWA_DIRECTORY_DATABASE_URL": "postgresql://wnwa_directory@db.invalid/wnwa_directory",
        "WNWA_JWKS_URL": "https://wnwa.example.org/.well-known/jwks.json",
        "WNWA_TOKEN_ISSUER": "https://wnwa.example.org",
    }
    loaded = settings.load(
        {
            **service,
            **production,
            "WNWA_DIRECTORY_REPORT_KEY": "k" * 40,
            "WNWA_DIRECTORY_RETIRED_REPORT_KEYS": " " + "o" * 40 + ", " + "p" * 40,
        }
    )
    assert loaded.report_key.value == "k" * 40
    assert [key.value for key in loaded.retired_report_keys] == ["o" * 40, "p" * 40]
    assert "k" * 40 not in repr(loaded)
