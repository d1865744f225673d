"""Which local servers the stack runs, and how it configures them."""

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from tools.stack import (
    LocalStack,
    StackError,
    elasticsearch_local_port,
    find_java,
    kafka_local_port,
    stack_env,
)
from tools.stack.elasticsearch import elasticsearch_yml
from tools.stack.kafka import kafka_properties, kafka_scram_users, kafka_secure_listeners
from wirewatch.settings import Settings, StackSettings


@pytest.mark.parametrize(
    ("bootstrap_servers", "port"),
    [
        ("127.0.0.1:19092", 19092),
        ("localhost:9093", 9093),
        ("LOCALHOST:9094", 9094),
        ("localhost", 9092),
        ("127.0.0.1", 9092),
        ("[::1]:9095", 9095),
        (" 127.0.0.1:19092 , 127.0.0.1:19093", 19092),
    ],
)
def test_local_brokers_give_the_port_to_run_on(bootstrap_servers: str, port: int) -> None:
    assert kafka_local_port(bootstrap_servers) == port


@pytest.mark.parametrize(
    "bootstrap_servers",
    ["kafka.example.com:9092", "10.0.0.5:9092", "broker-1:9092,127.0.0.1:9092"],
)
def test_remote_brokers_start_nothing(bootstrap_servers: str) -> None:
    assert kafka_local_port(bootstrap_servers) is None


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://127.0.0.1:19200", 19200),
        ("http://localhost:9201", 9201),
        ("http://localhost", 9200),
        ("https://127.0.0.1/", 9200),
        ("http://[::1]:9202", 9202),
        ("http://127.0.0.1:19200,http://127.0.0.1:19201", 19200),
    ],
)
def test_local_elasticsearch_gives_the_port_to_run_on(url: str, port: int) -> None:
    assert elasticsearch_local_port(url) == port


@pytest.mark.parametrize(
    "url", ["https://es.example.com:9200", "http://10.0.0.5:9200", "https://es.example.com"]
)
def test_remote_elasticsearch_starts_nothing(url: str) -> None:
    assert elasticsearch_local_port(url) is None


def test_kafka_properties_use_the_ports_and_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "kafka" / "data"

    properties = dict(
        line.split("=", 1)
        for line in kafka_properties(port=19092, controller_port=19093, data=data).splitlines()
        if line and not line.startswith("#")
    )

    listeners = "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert properties["listeners"] == listeners
    assert properties["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert properties["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert properties["log.dirs"] == str(data)
    assert properties["auto.create.topics.enable"] == "false"


def test_the_secured_broker_has_no_listener_without_tls_but_its_own_controller(
    tmp_path: Path,
) -> None:
    stack = StackSettings(state_dir=tmp_path / "stack", secure=True)
    users = kafka_scram_users(stack)
    listeners = kafka_secure_listeners(
        stack, port=19192, controller_port=19193, mtls_port=19194, broker_password="b-pass"
    )
    text = kafka_properties(
        port=19192, controller_port=19193, data=tmp_path / "data", listeners=listeners
    )
    properties = dict(line.split("=", 1) for line in text.splitlines() if line)

    assert properties["listeners"] == (
        "CLIENT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19193,MTLS://127.0.0.1:19194"
    )
    assert properties["advertised.listeners"] == "CLIENT://127.0.0.1:19192,MTLS://127.0.0.1:19194"
    assert properties["listener.security.protocol.map"] == (
        "CLIENT:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT"
    )
    assert properties["listener.name.mtls.ssl.client.auth"] == "required"
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512,SCRAM-SHA-256"
    assert Path(properties["ssl.truststore.location"]).read_text().startswith("-----BEGIN")
    keystore = Path(properties["ssl.keystore.location"])
    assert keystore.stat().st_mode & 0o077 == 0
    assert "PRIVATE KEY" in keystore.read_text()
    assert set(users) == {"wirewatch", "broker"}
    assert users["wirewatch"] == (tmp_path / "stack" / "secrets" / "kafka-password").read_text()
    # The server's configuration names only the broker's own password, not the client's.
    assert users["wirewatch"] not in text


def _stack(tmp_path: Path) -> LocalStack:
    settings = Settings(
        stack=StackSettings(state_dir=tmp_path / "stack", cache_dir=tmp_path / "cache")
    )
    return LocalStack(settings)


def test_a_pid_file_of_a_process_that_is_gone_reads_as_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "stack" / "kafka" / "server.pid"
    pid_file.parent.mkdir(parents=True)
    # A live pid (ours) with another start time: the pid was reused by someone else.
    pid_file.write_text(f"{os.getpid()} 1\n")

    statuses = {status.name: status for status in _stack(tmp_path).status()}

    assert statuses["kafka"].state == "stopped"
    _stack(tmp_path).down()  # must not signal the process that reuses the pid
    assert not pid_file.exists()


def test_down_of_a_server_this_process_started_does_not_wait_for_its_zombie(
    tmp_path: Path,
) -> None:
    """`stack up` inside a test leaves the servers children of the test process: once they
    exit they stay zombies (alive to a pid check) until collected."""
    pid_file = tmp_path / "stack" / "kafka" / "server.pid"
    pid_file.parent.mkdir(parents=True)
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    started = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    pid_file.write_text(f"{child.pid} {started}\n")

    began = time.monotonic()
    _stack(tmp_path).down()

    assert time.monotonic() - began < 10
    assert not pid_file.exists()
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)


