"""docker-compose.yml parses, refers only to what exists, and gives each service its settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from servicekit.ports import SUBGRAPHS
from services.identity.devidp import providers_toml
from tests.deploy.environment import (
    SERVICES,
    load_recorded,
    loopback_values,
    required_variables,
)
from tests.deploy.manifests import ROOT, load_yaml
from wnwa.postgres import SERVER_SETTINGS

COMPOSE = ROOT / "docker-compose.yml"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    """A ``${VAR:?message}`` whose variable is unset: compose stops with the message."""


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Compose's variable interpolation, for the forms this file uses."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = environ.get(name)
        unset = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and unset:
            return arg
        return value or ""

    return _VARIABLE.sub(substitute, text)


def compose(environ: Mapping[str, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE)  # anchors and merge keys resolved
    text = COMPOSE.read_text(encoding="utf-8")
    interpolate(text, environ)  # raises like compose for a missing required variable
    interpolated: dict[str, Any] = _interpolated(loaded, environ)
    return interpolated


def _interpolated(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, environ)
    if isinstance(value, list):
        return [_interpolated(item, environ) for item in value]
    if isinstance(value, dict):
        return {key: _interpolated(item, environ) for key, item in value.items()}
    return value


def required_by_compose() -> dict[str, str]:
    """Every ``${VAR:?}`` in the file, with a stand-in value of the right shape."""
    text = COMPOSE.read_text(encoding="utf-8")
    names = {m["name"] for m in _VARIABLE.finditer(text) if m["op"] in (":?", "?")}
    return {name: _stand_in(name) for name in names}


def _stand_in(name: str) -> str:
    if name.endswith("SERVICE_CREDENTIALS"):
        return "gateway=" + "s" * 32
    if name.endswith("VAPID_SUBJECT"):
        return "mailto:it-security@wnwa.invalid"
    return "v" * 48


def test_every_variable_is_documented() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    names = {m["name"] for m in _VARIABLE.finditer(COMPOSE.read_text(encoding="utf-8"))}
    assert names
    assert {name for name in names if f"{name}" not in guide} == set()


@pytest.mark.parametrize("missing", sorted(required_by_compose()))
def test_a_missing_secret_stops_the_start_with_a_message(missing: str) -> None:
    environ = required_by_compose()
    del environ[missing]
    with pytest.raises(MissingVariable, match=f"{missing}: set "):
        compose(environ)


def test_services_volumes_and_profiles_refer_to_what_exists() -> None:
    document = compose(required_by_compose())
    services = document["services"]
    volumes = set(document.get("volumes", {}))
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            assert condition["condition"] in (
                "service_healthy",
                "service_completed_successfully",
            )
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
            else:
                assert source in volumes, source
    assert services["postgres"]["healthcheck"]["test"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in SUBGRAPHS:
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
        assert services[name]["command"] == ["serve", name]
    assert set(services["gateway"]["depends_on"]) == set(SUBGRAPHS)


def test_only_the_gateway_publishes_a_port_and_the_dev_idp_is_opt_in() -> None:
    services = compose(required_by_compose())["services"]
    published = {name for name, s in services.items() if s.get("ports") and not s.get("profiles")}
    assert published == {"gateway"}
    assert services["devidp"]["profiles"] == ["devidp"]
    assert [name for name, s in services.items() if s.get("profiles")] == ["devidp"]


def test_every_app_container_is_read_only_and_unprivileged() -> None:
    services = compose(required_by_compose())["services"]
    for name, service in services.items():
        if name == "postgres":
            continue
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_a_service_requires_is_provided(service: str) -> None:
    container = compose(required_by_compose())["services"][service]
    environ = {key: str(value) for key, value in container["environment"].items()}
    assert required_variables(service) <= set(environ)
    assert environ["WNWA_ENV"] == "production"
    settings, read = load_recorded(service, environ)
    host = settings.host if service == "gateway" else settings.service.host
    assert host == "0.0.0.0"
    # the public origin defaults to http://localhost:8000 for a first try on one machine
    assert [v for v in loopback_values(settings) if "127.0.0.1" in v] == []
    own = {name for name in environ if name.startswith(f"WNWA_{service.upper()}_")}
    assert own <= read, sorted(own - read)


def test_the_dev_idp_providers_file_is_what_the_dev_idp_generates() -> None:
    shipped = (ROOT / "deploy" / "compose" / "dev-providers.toml").read_text(encoding="utf-8")
    assert shipped == providers_toml("http://devidp.localhost:8009")


def test_the_database_server_logs_no_values() -> None:
    postgres = compose(required_by_compose())["services"]["postgres"]
    command = postgres["command"]
    assert command[0] == "postgres"
    given = dict(
        value.split("=", 1)
        for flag, value in zip(command[1::2], command[2::2], strict=True)
        if flag == "-c"
    )
    assert given == SERVER_SETTINGS
    assert given["log_error_verbosity"] == "terse"
    assert given["log_parameter_max_length_on_error"] == "0"


def public_url_of(service: str, environ: Mapping[str, str]) -> Any:
    settings, _ = load_recorded(service, environ)
    return settings.public_url if service == "gateway" else settings.service.public_url


def test_one_public_url_reaches_every_service_and_https_turns_on_hsts() -> None:
    given = {**required_by_compose(), "WNWA_PUBLIC_URL": "https://wnwa.example.org"}
    for environ, origin, https in (
        (given, "https://wnwa.example.org", True),
        (required_by_compose(), "http://localhost:8000", False),
    ):
        services = compose(environ)["services"]
        for service in SERVICES:
            container = {k: str(v) for k, v in services[service]["environment"].items()}
            public_url = public_url_of(service, container)
            assert public_url.origin == origin, service
            assert bool(public_url.response_headers()) is https, service
