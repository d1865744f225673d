"""The local Kafka broker: one combined KRaft node (broker and controller) on 127.0.0.1.

Its jars are fetched with Maven (Kafka and a log4j2 binding); the secured stack adds a SASL_SSL
client listener (SCRAM users made when the storage is formatted) and a mutual-TLS listener,
with certificates of the stack's CA.
"""

import base64
import os
import shutil
import subprocess
from pathlib import Path

from tools.stack.credentials import (
    KAFKA_PASSWORD,
    KAFKA_USER,
    stack_authority,
    stack_secret,
    write_private,
)
from tools.stack.errors import StackError
from tools.stack.maven import locked, run_maven
from tools.stack.process import Server, port_open
from wirewatch.settings import StackSettings

_LOG4J_VERSION = "2.24.3"
_SLF4J_VERSION = "2.0.16"
_KAFKA_BROKER_USER = "broker"
_KAFKA_SCRAM_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256")


class KafkaServer(Server):
    """The local broker; its controller listens on the client port + 1."""

    name = "kafka"

    @property
    def controller_port(self) -> int:
        return self.port + 1

    @property
    def mtls_port(self) -> int:
        """The secured stack's mutual-TLS listener (SSL, client certificate required)."""
        return self.port + 2

    def ports(self) -> list[int]:
        if self.stack.secure:
            return [self.port, self.controller_port, self.mtls_port]
        return [self.port, self.controller_port]

    def ready(self) -> bool:
        # The broker accepts connections on its client listener only once it has started.
        return port_open(self.port)

    def fetch(self) -> Path:
        """The folder of the broker's jars, fetched with Maven the first time."""
        root = self.stack.cache_dir / f"kafka-{self.stack.kafka_version}"
        lib = root / "lib"
        complete = root / ".complete"
        with locked(self.stack.cache_dir / ".kafka.lock"):
            if complete.exists():
                return lib
            shutil.rmtree(lib, ignore_errors=True)
            root.mkdir(parents=True, exist_ok=True)
            (root / "pom.xml").write_text(_kafka_pom(self.stack.kafka_version))
            run_maven(
                [
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={lib}",
                    "-DincludeScope=runtime",
                ],
                root,
                f"Kafka {self.stack.kafka_version}",
            )
            complete.touch()
        return lib

    def prepare(self, java: Path) -> tuple[list[str], dict[str, str], str | None]:
        lib = self.fetch()
        data = self.home / "data"
        config = self.home / "server.properties"
        users: dict[str, str] = {}
        if self.stack.secure:
            users = kafka_scram_users(self.stack)
            properties = kafka_properties(
                port=self.port,
                controller_port=self.controller_port,
                data=data,
                listeners=kafka_secure_listeners(
                    self.stack,
                    port=self.port,
                    controller_port=self.controller_port,
                    mtls_port=self.mtls_port,
                    broker_password=users[_KAFKA_BROKER_USER],
                ),
            )
        else:
            properties = kafka_properties(
                port=self.port, controller_port=self.controller_port, data=data
            )
        if self.stack.secure:
            write_private(config, properties)  # it holds the broker's SCRAM password
        else:
            config.write_text(properties)
        log_config = self.home / "log4j2.properties"
        log_config.write_text(_KAFKA_LOG4J)
        classpath = f"{lib}/*"
        formatted_as = self.home / "storage.secure"
        if not (data / "meta.properties").exists():
            self._format(java, classpath, config, users)
            formatted_as.write_text(f"{self.stack.secure}\n")
        elif formatted_as.exists() and formatted_as.read_text().strip() != str(self.stack.secure):
            # The SCRAM users exist only if they were added when the storage was formatted.
            raise StackError(
                f"kafka: the data in {data} was made with WIREWATCH_STACK__SECURE="
                f"{formatted_as.read_text().strip().lower()}; run `wirewatch stack down "
                "--purge` (its data is lost) or use another WIREWATCH_STACK__STATE_DIR"
            )
        heap = f"-Xmx{self.stack.kafka_heap_mb}m"
        command = [
            str(java), heap, f"-Xms{self.stack.kafka_heap_mb // 2}m",
            f"-Dlog4j2.configurationFile={log_config}", "-cp", classpath,
            "kafka.Kafka", str(config),
        ]  # fmt: skip
        return command, dict(os.environ), None

    def _format(self, java: Path, classpath: str, config: Path, users: dict[str, str]) -> None:
        """Formats the storage, creating the SCRAM `users` (name: password) if any.

        The passwords travel in a java argument file (0600, deleted after), so that they
        never appear on a command line another user of the machine could read.
        """
        arguments = ["kafka.tools.StorageTool", "format", "-t", _kafka_cluster_id(),
                     "-c", str(config)]  # fmt: skip
        for user, password in users.items():
            for mechanism in _KAFKA_SCRAM_MECHANISMS:
                arguments += ["--add-scram", f"{mechanism}=[name={user},password={password}]"]
        argument_file = self.home / "format.args"
        write_private(argument_file, "\n".join(f'"{argument}"' for argument in arguments))
        try:
            formatted = subprocess.run(
                [str(java), "-cp", classpath, f"@{argument_file}"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        finally:
            argument_file.unlink(missing_ok=True)
        if formatted.returncode != 0:
            output = formatted.stdout + formatted.stderr
            for password in users.values():
                output = output.replace(password, "**********")
            raise StackError(f"kafka: formatting the storage in {config.parent / 'data'} "
                             f"failed:\n{output}")  # fmt: skip


def _kafka_cluster_id() -> str:
    # Kafka's own Uuid.randomUuid: 16 random bytes, URL-safe base64, no padding, no leading '-'.
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _kafka_pom(version: str) -> str:
    dependencies = [
        ("org.apache.kafka", "kafka_2.13", version),
        ("org.apache.logging.log4j", "log4j-slf4j2-impl", _LOG4J_VERSION),
        ("org.apache.logging.log4j", "log4j-core", _LOG4J_VERSION),
        # Kafka's own dependencies bring slf4j-api 1.7, which cannot see the log4j2 binding.
        ("org.slf4j", "slf4j-api", _SLF4J_VERSION),
    ]
    listed = "".join(
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{release}</version></dependency>"
        for group, artifact, release in dependencies
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>wirewatch.local</groupId><artifactId>kafka-runtime</artifactId>"
        f"<version>1</version><packaging>pom</packaging><dependencies>{listed}</dependencies>"
        "</project>\n"
    )


def kafka_properties(
    *, port: int, controller_port: int, data: Path, listeners: str | None = None
) -> str:
    """The broker's configuration; `listeners` replaces the plain listener lines."""
    if listeners is None:
        listeners = f"""\
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
"""
    return f"""\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
{listeners}log.dirs={data}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
"""


def kafka_scram_users(settings: StackSettings) -> dict[str, str]:
    """The SCRAM users of the secured broker and their passwords: `wirewatch` for clients,
    `broker` for the broker's own connections to itself (inter-broker listener)."""
    return {
        KAFKA_USER: stack_secret(settings, KAFKA_PASSWORD).read_text().strip(),
        _KAFKA_BROKER_USER: stack_secret(settings, "kafka-broker-password").read_text().strip(),
    }


def kafka_secure_listeners(
    settings: StackSettings,
    *,
    port: int,
    controller_port: int,
    mtls_port: int,
    broker_password: str,
) -> str:
    """The secured broker's listeners, TLS and SASL configuration.

    CLIENT (the client port): SASL_SSL with SCRAM-SHA-512 or -256, also the inter-broker
    listener (user `broker`). MTLS (client port + 2): SSL with a client certificate signed
    by the stack's CA required. CONTROLLER (client port + 1) stays PLAINTEXT on 127.0.0.1: in
    one combined KRaft node only the node itself talks to it.
    """
    authority = stack_authority(settings)
    issued = authority.issue("kafka", ["127.0.0.1", "localhost"])
    # Kafka's PEM key store: the private key (PKCS#8) then the certificate chain, one file.
    keystore = issued.certificate.with_name("kafka-keystore.pem")
    write_private(
        keystore,
        issued.key.read_text() + issued.certificate.read_text() + authority.ca_file.read_text(),
    )
    # The password is a SCRAM password of the local stack: token_urlsafe never holds a quote.
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{_KAFKA_BROKER_USER}" password="{broker_password}";'
    )
    client, mtls = f"CLIENT://127.0.0.1:{port}", f"MTLS://127.0.0.1:{mtls_port}"
    return f"""\
listeners={client},CONTROLLER://127.0.0.1:{controller_port},{mtls}
advertised.listeners={client},{mtls}
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CLIENT:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms={",".join(_KAFKA_SCRAM_MECHANISMS)}
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config={jaas}
listener.name.client.scram-sha-256.sasl.jaas.config={jaas}
ssl.keystore.type=PEM
ssl.keystore.location={keystore}
ssl.truststore.type=PEM
ssl.truststore.location={authority.ca_file}
ssl.endpoint.identification.algorithm=https
listener.name.mtls.ssl.client.auth=required
"""


_KAFKA_LOG4J = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.org.name = org.apache.kafka
logger.org.level = warn
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""
