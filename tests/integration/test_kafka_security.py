"""A secured Kafka (SASL_SSL with SCRAM, mutual TLS) on the real broker.

The module starts a Kafka of its own with WIREWATCH_STACK__SECURE=true (ports 19192-19194,
data, CA and passwords under .wirewatch/test-kafka-secure) and stops and purges it at the end;
Elasticsearch is the environment's plain one.
"""

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import ssl
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog.testing
from elasticsearch import AsyncElasticsearch
from pydantic import SecretStr

from ingest import IngestError, KafkaSettings, ensure_topics, publish_lines, ssl_context
from tests.integration.conftest import SECURED_KAFKA_PORT, SECURED_STATE_DIR
from tests.integration.support import (
    article_line,
    count_documents,
    drop_index,
    eventually,
    isolated,
    produce,
    read_topic,
    running,
)
from tools.certs import LocalAuthority
from tools.stack import stack_authority, stack_secret
from wirewatch.settings import Settings

CLIENT_PORT = SECURED_KAFKA_PORT
MTLS_PORT = CLIENT_PORT + 2


@pytest.fixture(scope="module")
def secured(base_settings: Settings, secured_stack: Settings) -> Settings:
    """The environment's settings with the secured stack's (a plain client of its Kafka)."""
    return base_settings.model_copy(
        update={
            "kafka": KafkaSettings(bootstrap_servers=f"127.0.0.1:{CLIENT_PORT}"),
            "stack": secured_stack.stack,
        }
    )


def password(secured: Settings) -> str:
    return stack_secret(secured.stack, "kafka-password").read_text().strip()


def scram(secured: Settings, *, secret: str | None = None, **overrides: Any) -> Settings:
    """Isolated settings of a client of the SASL_SSL listener, as user `wirewatch`."""
    kafka = KafkaSettings(
        bootstrap_servers=f"127.0.0.1:{CLIENT_PORT}",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="wirewatch",
        sasl_password=SecretStr(secret if secret is not None else password(secured)),
        ssl_cafile=stack_authority(secured.stack).ca_file,
        **overrides,
    )
    return isolated(secured.model_copy(update={"kafka": kafka}))


async def test_the_service_consumes_over_sasl_ssl_and_logs_no_password(
    secured: Settings, elasticsearch: AsyncElasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = scram(secured)
    secret = password(secured)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="aiokafka")
    try:
        with structlog.testing.capture_logs() as events:
            await produce(settings, [article_line(1)])
            # The other mechanism the broker offers takes the same user.
            sha256 = settings.kafka.model_copy(update={"sasl_mechanism": "SCRAM-SHA-256"})
            await publish_lines(sha256, settings.ingest.topic, [article_line(2)])
            async with running(settings):
                await eventually(
                    lambda: count_documents(elasticsearch, settings, "id:article-2"),
                    what="the article sent over SASL_SSL to be indexed",
                )
        assert await count_documents(elasticsearch, settings) == 2
    finally:
        await drop_index(settings)
    logged = caplog.text + "\n".join(repr(record.__dict__) for record in caplog.records)
    logged += "\n".join(repr(event) for event in events)
    assert any("Authenticated as wirewatch via SCRAM-SHA-512" in r.message for r in caplog.records)
    assert any(event["event"] == "consuming" for event in events)
    assert secret not in logged


async def test_mutual_tls_with_a_client_certificate_of_the_ca(secured: Settings) -> None:
    authority = stack_authority(secured.stack)
    client = authority.issue("test-client", client=True)
    kafka = KafkaSettings(
        bootstrap_servers=f"127.0.0.1:{MTLS_PORT}",
        security_protocol="SSL",
        ssl_cafile=authority.ca_file,
        ssl_certfile=client.certificate,
        ssl_keyfile=client.key,
    )
    settings = isolated(secured.model_copy(update={"kafka": kafka}))
    await produce(settings, [article_line(1)])
    (message,) = await read_topic(settings, settings.ingest.topic, 1)
    assert json.loads(message.value)["id"] == "article-1"

    anonymous = kafka.model_copy(update={"ssl_certfile": None, "ssl_keyfile": None})
    with pytest.raises(IngestError, match="mutual TLS") as refused:
        await ensure_topics(anonymous, ["any"], partitions=1, replication_factor=1)
    assert f"127.0.0.1:{MTLS_PORT}" in str(refused.value)


async def test_a_broker_certificate_of_another_ca_is_refused(
    secured: Settings, tmp_path: Path
) -> None:
    stranger = LocalAuthority(tmp_path / "other-ca")
    settings = scram(secured).kafka.model_copy(update={"ssl_cafile": stranger.ca_file})
    with pytest.raises(IngestError, match="TLS certificate of the broker") as refused:
        await publish_lines(settings, "test.never", [article_line(1)])
    # Both CAs are called "wirewatch local CA": the stranger's signature does not verify.
    assert "was refused: certificate signature failure" in str(refused.value)
    assert "WIREWATCH_KAFKA__SSL_CAFILE" in str(refused.value)


