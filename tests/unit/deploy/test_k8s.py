"""deploy/k8s: the Deployment is probed, bounded and locked down; its settings exist."""

from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from alerts import ApiAccess, ApiAccessError, Role
from tools.reference import variables
from wirewatch.settings import ServiceSettings

K8S = Path(__file__).parents[3] / "deploy" / "k8s"


def documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [yaml.safe_load((K8S / name).read_text()) for name in kustomization["resources"]]


def manifests() -> dict[str, dict[str, Any]]:
    """The documents by kind; Secrets (there are two) by name in `secrets()`."""
    return {document["kind"]: document for document in documents() if document["kind"] != "Secret"}


def secrets() -> dict[str, dict[str, Any]]:
    return {
        document["metadata"]["name"]: document
        for document in documents()
        if document["kind"] == "Secret"
    }


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
    keys = set(manifests()["ConfigMap"]["data"]) | set(secrets()["wirewatch-secrets"]["stringData"])
    assert keys - known == set()


def test_the_environment_comes_from_the_configmap_and_secret() -> None:
    sources = {next(iter(source.values()))["name"] for source in container()["envFrom"]}
    assert sources == {manifests()["ConfigMap"]["metadata"]["name"], "wirewatch-secrets"}


def _token_files(tmp_path: Path, values: dict[str, str]) -> ServiceSettings:
    """The service settings of the ConfigMap, with the token files of the mounted Secret
    (path by path: mount path + key) written under `tmp_path` with `values`."""
    config = manifests()["ConfigMap"]["data"]
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    mounts = {mount["name"]: mount["mountPath"] for mount in container()["volumeMounts"]}
    mounted = {
        PurePosixPath(mounts[volume["name"]]) / key: key
        for volume in pod["volumes"]
        if "secret" in volume
        for name in [volume["secret"]["secretName"]]
        if name in secrets()
        for key in secrets()[name]["stringData"]
    }
    fields: dict[str, Any] = {"http_host": config["WIREWATCH_SERVICE__HTTP_HOST"]}
    for role in ("read", "write"):
        path = PurePosixPath(config[f"WIREWATCH_SERVICE__API_{role.upper()}_TOKENS_FILE"])
        assert path in mounted, f"{path} is no key of a mounted Secret"
        (tmp_path / mounted[path]).write_text(values[mounted[path]])
        fields[f"api_{role}_tokens_file"] = tmp_path / mounted[path]
    return ServiceSettings(**fields)


def test_the_api_tokens_are_files_of_a_mounted_secret_and_placeholders_are_refused(
    tmp_path: Path,
) -> None:
    placeholders = secrets()["wirewatch-api-tokens"]["stringData"]
    with pytest.raises(ApiAccessError, match="fewer than 16"):
        ApiAccess.from_settings(_token_files(tmp_path, placeholders))
    reader, writer, rotated = ("r" * 32, "w" * 32, "v" * 32)
    access = ApiAccess.from_settings(
        _token_files(tmp_path, {"read": f"{reader}\n", "write": f"{writer}\n{rotated}\n"})
    )
    assert [access.role(token) for token in (reader, writer, rotated)] == [
        Role.READ,
        Role.WRITE,
        Role.WRITE,
    ]


def test_the_disruption_budget_selects_the_deployment_pods() -> None:
    deployment = manifests()["Deployment"]["spec"]
    budget = manifests()["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"] == deployment["selector"]["matchLabels"]
    assert budget["maxUnavailable"] == 1
