"""Each service's committed SDL file is exactly what its code exports."""

from __future__ import annotations

import pytest

from wnwa.registry import Service, available_services


@pytest.mark.parametrize("service", available_services(), ids=lambda service: service.name)
def test_committed_sdl_matches_the_code(service: Service) -> None:
    exported = service.build_schema().as_str().rstrip() + "\n"
    committed = service.schema_file.read_text(encoding="utf-8")
    assert committed == exported, f"run `wnwa compose`: {service.schema_file} is out of date"


def test_committed_supergraph_is_composed_from_the_committed_sdl() -> None:
    from gateway.composition import compose
    from gateway.settings import SUPERGRAPH_FILE

    files = {s.name: s.schema_file.read_text(encoding="utf-8") for s in available_services()}
    assert SUPERGRAPH_FILE.read_text(encoding="utf-8") == compose(files), (
        "run `wnwa compose`: gateway/supergraph.graphql is out of date"
    )
