"""The self-checks' scoring, as the browser runs it: the page's own module run by Node.js
with known answer sets at every band's edges (PHQ-9, GAD-7, PCL-5, AUDIT-C)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from gateway.portal.routes import STATIC_FOLDER

SCORING = STATIC_FOLDER / "self-check-scoring.js"


def run(cases: list[tuple[str, list[int | None], dict[str, Any]]]) -> list[dict[str, Any]]:
    """``score(id, answers, options)`` for each case, in Node, as the page computes it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("the scoring runs in Node.js here (it ships with the machine image)")
    program = (
        f"import {{ score }} from {json.dumps(SCORING.as_uri())};\n"
        "const cases = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(cases.map(([id, answers, options]) =>"
        " score(id, answers, options))));\n"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", program, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answered: list[dict[str, Any]] = json.loads(result.stdout)
    return answered


def totals_and_bands(
    id_: str, answer_sets: list[list[int | None]], **options: Any
) -> list[tuple[int | None, str | None]]:
    return [
        (result["total"], result["band"] and result["band"]["key"])
        for result in run([(id_, answers, options) for answers in answer_sets])
    ]


def spread(total: int, items: int, most: int) -> list[int | None]:
    """Answers adding up to ``total`` (each at most ``most``), first items first."""
    answers: list[int | None] = []
    for _ in range(items):
        points = min(most, total)
        answers.append(points)
        total -= points
    return answers


def test_phq9_bands_at_their_edges() -> None:
    totals = [0, 4, 5, 9, 10, 14, 15, 19, 20, 27]
    # item 9 (the last) stays 0 until the total needs it, so only 27 is urgent
    found = totals_and_bands("phq9", [spread(total, 9, 3) for total in totals])
    assert found == [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately-severe"),
        (19, "moderately-severe"),
        (20, "severe"),
        (27, "severe"),
    ]


def test_phq9_item_9_calls_for_the_crisis_lines_whatever_the_total() -> None:
    low, partial, none = run(
        [
            ("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], {}),
            ("phq9", [None, None, None, None, None, None, None, None, 2], {}),
            ("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0], {}),
        ]
    )
    assert (low["total"], low["band"]["key"], low["crisis"]) == (1, "minimal", True)
    assert low["band"]["steps"][0] == "crisis"  # the crisis lines before anything else
    assert partial["complete"] is False
    assert partial["crisis"] is True  # at once, before the rest is answered
    assert partial["missing"] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert none["crisis"] is False
    assert none["band"]["steps"] == ["peer", "professionals"]


def test_gad7_bands_at_their_edges() -> None:
    totals = [0, 4, 5, 9, 10, 14, 15, 21]
    assert totals_and_bands("gad7", [spread(total, 7, 3) for total in totals]) == [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ]


def test_pcl5_against_the_cut_point_of_31_to_33() -> None:
    totals = [0, 30, 31, 33, 34, 80]
    assert totals_and_bands("pcl5", [spread(total, 20, 4) for total in totals]) == [
        (0, "below"),
        (30, "below"),
        (31, "cut-point"),
        (33, "cut-point"),
        (34, "above"),
        (80, "above"),
    ]


def test_audit_c_cut_points_are_4_for_men_and_3_for_women() -> None:
    assert totals_and_bands("auditc", [[1, 1, 1], [2, 1, 1], [4, 4, 4]], cutPoint="men") == [
        (3, "below"),
        (4, "positive"),
        (12, "positive"),
    ]
    assert totals_and_bands("auditc", [[1, 1, 0], [1, 1, 1]], cutPoint="women") == [
        (2, "below"),
        (3, "positive"),
    ]
    # "never" drinks: questions 2 and 3 are skipped and count 0
    assert totals_and_bands("auditc", [[0, None, None]], cutPoint="women") == [(0, "below")]
    [unsure] = run([("auditc", [2, 1, 1], {})])
    assert (unsure["complete"], unsure["needsCutPoint"]) == (False, True)


def test_an_unanswered_or_impossible_answer_is_not_scored() -> None:
    missing, impossible = run(
        [("gad7", [1, 1, None, 1, 1, 1, 1], {}), ("phq9", [4, 0, 0, 0, 0, 0, 0, 0, 0], {})]
    )
    assert (missing["complete"], missing["missing"], missing["total"]) == (False, [2], None)
    assert (impossible["complete"], impossible["missing"]) == (False, [0])
