"""deploy/compose.yaml, validated by docker-compose itself (no engine needed for `config`)."""

import functools
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tests.unit.deploy.tools import tool

ROOT = Path(__file__).parents[3]
COMPOSE = ROOT / "deploy" / "compose.yaml"
TOKEN = "compose-test-token-" + "t" * 16


def compose_config(token: str | None) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with `token` as the rules API's write token (None: unset);
    an empty env file, so a developer's deploy/.env does not count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_SERVICE__API_")}
    if token is not None:
        env["WIREWATCH_SERVICE__API_WRITE_TOKENS"] = token
    with tempfile.NamedTemporaryFile(suffix=".env") as empty:
        return subprocess.run(
            [tool("docker-compose", "docker-compose"), "-f", str(COMPOSE),
             "--env-file", empty.name, "config"],
            capture_output=True, text=True, check=False, cwd=ROOT, env=env,
        )  # fmt: skip


@functools.cache
def resolved() -> dict[str, Any]:
    result = compose_config(TOKEN)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def test_the_service_gets_the_rules_api_token_and_none_is_refused() -> None:
    environment = resolved()["services"]["wirewatch"]["environment"]
    assert environment["WIREWATCH_SERVICE__API_WRITE_TOKENS"] == TOKEN
    assert environment["WIREWATCH_SERVICE__API_READ_TOKENS"] == ""
    refused = compose_config(None)
    assert refused.returncode != 0
    assert "WIREWATCH_SERVICE__API_WRITE_TOKENS" in refused.stderr
    assert "deploy/.env" in refused.stderr


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
