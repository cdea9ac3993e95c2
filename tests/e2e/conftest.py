from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One `wnwa up` for all end-to-end tests: every service, the gateway, the dev IdP."""
    data_dir: Path = tmp_path_factory.mktemp("stack")
    with running_stack(data_dir) as running:
        yield running
