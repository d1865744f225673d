"""deploy/compose.yaml, validated by docker-compose itself (no engine needed for `config`)."""

import functools
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.unit.deploy.tools import tool

ROOT = Path(__file__).parents[3]
COMPOSE = ROOT / "deploy" / "compose.yaml"


@functools.cache
def resolved() -> dict[str, Any]:
    result = subprocess.run(
        [tool("docker-compose", "docker-compose"), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def test_the_stack_uses_official_images_and_builds_wirewatch_from_the_dockerfile() -> None:
    services = resolved()["services"]
    assert set(services) == {"kafka", "elasticsearch", "kibana", "wirewatch", "setup", "prometheus"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["elasticsearch"]["image"].startswith("docker.elastic.co/elasticsearch/")
    assert services["kibana"]["image"].startswith("docker.elastic.co/kibana/kibana:9.")
    for name in ("wirewatch", "setup"):
        assert services[name]["build"]["context"] == str(ROOT)
        assert (ROOT / services[name]["build"]["dockerfile"]).is_file()


def test_wirewatch_waits_for_healthy_servers_and_runs_hardened() -> None:
    wirewatch = resolved()["services"]["wirewatch"]
    assert wirewatch["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "elasticsearch": {"condition": "service_healthy"},
    }
    assert wirewatch["environment"]["WIREWATCH_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert wirewatch["read_only"] is True
    assert wirewatch["cap_drop"] == ["ALL"]


def test_setup_imports_the_kibana_objects_once_kibana_is_healthy() -> None:
    setup = resolved()["services"]["setup"]
    assert "wirewatch kibana import --url http://kibana:5601" in " ".join(setup["command"])
    assert setup["depends_on"]["kibana"] == {"condition": "service_healthy"}
    assert setup["restart"] == "no"


def test_prometheus_is_optional_and_mounts_the_checked_rules() -> None:
    prometheus = resolved()["services"]["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    # docker-compose 1.29 writes volumes as "source:target[:mode]".
    mounts = dict(volume.split(":")[:2] for volume in prometheus["volumes"])
    source = {target: source for source, target in mounts.items()}["/etc/prometheus"]
    assert Path(source) == ROOT / "deploy" / "prometheus"
    assert (Path(source) / "alerts.yml").is_file()
