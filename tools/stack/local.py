"""The local stack: the servers the settings point at on this machine, and `stack env`.

The real servers are fetched with Maven into a cache folder, then run as child processes in
their own process groups with data and logs under the stack's state folder. Servers configured
at remote addresses are left alone.
"""

import shlex
from collections.abc import Collection
from urllib.parse import urlsplit

from contracts import without_userinfo
from tools.stack.credentials import (
    ELASTICSEARCH_PASSWORD,
    ELASTICSEARCH_USER,
    KAFKA_PASSWORD,
    KAFKA_USER,
    stack_authority,
    stack_secret,
)
from tools.stack.elasticsearch import ElasticsearchServer
from tools.stack.java import find_java
from tools.stack.kafka import KafkaServer
from tools.stack.process import Server, ServerStatus
from wirewatch.settings import Settings, StackSettings

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _local_port(host: str | None, port: int | None, default: int) -> int | None:
    """The port of a loopback address, or None for a remote one."""
    if host is None or host.lower() not in _LOOPBACK:
        return None
    return port or default


def kafka_local_port(bootstrap_servers: str) -> int | None:
    """The port to run the local broker on, or None if the configured brokers are remote."""
    first = bootstrap_servers.split(",")[0].strip()
    parts = urlsplit(f"//{first}")
    return _local_port(parts.hostname, parts.port, 9092)


def elasticsearch_local_port(url: str) -> int | None:
    """The port to run the local Elasticsearch on, or None if the configured one is remote."""
    parts = urlsplit(url.split(",")[0].strip())
    return _local_port(parts.hostname, parts.port, 9200)


class LocalStack:
    """The servers the settings point at on this machine; remote ones are left alone."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        kafka_port = kafka_local_port(settings.kafka.bootstrap_servers)
        es_port = elasticsearch_local_port(settings.index.elasticsearch_url)
        self._kafka = KafkaServer(settings.stack, kafka_port) if kafka_port else None
        self._es = ElasticsearchServer(settings.stack, es_port) if es_port else None

    def _servers(self, names: Collection[str] | None = None) -> list[Server]:
        return [
            server
            for server in (self._kafka, self._es)
            if server is not None and (names is None or server.name in names)
        ]

    def up(self, names: Collection[str] | None = None) -> list[ServerStatus]:
        """Starts the local servers that are not running and waits until they answer.

        `names` ("kafka", "elasticsearch") limits it to those: the fault tests restart one
        server on its data while the other runs on."""
        servers = self._servers(names)
        if servers:
            java = find_java()
            for server in servers:
                try:
                    server.up(java)
                except BaseException:
                    server.down()
                    raise
        return self.status()

    def down(
        self, names: Collection[str] | None = None, *, purge: bool = False
    ) -> list[ServerStatus]:
        """Stops the local servers (or those of `names`); their data stays unless `purge`."""
        for server in self._servers(names):
            server.down()
            if purge:
                server.purge()
        return self.status()

    def status(self) -> list[ServerStatus]:
        """One line per server: running, stopped, or external (configured elsewhere)."""
        statuses = [server.status() for server in self._servers()]
        if self._kafka is None:
            statuses.insert(
                0, ServerStatus("kafka", "external", self.settings.kafka.bootstrap_servers)
            )
        if self._es is None:
            statuses.append(
                ServerStatus(
                    "elasticsearch",
                    "external",
                    without_userinfo(self.settings.index.elasticsearch_url),
                )
            )
        return statuses


def stack_env(settings: Settings) -> list[str]:
    """`export WIREWATCH_...=...` lines that point a client at this local stack.

    For the secured stack they carry the users, the CA file, and for each password a command
    substitution that reads its secret file: the secret itself is never printed. Servers
    configured elsewhere (remote addresses) are left out.
    """
    stack = settings.stack
    lines = {"WIREWATCH_STACK__SECURE": "true" if stack.secure else "false"}
    kafka_port = kafka_local_port(settings.kafka.bootstrap_servers)
    es_port = elasticsearch_local_port(settings.index.elasticsearch_url)
    ca_file = str(stack_authority(stack).ca_file) if stack.secure else ""
    if kafka_port is not None:
        lines["WIREWATCH_KAFKA__BOOTSTRAP_SERVERS"] = f"127.0.0.1:{kafka_port}"
        if stack.secure:
            lines["WIREWATCH_KAFKA__SECURITY_PROTOCOL"] = "SASL_SSL"
            lines["WIREWATCH_KAFKA__SASL_MECHANISM"] = "SCRAM-SHA-512"
            lines["WIREWATCH_KAFKA__SASL_USERNAME"] = KAFKA_USER
            lines["WIREWATCH_KAFKA__SASL_PASSWORD"] = _read_secret(stack, KAFKA_PASSWORD)
            lines["WIREWATCH_KAFKA__SSL_CAFILE"] = ca_file
    if es_port is not None:
        scheme = "https" if stack.secure else "http"
        lines["WIREWATCH_INDEX__ELASTICSEARCH_URL"] = f"{scheme}://127.0.0.1:{es_port}"
        if stack.secure:
            lines["WIREWATCH_INDEX__USERNAME"] = ELASTICSEARCH_USER
            lines["WIREWATCH_INDEX__PASSWORD"] = _read_secret(stack, ELASTICSEARCH_PASSWORD)
            lines["WIREWATCH_INDEX__CA_CERTS"] = ca_file
    return [
        f"export {name}={value if isinstance(value, _Substitution) else shlex.quote(value)}"
        for name, value in lines.items()
    ]


class _Substitution(str):
    """A shell command substitution, printed as it is rather than quoted."""


def _read_secret(stack: StackSettings, name: str) -> _Substitution:
    return _Substitution(f'"$(cat {shlex.quote(str(stack_secret(stack, name)))})"')
