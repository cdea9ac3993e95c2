"""The gateway's compiled hot path: never older than its source."""

from __future__ import annotations

import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from gateway import refuse_stale


def test_a_module_compiled_from_an_older_source_is_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    source = tmp_path / "shaping.py"
    source.write_text("ANSWER = 1\n")
    compiled = tmp_path / f"shaping{EXTENSION_SUFFIXES[0]}"
    compiled.write_bytes(b"")
    library = tmp_path / f"shaping__mypyc{EXTENSION_SUFFIXES[0]}"  # mypyc's, no source
    library.write_bytes(b"")
    os.utime(source, (1_000, 1_000))
    os.utime(compiled, (2_000, 2_000))
    refuse_stale(tmp_path)  # compiled after its source: fine

    os.utime(source, (3_000, 3_000))  # the source edited since
    with pytest.raises(ImportError, match="make compiled") as refused:
        refuse_stale(tmp_path)
    assert "shaping.py changed after it was compiled" in str(refused.value)


def test_a_package_without_compiled_modules_runs_as_python(tmp_path: Path) -> None:
    (tmp_path / "entities.py").write_text("ANSWER = 1\n")
    refuse_stale(tmp_path)
