"""The Kustomize overlays render, validate offline, and give every service what it reads."""

from __future__ import annotations

import re

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from servicekit.ports import PORTS, SHARDED, SUBGRAPHS
from tests.deploy.environment import (
    COMMAND_VARIABLES,
    SERVICES,
    load_recorded,
    loopback_values,
    required_variables,
    stand_in,
)
from tests.deploy.manifests import (
    OVERLAYS,
    ROOT,
    WORKLOAD_KINDS,
    Resource,
    container_environment,
    containers,
    named,
    of_kind,
    render,
    secret_references,
)
from tests.deploy.operator_schemas import SCHEMAS
from wnwa.postgres import SERVER_SETTINGS

pytestmark = pytest.mark.slow  # runs kubectl kustomize and the schema validator

# the oldest Kubernetes minor release still commonly run by managed services, and the newest
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SCRATCH = "/tmp"  # noqa: S108 - the one writable path of a read-only container


def services(overlay: str) -> list[Resource]:
    """The services' workloads: a Deployment each, a StatefulSet for a sharded one."""
    return [r for r in render(overlay) if r["kind"] in ("Deployment", "StatefulSet")]


def workload(resources: tuple[Resource, ...], name: str) -> Resource:
    return named(resources, "StatefulSet" if name in SHARDED else "Deployment", name)


