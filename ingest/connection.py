"""Options shared by every aiokafka client wirewatch creates, and why a connection failed."""

import asyncio
import os
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, KafkaError, SaslAuthenticationFailed

from ingest.errors import KafkaSecurityError
from ingest.settings import KafkaSettings

_DIAGNOSIS_TIMEOUT_S = 10.0


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of the SSL and SASL_SSL protocols (None for the others): the brokers'
    certificates verified against `ssl_cafile` (or the system's CAs), their host names checked
    unless `ssl_check_hostname` is off, and the client certificate of mutual TLS loaded.

    Raises KafkaSecurityError, naming the setting, for a file that is missing, unreadable, or
    does not hold what it should: a setting to fix, not an outage to wait out.
    """
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = _readable(kafka.ssl_cafile, "SSL_CAFILE")
    certfile = _readable(kafka.ssl_certfile, "SSL_CERTFILE")
    keyfile = _readable(kafka.ssl_keyfile, "SSL_KEYFILE")
    try:
        context = ssl.create_default_context(cafile=cafile)
    except ssl.SSLError as error:
        raise KafkaSecurityError(
            f"WIREWATCH_KAFKA__SSL_CAFILE ({cafile}) holds no PEM CA certificate: {error}"
        ) from error
    context.check_hostname = kafka.ssl_check_hostname
    if certfile is not None:
        password = kafka.ssl_keyfile_password
        try:
            context.load_cert_chain(
                certfile, keyfile, password.get_secret_value() if password else None
            )
        except ssl.SSLError as error:
            raise KafkaSecurityError(
                f"the client certificate WIREWATCH_KAFKA__SSL_CERTFILE ({certfile}) and its key "
                f"(WIREWATCH_KAFKA__SSL_KEYFILE: {keyfile or 'in the same file'}) could not be "
                f"loaded: {error.reason or error}. Check that they are PEM, belong together, "
                "and, for an encrypted key, WIREWATCH_KAFKA__SSL_KEYFILE_PASSWORD"
            ) from error
    return context


def _readable(path: Path | None, setting: str) -> str | None:
    if path is None:
        return None
    if not path.is_file() or not os.access(path, os.R_OK):
        state = "is not readable" if path.is_file() else "does not exist"
        raise KafkaSecurityError(f"WIREWATCH_KAFKA__{setting}: {path} {state}")
    return str(path)


def client_options(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaConsumer, AIOKafkaProducer and AIOKafkaAdminClient.

    Raises KafkaSecurityError when the TLS files cannot be used (see `ssl_context`).
    """
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "client_id": kafka.client_id,
        "security_protocol": kafka.security_protocol,
        "request_timeout_ms": kafka.request_timeout_ms,
    }
    context = ssl_context(kafka)
    if context is not None:
        options["ssl_context"] = context
    if kafka.sasl_mechanism is not None:
        options["sasl_mechanism"] = kafka.sasl_mechanism
        options["sasl_plain_username"] = kafka.sasl_username
        options["sasl_plain_password"] = (
            kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        )
    return options


async def describe_failure(kafka: KafkaSettings, error: KafkaError) -> str:
    """What went wrong connecting to Kafka, and what to set, where aiokafka only says it
    could not bootstrap: one connection to the first broker, made again, tells a refused
    password or certificate from a broker that is down. Never includes the password."""
    if not isinstance(error, KafkaConnectionError):
        return repr(error)
    first = kafka.bootstrap_servers.split(",")[0].strip()
    parts = urlsplit(f"//{first}")
    host, port = parts.hostname or first, parts.port or 9092
    options = client_options(kafka)
    try:
        async with asyncio.timeout(_DIAGNOSIS_TIMEOUT_S):
            connection = await create_conn(
                host,
                port,
                client_id=options["client_id"],
                request_timeout_ms=options["request_timeout_ms"],
                ssl_context=options.get("ssl_context"),
                security_protocol=options["security_protocol"],
                sasl_mechanism=options.get("sasl_mechanism", "PLAIN"),
                sasl_plain_username=options.get("sasl_plain_username"),
                sasl_plain_password=options.get("sasl_plain_password"),
            )
    except SaslAuthenticationFailed:
        return (
            f"the broker {host}:{port} refused the credentials: authentication failed for "
            f"user {kafka.sasl_username!r} ({kafka.sasl_mechanism}). Check "
            "WIREWATCH_KAFKA__SASL_USERNAME, WIREWATCH_KAFKA__SASL_PASSWORD and "
            "WIREWATCH_KAFKA__SASL_MECHANISM"
        )
    except ssl.SSLCertVerificationError as refused:
        return (
            f"the TLS certificate of the broker {host}:{port} was refused: "
            f"{refused.verify_message}. Set WIREWATCH_KAFKA__SSL_CAFILE to the CA that signed "
            "it (and check the host name it was issued for)"
        )
    except ssl.SSLError as refused:
        return f"the TLS handshake with the broker {host}:{port} failed: {refused}"
    except (OSError, KafkaError, TimeoutError) as failure:
        detail = repr(failure)
        if isinstance(failure, KafkaConnectionError) and kafka.security_protocol == "SSL":
            # A broker requiring a client certificate closes the connection without a word.
            detail += (
                "; if the broker requires mutual TLS, set WIREWATCH_KAFKA__SSL_CERTFILE and "
                "SSL_KEYFILE to a client certificate its CA signed"
            )
        return f"could not connect to the broker {host}:{port}: {detail}"
    connection.close()
    return f"{error!r} (a fresh connection to {host}:{port} succeeded: it may be transient)"
