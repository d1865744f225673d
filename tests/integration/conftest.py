"""Fixtures over the real Kafka and Elasticsearch that `wirewatch stack up` started.

Each test gets its own topics, consumer group and index alias (uuid names).
"""

from collections.abc import AsyncIterator

import pytest
from elasticsearch import AsyncElasticsearch

from index.client import connect
from tests.integration.support import drop_index, isolated, servers_missing
from wirewatch.settings import Settings


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
