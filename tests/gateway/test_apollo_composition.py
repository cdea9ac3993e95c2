"""The subgraphs compose under Apollo's own composition library, so a deployment that
outgrows one machine can put Apollo Router, Hive Gateway or Cosmo in front of them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs Apollo's composition in Node

TOOL = Path(__file__).resolve().parents[2] / "tools" / "apollo-composition"


def test_subgraphs_compose_with_apollo_composition() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for this check (they ship with the machine image)")
    if not (TOOL / "node_modules" / "@apollo" / "composition").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOL, check=True, timeout=300
        )
    result = subprocess.run(
        [node, "compose.mjs"], cwd=TOOL, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "composed directory, identity, membership, professionals" in result.stdout