def test_a_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("ES_JAVA_HOME", raising=False)
    with pytest.raises(StackError, match="Java 99 or newer"):
        find_java(minimum=99)


def test_stack_status_shows_an_elasticsearch_url_without_its_password() -> None:
    remote = Settings.model_validate(
        {"index": {"elasticsearch_url": "https://elastic:s3cret-pw@es.example.com:9243"}}
    )
    local = Settings.model_validate(
        {"index": {"elasticsearch_url": "http://elastic:s3cret-pw@127.0.0.1:9200"}}
    )

    shown = [str(status) for status in LocalStack(remote).status() + LocalStack(local).status()]

    assert not any("s3cret-pw" in line for line in shown)
    assert "elasticsearch  external https://**********@es.example.com:9243" in shown


def _env_settings(tmp_path: Path, *, secure: bool) -> Settings:
    return Settings.model_validate(
        {
            "kafka": {"bootstrap_servers": "127.0.0.1:19092"},
            "index": {"elasticsearch_url": "http://127.0.0.1:19250"},
            "stack": {"state_dir": tmp_path / "my stack", "secure": secure},
        }
    )


def _evaluated(lines: list[str]) -> dict[str, str]:
    """What a shell has in its environment after `eval` of the lines."""
    script = "\n".join([*lines, "env -0"])
    done = subprocess.run(
        ["/bin/sh", "-c", script], capture_output=True, check=True, env={"PATH": "/usr/bin:/bin"}
    )
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {name: value for name, value in pairs if name.startswith("WIREWATCH_")}


def test_env_of_the_secured_stack_sets_everything_a_client_needs(tmp_path: Path) -> None:
    lines = stack_env(_env_settings(tmp_path, secure=True))
    state = (tmp_path / "my stack").resolve()
    es_password = (state / "secrets" / "elasticsearch-password").read_text()
    kafka_password = (state / "secrets" / "kafka-password").read_text()

    assert _evaluated(lines) == {
        "WIREWATCH_STACK__SECURE": "true",
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "WIREWATCH_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "WIREWATCH_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "WIREWATCH_KAFKA__SASL_USERNAME": "wirewatch",
        "WIREWATCH_KAFKA__SASL_PASSWORD": kafka_password,
        "WIREWATCH_KAFKA__SSL_CAFILE": str(state / "certs" / "ca.pem"),
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": "https://127.0.0.1:19250",
        "WIREWATCH_INDEX__USERNAME": "wirewatch",
        "WIREWATCH_INDEX__PASSWORD": es_password,
        "WIREWATCH_INDEX__CA_CERTS": str(state / "certs" / "ca.pem"),
    }
    printed = "\n".join(lines)
    assert es_password not in printed
    assert kafka_password not in printed
    assert all(line.startswith("export WIREWATCH_") for line in lines)
    assert f'"$(cat {shlex.quote(str(state / "secrets" / "elasticsearch-password"))})"' in printed


def test_env_of_the_plain_stack_names_the_plain_servers(tmp_path: Path) -> None:
    assert _evaluated(stack_env(_env_settings(tmp_path, secure=False))) == {
        "WIREWATCH_STACK__SECURE": "false",
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": "http://127.0.0.1:19250",
    }
    assert not (tmp_path / "my stack" / "secrets").exists()


def test_env_leaves_out_remote_servers(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "kafka": {"bootstrap_servers": "kafka.example.com:9092"},
            "index": {"elasticsearch_url": "https://es.example.com:9200"},
            "stack": {"state_dir": tmp_path, "secure": True},
        }
    )
    assert _evaluated(stack_env(settings)) == {"WIREWATCH_STACK__SECURE": "true"}


def test_plain_elasticsearch_config_keeps_security_off(tmp_path: Path) -> None:
    config = elasticsearch_yml(port=19200, transport_port=19300, runtime=tmp_path)
    assert "xpack.security.enabled: false\n" in config
    assert "ssl" not in config


def test_secured_elasticsearch_config_turns_on_security_and_https(tmp_path: Path) -> None:
    config = elasticsearch_yml(port=19250, transport_port=19350, runtime=tmp_path, secure=True)
    assert "xpack.security.enabled: true\n" in config
    assert "xpack.security.http.ssl.enabled: true\n" in config
    assert "xpack.security.enabled: false" not in config
