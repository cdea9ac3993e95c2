"""The subgraphs compose under Apollo's own composition library, so a deployment that
outgrows one machine can put Apollo Router, Hive Gateway or Cosmo in front of them; and the
gateway's composer is held to that library's verdicts on small cases (composition_cases.py):
the same error codes, and where both compose, the same API schema."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from gateway.composition import compose
from gateway.supergraph import load
from servicekit.ports import SUBGRAPHS
from tests.gateway.composition_cases import CASES, Case, api_shape

pytestmark = pytest.mark.slow  # runs Apollo's composition in Node

TOOL = Path(__file__).resolve().parents[2] / "tools" / "apollo-composition"


def _node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for this check (they ship with the machine image)")
    if not (TOOL / "node_modules" / "@apollo" / "composition").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOL, check=True, timeout=300
        )
    return node


def test_subgraphs_compose_with_apollo_composition() -> None:
    result = subprocess.run(
        [_node(), "compose.mjs"], cwd=TOOL, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert f"composed {', '.join(sorted(SUBGRAPHS))}" in result.stdout


@pytest.fixture(scope="module")
def apollo_verdicts() -> dict[str, dict[str, Any]]:
    """Apollo's verdict on every case, from one run of verdict.mjs."""
    cases = [{"name": case.id, "subgraphs": case.subgraphs} for case in CASES]
    result = subprocess.run(
        [_node(), "verdict.mjs"],
        cwd=TOOL,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    verdicts: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return verdicts


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_apollo_gives_the_verdict_the_composer_is_held_to(
    case: Case, apollo_verdicts: dict[str, dict[str, Any]]
) -> None:
    verdict = apollo_verdicts[case.id]
    assert set(verdict["codes"]) == case.apollo_codes(), verdict["messages"]
    if verdict["composes"] and not case.codes:
        ours = load(compose(case.subgraphs)).schema
        assert api_shape(ours) == api_shape(build_schema(verdict["api"]))
