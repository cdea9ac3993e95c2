"""The gateway's optional compiled build: used while fresh, never run older than its source."""

from __future__ import annotations

import importlib
import logging
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from gateway import stale_modules


@pytest.fixture
def package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """A package laid out as a compiled gateway: ``shaping.py`` with a ``.so`` beside it
    (not a real one: loading it fails, so a test sees which of the two was imported)."""
    name = f"compiled_{request.node.name[:40]}"
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text(
        "from pathlib import Path\n"
        "from gateway import prefer_fresh_sources\n"
        "prefer_fresh_sources(Path(__file__).parent, __name__)\n"
    )
    (folder / "shaping.py").write_text("ANSWER = 'the source'\n")
    (folder / f"shaping{EXTENSION_SUFFIXES[0]}").write_bytes(b"not a shared object")
    (folder / f"shaping__mypyc{EXTENSION_SUFFIXES[0]}").write_bytes(b"")  # mypyc's, no source
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    yield folder
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def test_a_module_compiled_from_an_older_source_runs_as_its_source_with_a_warning(
    package: Path, caplog: pytest.LogCaptureFixture
) -> None:
    os.utime(package / "shaping.py", (3_000, 3_000))  # edited after it was compiled
    os.utime(package / f"shaping{EXTENSION_SUFFIXES[0]}", (2_000, 2_000))

    with caplog.at_level(logging.WARNING, logger="gateway"):
        shaping = importlib.import_module(f"{package.name}.shaping")

    assert shaping.ANSWER == "the source"
    assert shaping.__file__ == str(package / "shaping.py")
    (warning,) = [r for r in caplog.records if r.name == "gateway"]
    assert warning.levelno == logging.WARNING
    assert f"{package.name}.shaping" in warning.getMessage()
    assert "make compiled" in warning.getMessage()


def test_a_fresh_compiled_module_is_the_one_imported(
    package: Path, caplog: pytest.LogCaptureFixture
) -> None:
    os.utime(package / "shaping.py", (1_000, 1_000))
    os.utime(package / f"shaping{EXTENSION_SUFFIXES[0]}", (2_000, 2_000))

    with caplog.at_level(logging.WARNING, logger="gateway"):
        importlib.import_module(package.name)
        # the (unloadable) build is what Python picks: nothing steers a fresh one aside
        with pytest.raises(ImportError):
            importlib.import_module(f"{package.name}.shaping")
    assert not [r for r in caplog.records if r.name == "gateway"]


def test_a_package_without_compiled_modules_runs_as_python(tmp_path: Path) -> None:
    (tmp_path / "entities.py").write_text("ANSWER = 1\n")
    assert stale_modules(tmp_path) == {}


def test_make_and_the_image_compile_with_the_one_pinned_compiler_and_the_projects_config() -> None:
    root = Path(__file__).resolve().parents[2]
    with (root / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)
    (pin,) = [r for r in project["project"]["optional-dependencies"]["dev"] if r.startswith("mypy")]
    assert re.fullmatch(r"mypy==[\d.]+", pin), "one compiler: an exact version"
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    # the image installs the very pin, read from pyproject.toml by the line it runs
    (reader,) = re.findall(r"python -c '(import tomllib;[^']*)'", dockerfile)
    installed = subprocess.run(
        [sys.executable, "-c", reader], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert installed == pin
    assert not re.search(r"mypy\s*[=<>~]=\s*\d", dockerfile), "no version of its own"
    # neither the image nor make sets the project's mypy configuration aside
    for build in (
        dockerfile,
        (root / "Makefile").read_text(),
        (root / "tools/compile-gateway").read_text(),
    ):
        assert "--config-file" not in build
