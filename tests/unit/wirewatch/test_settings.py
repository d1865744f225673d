"""Settings come from WIREWATCH_* variables; secrets never show."""

import json
import os

import pytest

from wirewatch.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("WIREWATCH_"):
            monkeypatch.delenv(name)


def test_defaults_point_at_the_local_stack() -> None:
    settings = Settings()

    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert settings.index.elasticsearch_url == "http://127.0.0.1:9200"


def test_nested_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_INDEX__ELASTICSEARCH_URL", "https://es.example.com:9243")
    monkeypatch.setenv("WIREWATCH_KAFKA__BOOTSTRAP_SERVERS", "k1.example.com:9092,k2:9092")
    monkeypatch.setenv("WIREWATCH_ENRICH__PIPE_BATCH_SIZE", "8")

    settings = Settings()

    assert settings.index.elasticsearch_url == "https://es.example.com:9243"
    assert settings.kafka.bootstrap_servers == "k1.example.com:9092,k2:9092"
    assert settings.enrich.pipe_batch_size == 8


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_ENRICH__PIPE_BATCH_SIZE", "0")

    with pytest.raises(ValueError, match="pipe_batch_size"):
        Settings()


def test_masked_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_INDEX__USERNAME", "elastic")
    monkeypatch.setenv("WIREWATCH_INDEX__PASSWORD", "hunter2-secret")
    monkeypatch.setenv("WIREWATCH_INDEX__API_KEY", "api-key-secret")
    monkeypatch.setenv("WIREWATCH_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("WIREWATCH_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("WIREWATCH_KAFKA__SASL_USERNAME", "wirewatch")
    monkeypatch.setenv("WIREWATCH_KAFKA__SASL_PASSWORD", "kafka-secret")
    monkeypatch.setenv("WIREWATCH_SERVICE__API_READ_TOKENS", "read-token-secret")
    monkeypatch.setenv("WIREWATCH_SERVICE__API_WRITE_TOKENS", "write-token-secret")
    monkeypatch.setenv("WIREWATCH_KAFKA__SSL_KEYFILE_PASSWORD", "key-secret")
    monkeypatch.setenv("WIREWATCH_KAFKA__SSL_CERTFILE", "/etc/wirewatch/client.pem")

    settings = Settings()
    masked = settings.masked()

    assert settings.index.password is not None
    assert settings.index.password.get_secret_value() == "hunter2-secret"
    assert masked["index"]["username"] == "elastic"
    assert masked["index"]["password"] == "**********"
    text = json.dumps(masked)
    secrets = ("hunter2-secret", "api-key-secret", "kafka-secret", "key-secret")
    for secret in (*secrets, "read-token-secret", "write-token-secret"):
        assert secret not in text


def test_masked_is_json() -> None:
    masked = Settings().masked()

    assert json.loads(json.dumps(masked)) == masked


def test_the_stall_timeout_must_outlast_a_write_retried_to_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIREWATCH_INDEX__RETRY_DEADLINE_S", "300")
    monkeypatch.setenv("WIREWATCH_SERVICE__STALL_TIMEOUT_S", "300")

    with pytest.raises(ValueError, match="STALL_TIMEOUT_S"):
        Settings()


def test_one_elasticsearch_call_is_bounded_by_its_timeout_and_retries() -> None:
    settings = Settings()

    assert settings.index.call_deadline_s == settings.index.request_timeout_s * (
        1 + settings.index.max_retries
    )