def service_of(container: Resource) -> str:
    args = container["args"]
    assert args[0] == "serve"
    return str(args[1])


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_resource_validates_against_the_kubernetes_schemas(
    overlay: str, version: str
) -> None:
    for resource in render(overlay):
        key = (resource["apiVersion"], resource["kind"])
        if key in SCHEMAS:
            jsonschema.validate(resource, SCHEMAS[key])
        else:
            kubernetes_validate.validate(resource, version, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_unprivileged_and_bounded(overlay: str) -> None:
    for workload, container in containers(render(overlay)):
        pod = workload["spec"]["template"]["spec"]
        where = f"{workload['kind']} {workload['metadata']['name']}/{container['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] > 0, where
        assert pod["automountServiceAccountToken"] is False, where
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, where
        assert security["allowPrivilegeEscalation"] is False, where
        assert security["capabilities"]["drop"] == ["ALL"], where
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
        assert any(mount["mountPath"] == SCRATCH for mount in container["volumeMounts"]), where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_health_probes_a_disruption_budget_and_its_scaling(
    overlay: str,
) -> None:
    resources = render(overlay)
    assert sorted(d["metadata"]["name"] for d in services(overlay)) == sorted(SERVICES)
    autoscaled = {
        a["spec"]["scaleTargetRef"]["name"] for a in of_kind(resources, "HorizontalPodAutoscaler")
    }
    # a sharded service's replica count is the gateway's shard list: never an autoscaler's
    assert autoscaled == set(SERVICES) - set(SHARDED)
    for deployment in services(overlay):
        name = deployment["metadata"]["name"]
        assert deployment["kind"] == ("StatefulSet" if name in SHARDED else "Deployment"), name
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        budget = named(resources, "PodDisruptionBudget", name)
        assert (
            budget["spec"]["selector"]["matchLabels"]
            == deployment["spec"]["selector"]["matchLabels"]
        )
        service = named(resources, "Service", name)
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        assert named(resources, "ServiceAccount", name)
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == name


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_a_service_requires_is_provided(overlay: str, service: str) -> None:
    resources = render(overlay)
    (container,) = workload(resources, service)["spec"]["template"]["spec"]["containers"]
    assert service_of(container) == service
    environ = container_environment(resources, container, stand_in)
    assert required_variables(service) <= set(environ)
    settings, read = load_recorded(service, environ)
    # it listens beyond loopback, and nothing still points at a `wnwa up` loopback default
    host = settings.host if service == "gateway" else settings.service.host
    assert host == "0.0.0.0"
    assert loopback_values(settings) == [] or overlay == "development"
    # every variable of its own given is one it reads (a misspelt name would be ignored)
    own = {name for name in environ if name.startswith(f"WNWA_{service.upper()}_")}
    assert own <= read, sorted(own - read)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_given_is_read_by_some_service(overlay: str) -> None:
    resources = render(overlay)
    given: set[str] = set()
    read: set[str] = set(COMMAND_VARIABLES)
    for workload, container in containers(resources):
        environ = container_environment(resources, container, stand_in)
        given |= {name for name in environ if name.startswith("WNWA_")}
        if workload["kind"] != "Job":
            read |= load_recorded(service_of(container), environ)[1]
    assert given <= read, sorted(given - read)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_migrates_each_service_with_its_own_role(overlay: str) -> None:
    resources = render(overlay)
    job = named(resources, "Job", "wnwa-migrate")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    migrated = []
    for container in job["spec"]["template"]["spec"]["containers"]:
        command, service = container["args"]
        assert command == "migrate"
        migrated.append(service)
        environ = container_environment(resources, container, lambda name: name.lower())
        assert environ["PGUSER"] == "pguser"  # from the service's own Secret
        assert environ["WNWA_POSTGRES_URL"].endswith(f"/wnwa_{service}")
        secret = next(
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in container["env"]
            if e["name"] == "PGUSER"
        )
        assert secret == f"wnwa-db-{service}"
    assert sorted(migrated) == sorted(SUBGRAPHS)


@pytest.mark.parametrize("overlay", ["production", "production-external-postgres"])
def test_production_turns_off_graphiql_and_introspection_and_exports_telemetry(
    overlay: str,
) -> None:
    resources = render(overlay)
    for deployment in services(overlay):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        service = service_of(container)
        environ = container_environment(resources, container, stand_in)
        assert environ["WNWA_ENV"] == "production"
        assert environ["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
        settings, _ = load_recorded(service, environ)
        if service == "gateway":
            assert settings.graphiql is False
            assert settings.introspection is False
        else:
            assert settings.service.graphiql is False
            assert settings.service.introspection is False
        if service == "identity":
            assert settings.public_url.startswith("https://")
            assert settings.secure_cookies is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_reaches_people_at_the_ingress_host_with_hsts_over_https(
    overlay: str,
) -> None:
    resources = render(overlay)
    [ingress] = of_kind(resources, "Ingress")
    host = ingress["spec"]["rules"][0]["host"]
    https = bool(ingress["spec"].get("tls"))
    for deployment in services(overlay):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        settings, _ = load_recorded(
            service_of(container), container_environment(resources, container, stand_in)
        )
        public_url = (
            settings.public_url
            if service_of(container) == "gateway"
            else (settings.service.public_url)
        )
        # production: the Ingress's own host over TLS; development: the port-forward's
        if https:
            assert public_url.origin == f"https://{host}"
            assert dict(public_url.response_headers())[b"strict-transport-security"]
        else:
            assert public_url.response_headers() == ()
    # the Ingress sets no headers of its own: the gateway's HSTS (two years) reaches the browser
    snippets = [key for key in ingress["metadata"].get("annotations", {}) if "snippet" in key]
    assert snippets == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_is_exposed_and_only_the_gateway_reaches_the_subgraphs(
    overlay: str,
) -> None:
    resources = render(overlay)
    (ingress,) = of_kind(resources, "Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    assert all(
        s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in of_kind(resources, "Service")
    )
    policies = of_kind(resources, "NetworkPolicy")
    deny = named(resources, "NetworkPolicy", "default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    # which pods each subgraph admits: the gateway, plus the two calls the design needs
    expected = {
        "identity": {"gateway", "component=subgraph"},
        "membership": {"gateway", "identity"},
        "directory": {"gateway", "membership", "conversations"},
        "professionals": {"gateway", "membership"},
        "conversations": {"gateway"},
    }
    for name, sources in expected.items():
        policy = named(resources, "NetworkPolicy", f"{name}-ingress")
        admitted = set()
        for rule in policy["spec"]["ingress"]:
            for peer in rule["from"]:
                labels = peer["podSelector"]["matchLabels"]
                assert "namespaceSelector" not in peer
                assert "ipBlock" not in peer
                admitted.add(
                    labels.get("app.kubernetes.io/name")
                    or f"component={labels['app.kubernetes.io/component']}"
                )
        assert admitted == sources, name
    # only the gateway's policy admits traffic from outside the namespace's pods
    open_policies = [
        p["metadata"]["name"]
        for p in policies
        for rule in p["spec"].get("ingress", [])
        if "from" not in rule
    ]
    assert open_policies == ["gateway-ingress"]
    # and the gateway's egress lets it reach every subgraph's port
    egress = named(resources, "NetworkPolicy", "gateway-egress")["spec"]["egress"]
    subgraph_rule = next(
        rule
        for rule in egress
        if rule["to"]
        == [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "subgraph"}}}]
    )
    assert {port["port"] for port in subgraph_rule["ports"]} == {PORTS[s] for s in SUBGRAPHS}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", SHARDED)
