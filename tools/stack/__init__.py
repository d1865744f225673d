"""The local Kafka broker and Elasticsearch server for development and tests (no Docker needed).

`LocalStack` starts, stops and reports the servers the settings point at on this machine;
`stack_env` prints what a client needs to reach them. The secured stack (TLS, users) keeps its
CA and password files under the state folder (`stack_authority`, `stack_secret`).
"""

from tools.stack.credentials import (
    ELASTICSEARCH_PASSWORD,
    ELASTICSEARCH_USER,
    KAFKA_PASSWORD,
    KAFKA_USER,
    stack_authority,
    stack_secret,
)
from tools.stack.errors import StackError
from tools.stack.java import find_java, java_major_version
from tools.stack.local import LocalStack, elasticsearch_local_port, kafka_local_port, stack_env
from tools.stack.process import ServerStatus

__all__ = [
    "ELASTICSEARCH_PASSWORD",
    "ELASTICSEARCH_USER",
    "KAFKA_PASSWORD",
    "KAFKA_USER",
    "LocalStack",
    "ServerStatus",
    "StackError",
    "elasticsearch_local_port",
    "find_java",
    "java_major_version",
    "kafka_local_port",
    "stack_authority",
    "stack_env",
    "stack_secret",
]