async def test_a_broker_certificate_for_another_host_is_refused(secured: Settings) -> None:
    # aiokafka checks the name it connects to; the broker's certificate names 127.0.0.1 and
    # localhost, so the context wirewatch builds is shown another name for the same broker.
    kafka = scram(secured).kafka
    context = ssl_context(kafka)
    assert context is not None
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        await _handshake(context, "broker.example.com")
    await _handshake(context, "localhost")
    lenient = ssl_context(kafka.model_copy(update={"ssl_check_hostname": False}))
    assert lenient is not None
    await _handshake(lenient, "broker.example.com")


async def _handshake(context: ssl.SSLContext, name: str) -> None:
    """A TLS handshake with the secured broker, as if it were called `name`."""
    _, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", CLIENT_PORT, ssl=context, server_hostname=name),
        timeout=30,
    )
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def test_a_wrong_password_is_said_once_and_the_service_waits_not_ready(
    secured: Settings,
) -> None:
    wrong = "not-the-password-0123"
    settings = scram(secured, secret=wrong)
    http_port = _free_port()
    env = {
        **os.environ,
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "WIREWATCH_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "WIREWATCH_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "WIREWATCH_KAFKA__SASL_USERNAME": "wirewatch",
        "WIREWATCH_KAFKA__SASL_PASSWORD": wrong,
        "WIREWATCH_KAFKA__SSL_CAFILE": str(settings.kafka.ssl_cafile),
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": settings.index.elasticsearch_url,
        "WIREWATCH_INDEX__ALIAS": settings.index.alias,
        "WIREWATCH_INDEX__STORIES_INDEX": settings.index.stories_index,
        "WIREWATCH_INGEST__TOPIC": settings.ingest.topic,
        "WIREWATCH_INGEST__DEAD_LETTER_TOPIC": settings.ingest.dead_letter_topic,
        "WIREWATCH_INGEST__GROUP_ID": settings.ingest.group_id,
        "WIREWATCH_SERVICE__HTTP_PORT": str(http_port),
        "WIREWATCH_SERVICE__LOG_FORMAT": "json",
        "WIREWATCH_SERVICE__LOG_LEVEL": "DEBUG",
        "WIREWATCH_SERVICE__STARTUP_INITIAL_BACKOFF_MS": "200",
        "WIREWATCH_SERVICE__STARTUP_MAX_BACKOFF_MS": "1000",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirewatch", "run",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []

    async def drain(stream: asyncio.StreamReader) -> None:
        async for line in stream:
            lines.append(line.decode(errors="replace"))

    draining = asyncio.create_task(drain(process.stderr))
    readyz = f"http://127.0.0.1:{http_port}/readyz"
    try:
        body = await eventually(
            lambda: _refused_for_kafka(readyz), timeout_s=180, what="/readyz to name kafka"
        )
        reason = body["dependencies"]["kafka"]["reason"]
        assert "authentication failed" in reason
        assert f"127.0.0.1:{CLIENT_PORT}" in reason
        # Several more tries (every second at most): still alive, still not ready, no new lines.
        await asyncio.sleep(6)
        assert process.returncode is None, "the service gave up instead of waiting"
        assert (await _refused_for_kafka(readyz)) is not None
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(draining, timeout=10)
        await drop_index(settings)

    text = "".join(lines)
    assert "Traceback" not in text
    assert wrong not in text
    assert password(secured) not in text
    said = [line for line in lines if "authentication failed" in line.lower()]
    ours = [json.loads(line) for line in said if '"event": "waiting for kafka"' in line]
    assert len(ours) == 1, said
    assert "WIREWATCH_KAFKA__SASL_PASSWORD" in ours[0]["reason"]
    # Beside ours, at most the client library's first error: the rest are held back.
    assert len(said) <= 2, said


def test_the_broker_logged_no_password(secured: Settings) -> None:
    """Last in the module: the broker's log of everything above (formatting included)."""
    broker_log = (SECURED_STATE_DIR / "kafka" / "server.log").read_text()
    assert "Kafka Server started" in broker_log
    for name in ("kafka-password", "kafka-broker-password"):
        assert stack_secret(secured.stack, name).read_text().strip() not in broker_log


async def _refused_for_kafka(url: str) -> dict[str, Any] | None:
    """The /readyz body when it answers 503 with kafka down, None otherwise."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response,
        ):
            body: dict[str, Any] = await response.json()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        return None
    kafka = body.get("dependencies", {}).get("kafka", {})
    return body if status == 503 and kafka.get("status") == "down" else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
