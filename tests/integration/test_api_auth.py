"""The rules and alerts API of the real service with tokens: a read token from the
environment, two write tokens from a file (as a mounted Kubernetes Secret gives them)."""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import SecretStr

from alerts import RuleStore
from index import connect
from tests.integration.support import running
from wirewatch.settings import Settings

READER = "read-token-" + "r" * 24
WRITER = "write-token-" + "w" * 24
ROTATED = "write-token-" + "v" * 24


@pytest.fixture
async def secured(settings: Settings, tmp_path: Path) -> AsyncIterator[Settings]:
    """The test's settings with a rules and alerts index of their own, and tokens."""
    tokens = tmp_path / "write-tokens"
    tokens.write_text(f"{WRITER}\n{ROTATED}\n")
    suffix = settings.index.alias.removeprefix("test-articles-")
    isolated = settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(
                update={
                    "rules_index": f"test-rules-{suffix}",
                    "alerts_index": f"test-alerts-{suffix}",
                    "alerts_topic": f"test.alerts.{suffix}",
                }
            ),
            "service": settings.service.model_copy(
                update={"api_read_tokens": SecretStr(READER), "api_write_tokens_file": tokens}
            ),
        }
    )
    yield isolated
    async with connect(settings.index) as client:
        await client.options(ignore_status=404).indices.delete(
            index=[isolated.alerts.rules_index, isolated.alerts.alerts_index],
            ignore_unavailable=True,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


RULE = {"name": "Venezuela", "query": "countries:VE"}


async def test_each_role_does_what_it_may_and_no_more(
    secured: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    async with running(secured, elasticsearch) as service, aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{service.http_port}"
        for path in ("/healthz", "/readyz", "/metrics"):
            async with session.get(f"{base}{path}") as open_:
                assert open_.status == 200, path
        for path in ("/rules", "/alerts"):
            async with session.get(f"{base}{path}") as anonymous:
                assert anonymous.status == 401
                assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
                assert "Authorization: Bearer" in (await anonymous.json())["error"]
            async with session.get(f"{base}{path}", headers=bearer(READER[:-1] + "x")) as wrong:
                assert wrong.status == 401
            async with session.get(f"{base}{path}", headers=bearer(READER)) as read:
                assert read.status == 200
                assert await read.json() == []
        async with session.post(f"{base}/rules", json=RULE) as anonymous:
            assert anonymous.status == 401
        async with session.post(f"{base}/rules", json=RULE, headers=bearer(READER)) as refused:
            assert refused.status == 403
        async with session.post(
            f"{base}/rules",
            data='{"name": "form", "query": "countries:VE"}',
            headers={**bearer(WRITER), "Content-Type": "text/plain"},
        ) as form:
            assert form.status == 415
        assert await RuleStore(elasticsearch, secured.alerts).rules() == []

        # The second token of the file works as well as the first (rotation).
        async with session.post(f"{base}/rules", json=RULE, headers=bearer(ROTATED)) as created:
            assert created.status == 201
            rule = await created.json()
        async with session.get(f"{base}/rules", headers=bearer(WRITER)) as listed:
            assert [r["id"] for r in await listed.json()] == [rule["id"]]
        async with session.delete(f"{base}/rules/{rule['id']}", headers=bearer(READER)) as kept:
            assert kept.status == 403
        async with session.delete(f"{base}/rules/{rule['id']}", headers=bearer(WRITER)) as removed:
            assert removed.status == 204
    assert await RuleStore(elasticsearch, secured.alerts).rules() == []
