"""Fixtures over the real Kafka and Elasticsearch that `wirewatch stack up` started.

Each test gets its own topics, consumer group and index alias (uuid names).
"""

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from elasticsearch import AsyncElasticsearch

from index.client import connect
from tests.integration.support import drop_index, isolated, servers_missing
from tools.stack import LocalStack
from wirewatch.settings import Settings

# The secured stack of the tests: Kafka on 19192 (SASL_SSL; mutual TLS on 19194, its controller
# on 19193), Elasticsearch on 19250 (HTTPS; transport 19350). The plain stacks use 19092/19200
# (make test) and 29092/29200 (development).
SECURED_KAFKA_PORT = 19192
SECURED_ELASTICSEARCH_PORT = 19250
SECURED_STATE_DIR = Path(__file__).resolve().parents[2] / ".wirewatch" / "test-secure"


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """The environment's settings, after checking that both servers answer.

    A missing server fails the test (never skips it), saying how to start one.
    """
    settings = Settings()
    missing = servers_missing(settings)
    if missing:
        pytest.fail(f"{missing}: start them with `wirewatch stack up` (or run `make test`)")
    return settings


@pytest.fixture
async def settings(base_settings: Settings) -> AsyncIterator[Settings]:
    """Isolated settings; the test's index and template are deleted afterwards."""
    isolated_settings = isolated(base_settings)
    yield isolated_settings
    await drop_index(isolated_settings)


@pytest.fixture
async def elasticsearch(base_settings: Settings) -> AsyncIterator[AsyncElasticsearch]:
    """A client for checking what the service wrote."""
    async with connect(base_settings.index) as client:
        yield client


@pytest.fixture(scope="session")
def secured_stack(base_settings: Settings) -> Iterator[Settings]:
    """Settings of the secured local stack (WIREWATCH_STACK__SECURE=true, both servers), started
    once for the tests that ask for it and purged at the end.

    Its `kafka` and `index` settings are the plain addresses a stack is configured with; clients
    need the secured ones (`wirewatch stack env`, or the modules' own fixtures).
    """
    settings = base_settings.model_copy(
        update={
            "kafka": base_settings.kafka.model_copy(
                update={"bootstrap_servers": f"127.0.0.1:{SECURED_KAFKA_PORT}"}
            ),
            "index": base_settings.index.model_copy(
                update={"elasticsearch_url": f"http://127.0.0.1:{SECURED_ELASTICSEARCH_PORT}"}
            ),
            "stack": base_settings.stack.model_copy(
                update={"state_dir": SECURED_STATE_DIR, "secure": True}
            ),
        }
    )
    stack = LocalStack(settings)
    try:
        stack.up()
        yield settings
    finally:
        stack.down(purge=True)
        shutil.rmtree(SECURED_STATE_DIR, ignore_errors=True)


def secured_stack_logs() -> str:
    """Every log the secured stack's servers wrote (their runtime folders included)."""
    runtime = Path("/var/tmp").glob("wirewatch-es-*/logs/*")  # noqa: S108 (the stack's folder)
    return "".join(
        path.read_text(errors="replace")
        for path in [*SECURED_STATE_DIR.rglob("*.log"), *runtime]
        if path.is_file()
    )
