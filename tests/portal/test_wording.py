"""Small things a reader notices: a distance said as a person says it, a field that accepts
what the API accepts, buttons that say what they dial."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from gateway.portal.routes import STATIC_FOLDER
from services.directory.reports import MAX_OFFICERS_PER_MONTH

PORTAL = STATIC_FOLDER.parent


def test_a_distance_reads_as_a_person_says_it() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("the portal's helpers run in Node.js here (it ships with the machine image)")
    program = (
        f"import {{ aboutMiles }} from {json.dumps((STATIC_FOLDER / 'lib.js').as_uri())};\n"
        "console.log(JSON.stringify([0.2, 0.6, 1, 1.4, 1.6, 12.3].map(aboutMiles)));\n"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", program],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(result.stdout) == [
        "under a mile",
        "about 1 mile",
        "about 1 mile",
        "about 1 mile",
        "about 2 miles",
        "about 12 miles",
    ]
    for page in ("supporters.js", "professionals.js"):
        assert "miles`" not in (STATIC_FOLDER / page).read_text(encoding="utf-8"), page


def test_the_monthly_report_field_takes_what_the_api_takes() -> None:
    page = (PORTAL / "profile.html").read_text(encoding="utf-8")
    field = re.search(r'<input id="report-count"[^>]*>', page)
    assert field is not None
    assert f'max="{MAX_OFFICERS_PER_MONTH}"' in field.group(0)


def test_a_line_that_needs_a_key_after_the_number_says_so_on_its_button() -> None:
    resources = (STATIC_FOLDER / "resources.js").read_text(encoding="utf-8")
    assert "thenDial" in resources.split("query Resources")[1]
    assert ", then ${r.thenDial}" in resources


def test_dates_are_shown_with_month_names_not_as_iso_text() -> None:
    """A date from the API ("2026-11-02") is put through formatDate, never shown as is."""
    raw = re.compile(r"\$\{[\w.]+(On|Of|At)\}")
    for name in ("coverage.js", "vetting.js", "admin.js", "application-status.js", "join.js"):
        assert raw.findall((STATIC_FOLDER / name).read_text(encoding="utf-8")) == [], name
