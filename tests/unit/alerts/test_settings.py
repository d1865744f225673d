"""Alert settings are read from WIREWATCH_ALERTS__* variables, nested in the one settings object."""

import pytest

from wirewatch.settings import Settings


def test_alert_settings_come_from_wirewatch_alerts_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIREWATCH_ALERTS__WEBHOOK_TIMEOUT_S", "2.5")
    monkeypatch.setenv("WIREWATCH_ALERTS__ALERTS_TOPIC", "team.alerts")

    settings = Settings()

    assert settings.alerts.webhook_timeout_s == 2.5
    assert settings.alerts.alerts_topic == "team.alerts"
    assert settings.alerts.rules_index == "wirewatch-rules"


def test_alert_settings_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_ALERTS__DELIVERY_WORKERS", "0")

    with pytest.raises(ValueError, match="delivery_workers"):
        Settings()
