"""deploy/k8s: the Deployment is probed, bounded and locked down; its settings exist."""

from pathlib import Path
from typing import Any

import yaml

from wirewatch.reference import variables

K8S = Path(__file__).parents[3] / "deploy" / "k8s"


def manifests() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents = [yaml.safe_load((K8S / name).read_text()) for name in kustomization["resources"]]
    return {document["kind"]: document for document in documents}


def container() -> dict[str, Any]:
    (only,) = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def test_probes_use_the_service_endpoints() -> None:
    probes = container()
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_resources_are_requested_and_memory_is_limited() -> None:
    resources = container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_runs_non_root_with_a_read_only_root_filesystem() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's USER
    security = container()["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def test_grace_period_outlasts_the_shutdown_timeout() -> None:
    config = manifests()["ConfigMap"]["data"]
    grace = manifests()["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > float(config["WIREWATCH_SERVICE__SHUTDOWN_TIMEOUT_S"])


def test_every_configured_variable_is_a_setting() -> None:
    known = set(variables())
    keys = set(manifests()["ConfigMap"]["data"]) | set(manifests()["Secret"]["stringData"])
    assert keys - known == set()


def test_the_environment_comes_from_the_configmap_and_secret() -> None:
    sources = {next(iter(source.values()))["name"] for source in container()["envFrom"]}
    assert sources == {
        manifests()["ConfigMap"]["metadata"]["name"],
        manifests()["Secret"]["metadata"]["name"],
    }


def test_the_disruption_budget_selects_the_deployment_pods() -> None:
    deployment = manifests()["Deployment"]["spec"]
    budget = manifests()["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"] == deployment["selector"]["matchLabels"]
    assert budget["maxUnavailable"] == 1
