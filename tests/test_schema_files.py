"""Each service's committed SDL file is exactly what its code exports."""

from __future__ import annotations

import pytest

from wnwa.registry import Service, available_services


@pytest.mark.parametrize("service", available_services(), ids=lambda service: service.name)
def test_committed_sdl_matches_the_code(service: Service) -> None:
    exported = service.build_schema().as_str().rstrip() + "\n"
    committed = service.schema_file.read_text(encoding="utf-8")
    assert committed == exported, f"run `wnwa compose`: {service.schema_file} is out of date"
