"""The deployment files agree with the one service map (`servicekit/ports.py`): each
service listens on its port, and each caller is told where every peer it asks is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicekit.ports import PEERS, PORTS, peer_setting

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
# an address of one of the platform's processes inside a deployment, e.g. http://directory:8002
ADDRESS = re.compile(r"http://(" + "|".join(PORTS) + r"):(\d+)")


def peer_url(peer: str) -> str:
    return f"http://{peer}:{PORTS[peer]}/graphql"


def compose_environment() -> dict[str, dict[str, Any]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {name: service.get("environment") or {} for name, service in services.items()}


def kustomize_literals() -> dict[str, dict[str, str]]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    found: dict[str, dict[str, str]] = {}
    for config in kustomization["configMapGenerator"]:
        pairs = (literal.partition("=") for literal in config.get("literals") or [])
        found[config["name"]] = {key: value for key, _, value in pairs}
    return found


@pytest.mark.parametrize("caller", sorted(PEERS))
def test_each_caller_is_told_where_its_peers_are(caller: str) -> None:
    compose = compose_environment()[caller]
    k8s = kustomize_literals()[f"{caller}-config"]
    for peer in PEERS[caller]:
        assert compose.get(peer_setting(caller, peer)) == peer_url(peer), (caller, peer)
        assert k8s.get(peer_setting(caller, peer)) == peer_url(peer), (caller, peer)


def test_no_setting_names_a_peer_that_is_not_on_the_map() -> None:
    given = {
        key
        for environment in [*compose_environment().values(), *kustomize_literals().values()]
        for key in environment
        if key.endswith("_URL")
    }
    wired = {peer_setting(caller, peer) for caller, peers in PEERS.items() for peer in peers}
    subgraph_urls = {
        key
        for key in given
        if re.fullmatch(r"WNWA_[A-Z]+_(" + "|".join(name.upper() for name in PORTS) + r")_URL", key)
    }
    assert subgraph_urls <= wired


@pytest.mark.parametrize(
    "path",
    ["docker-compose.yml", *sorted(str(path.relative_to(ROOT)) for path in BASE.glob("*.yaml"))],
)
def test_every_address_of_a_process_uses_its_port(path: str) -> None:
    text = (ROOT / path).read_text()
    wrong = [
        match.group(0)
        for match in ADDRESS.finditer(text)
        if int(match.group(2)) != PORTS[match.group(1)]
    ]
    assert wrong == []


@pytest.mark.parametrize("name", sorted(set(PORTS) - {"devidp"}))
def test_each_kubernetes_service_and_container_listens_on_its_port(name: str) -> None:
    documents = list(yaml.safe_load_all((BASE / f"{name}.yaml").read_text()))
    kinds = ("Deployment", "StatefulSet")
    deployment = next(doc for doc in documents if doc and doc["kind"] in kinds)
    for service in (doc for doc in documents if doc and doc["kind"] == "Service"):
        assert [port["port"] for port in service["spec"]["ports"]] == [PORTS[name]]
    containers = deployment["spec"]["template"]["spec"]["containers"]
    ports = [port["containerPort"] for port in containers[0]["ports"]]
    assert ports == [PORTS[name]]