def test_the_gateway_names_each_shard_by_its_pods_stable_address(overlay: str, name: str) -> None:
    resources = render(overlay)
    shards = named(resources, "StatefulSet", name)
    headless = named(resources, "Service", shards["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == shards["spec"]["selector"]["matchLabels"]
    assert [port["port"] for port in headless["spec"]["ports"]] == [PORTS[name]]
    # pod i of the StatefulSet is `{name}-i.{headless}`: the gateway lists them all, in order
    expected = tuple(
        f"http://{name}-{i}.{headless['metadata']['name']}:{PORTS[name]}"
        for i in range(shards["spec"]["replicas"])
    )
    (gateway,) = named(resources, "Deployment", "gateway")["spec"]["template"]["spec"]["containers"]
    settings, _ = load_recorded("gateway", container_environment(resources, gateway, stand_in))
    assert settings.conversation_shards == expected
    # one process per pod: several workers would split a shard's memory
    (container,) = shards["spec"]["template"]["spec"]["containers"]
    assert container_environment(resources, container, stand_in)["WNWA_WORKERS"] == "1"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_services_reach_postgresql(overlay: str) -> None:
    resources = render(overlay)
    clients = {
        workload["metadata"]["name"]
        for workload in resources
        if workload["kind"] in WORKLOAD_KINDS
        and workload["spec"]["template"]["metadata"]["labels"].get("wnwa.network/postgres-client")
        == "true"
    }
    assert clients == {*SUBGRAPHS, "wnwa-migrate"}
    gateway_egress = named(resources, "NetworkPolicy", "gateway-egress")
    ports = {port["port"] for rule in gateway_egress["spec"]["egress"] for port in rule["ports"]}
    assert 5432 not in ports
    if of_kind(resources, "Cluster"):
        policy = named(resources, "NetworkPolicy", "postgres-ingress")
        peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        assert {"podSelector": {"matchLabels": {"wnwa.network/postgres-client": "true"}}} in peers
        for peer in peers:
            labels = peer.get("podSelector", {}).get("matchLabels", {})
            assert "app.kubernetes.io/name" not in labels


def test_cloudnative_pg_runs_replicas_with_backups_and_a_role_per_service() -> None:
    resources = render("production")
    cluster = named(resources, "Cluster", "wnwa-postgres")
    assert cluster["spec"]["instances"] >= 3
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True
    store = named(resources, "ObjectStore", plugin["parameters"]["barmanObjectName"])
    assert store["spec"]["retentionPolicy"]
    (backup,) = of_kind(resources, "ScheduledBackup")
    assert backup["spec"]["cluster"]["name"] == "wnwa-postgres"
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in of_kind(resources, "Database")}
    assert databases == {f"wnwa_{s}": f"wnwa_{s}" for s in SUBGRAPHS}
    roles = {r["name"] for r in cluster["spec"]["managed"]["roles"]}
    assert roles == set(databases.values())
    # the server log never holds a value, and the lock table has room for the marks: the
    # same settings as the embedded server's
    parameters = cluster["spec"]["postgresql"]["parameters"]
    assert {name: parameters.get(name) for name in SERVER_SETTINGS} == SERVER_SETTINGS
    host = named(resources, "Deployment", "identity")
    assert host  # the services point at the cluster's read-write Service:
    (config,) = [c for c in of_kind(resources, "ConfigMap") if "PGHOST" in c.get("data", {})]
    assert config["data"]["PGHOST"] == "wnwa-postgres-rw"


def test_the_external_postgresql_overlay_has_no_operator_resources() -> None:
    resources = render("production-external-postgres")
    assert not [r for r in resources if r["apiVersion"].startswith(("postgresql.", "barman"))]
    (config,) = [c for c in of_kind(resources, "ConfigMap") if "PGHOST" in c.get("data", {})]
    assert config["data"]["PGHOST"] != "wnwa-postgres-rw"


@pytest.mark.parametrize("overlay", ["production", "production-external-postgres"])
def test_every_secret_production_needs_is_documented(overlay: str) -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    resources = render(overlay)
    generated = {s["metadata"]["name"] for s in of_kind(resources, "Secret")}
    missing = {
        name
        for name in secret_references(resources) - generated
        if not re.search(rf"`{re.escape(name)}`", guide)
    }
    assert missing == set()
