"""The Prometheus alert rules and configuration, checked and unit-tested by promtool."""

import subprocess
from pathlib import Path

from tests.unit.deploy.tools import tool

PROMETHEUS = Path(__file__).parents[3] / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool", "prometheus"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROMETHEUS,
    )


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_fire_on_lag_dead_letters_stalls_and_webhook_failures() -> None:
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_prometheus_config_is_valid() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
