"""Deadlines, start-up and probes while Elasticsearch hangs or refuses (through a proxy).

The shared Elasticsearch keeps running: each test reaches it through a proxy of its own,
which it makes hang (SIGSTOP-like: requests read, never answered) or refuse.
"""

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from elasticsearch import AsyncElasticsearch

from alerts import RuleStore
from contracts import Article, EnrichedArticle
from index import ArticleIndex, IndexingError, build_document
from tests.integration.proxy import Proxy
from tests.integration.support import article_line, count_documents, eventually, produce, running
from wirewatch.service import Service
from wirewatch.settings import Settings


@asynccontextmanager
async def elasticsearch_proxy(settings: Settings) -> AsyncIterator[Proxy]:
    target = urlsplit(settings.index.elasticsearch_url.split(",")[0])
    async with Proxy(target.hostname or "127.0.0.1", target.port or 9200) as proxy:
        yield proxy


def through(
    settings: Settings, proxy: Proxy, service: dict[str, Any] | None = None, **index: Any
) -> Settings:
    """The settings with Elasticsearch reached through the proxy, quick probes and retries."""
    return settings.model_copy(
        update={
            "index": settings.index.model_copy(update={"elasticsearch_url": proxy.url, **index}),
            "service": settings.service.model_copy(
                update={
                    "probe_timeout_ms": 500,
                    "startup_initial_backoff_ms": 100,
                    "startup_max_backoff_ms": 500,
                    **(service or {}),
                }
            ),
        }
    )


async def get(url: str) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        session.get(url) as response,
    ):
        return response.status, await response.json()


def document(number: int) -> Any:
    article = Article.model_validate_json(article_line(number))
    return build_document(EnrichedArticle(article=article, language="en"), None, datetime.now(UTC))


async def test_readyz_says_elasticsearch_is_down_within_the_probe_timeout_while_it_hangs(
    settings: Settings,
) -> None:
    async with (
        elasticsearch_proxy(settings) as proxy,
        running(through(settings, proxy, request_timeout_s=2.0)) as service,
    ):
        base = f"http://127.0.0.1:{service.http_port}"
        assert (await get(f"{base}/readyz"))[0] == 200
        proxy.hang()

        began = time.monotonic()
        status, body = await get(f"{base}/readyz")
        took = time.monotonic() - began

        assert status == 503
        assert body["status"] == "unavailable"
        elasticsearch = body["dependencies"]["elasticsearch"]
        assert elasticsearch["status"] == "down"
        assert "500 ms" in elasticsearch["reason"] or "0.5 s" in elasticsearch["reason"]
        assert body["dependencies"]["kafka"] == {"status": "up"}
        assert took < 5, f"/readyz took {took:.1f} s with a 0.5 s probe timeout"
        # An outage is not a wedged service: liveness stays green.
        assert (await get(f"{base}/healthz"))[0] == 200

        await proxy.forward()
        await eventually(lambda: _status_is(f"{base}/readyz", 200), what="/readyz to recover")


async def test_each_call_ends_within_its_deadline_while_elasticsearch_hangs(
    settings: Settings,
) -> None:
    async with elasticsearch_proxy(settings) as proxy:
        # A request timeout far beyond the retry deadline: only the deadline can end it.
        slow = through(settings, proxy, request_timeout_s=120.0, retry_deadline_s=1.5)
        quick = through(settings, proxy, request_timeout_s=1.0, max_retries=1)
        async with ArticleIndex(slow.index) as writes, ArticleIndex(quick.index) as reads:
            await writes.setup()
            proxy.hang()

            began = time.monotonic()
            with pytest.raises(IndexingError, match=r"within 1\.5 s") as raised:
                await writes.write([document(1)])
            assert raised.value.retriable
            took_write = time.monotonic() - began

            began = time.monotonic()
            with pytest.raises(IndexingError, match=r"did not answer within 0\.5 s"):
                await writes.ping(0.5)
            took_ping = time.monotonic() - began

            # Calls with no deadline of their own: the client's, 1 s x (1 + 1 retry).
            began = time.monotonic()
            with pytest.raises(IndexingError):
                await reads.search("*")
            with pytest.raises(IndexingError):
                await RuleStore(reads.client, settings.alerts).rules()
            took_calls = time.monotonic() - began

    assert took_write < 10, f"a write took {took_write:.1f} s past a 1.5 s retry deadline"
    assert took_ping < 5, f"a ping took {took_ping:.1f} s with a 0.5 s timeout"
    assert took_calls < 20, f"two calls took {took_calls:.1f} s with 2 s deadlines each"


@pytest.mark.parametrize("outage", ["hang", "refuse"])
async def test_start_up_waits_for_elasticsearch_then_indexes(
    settings: Settings, elasticsearch: AsyncElasticsearch, outage: str
) -> None:
    await produce(settings, [article_line(1)])
    async with elasticsearch_proxy(settings) as proxy:
        if outage == "hang":
            proxy.hang()
        else:
            await proxy.refuse()
        service = Service(through(settings, proxy, request_timeout_s=1.0))
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        try:
            await eventually(lambda: _http_up(service), what="the probes to answer")
            base = f"http://127.0.0.1:{service.http_port}"
            status, _ = await eventually(
                lambda: _waiting_for_elasticsearch(f"{base}/readyz"),
                what="/readyz to say start-up waits for Elasticsearch",
            )
            assert status == 503
            assert (await get(f"{base}/healthz"))[0] == 200
            await asyncio.sleep(2)  # several tries
            assert not task.done(), "start-up gave up instead of waiting"
            assert not service.ready.is_set()

            await proxy.forward()
            await asyncio.wait_for(service.ready.wait(), timeout=60)
            await eventually(
                lambda: _count_is(elasticsearch, settings, 1), what="the article to be indexed"
            )
            assert (await get(f"{base}/readyz"))[0] == 200
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=60)


async def test_healthz_reports_a_stalled_sink(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    async with elasticsearch_proxy(settings) as proxy:
        # Long deadlines and a short stall timeout: a write stuck on the hung server is,
        # to the watch, a batch in hand for too long.
        wedged = through(
            settings,
            proxy,
            request_timeout_s=120.0,
            retry_deadline_s=120.0,
            service={"stall_timeout_s": 1.0},
        )
        async with running(wedged) as service:
            base = f"http://127.0.0.1:{service.http_port}"
            status, body = await get(f"{base}/healthz")
            assert (status, body["sink"]["status"]) == (200, "idle")
            proxy.hang()
            await produce(settings, [article_line(1)])

            status, body = await eventually(
                lambda: _status_is(f"{base}/healthz", 503), what="/healthz to report the stall"
            )
            assert body["status"] == "stalled"
            assert body["sink"]["records_in_hand"] == 1
            assert body["sink"]["batch_age_s"] > 1.0
            assert "wirewatch_sink_stalled 1.0" in await _metrics(base)

            await proxy.forward()
            await eventually(
                lambda: _count_is(elasticsearch, settings, 1), what="the article to be indexed"
            )
            status, body = await eventually(
                lambda: _status_is(f"{base}/healthz", 200), what="/healthz to recover"
            )
            assert body["sink"]["status"] == "idle"
            assert body["sink"]["last_settled_s_ago"] is not None
            assert "wirewatch_sink_stalled 0.0" in await _metrics(base)


async def test_a_stop_while_waiting_for_elasticsearch_exits_cleanly(settings: Settings) -> None:
    http_port, nothing_there = _free_port(), _free_port()
    environment = {
        **os.environ,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": f"http://127.0.0.1:{nothing_there}",
        "WIREWATCH_INDEX__ALIAS": settings.index.alias,
        "WIREWATCH_INGEST__TOPIC": settings.ingest.topic,
        "WIREWATCH_INGEST__GROUP_ID": settings.ingest.group_id,
        "WIREWATCH_SERVICE__HTTP_PORT": str(http_port),
        "WIREWATCH_SERVICE__STARTUP_MAX_BACKOFF_MS": "1000",
        "WIREWATCH_SERVICE__LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wirewatch",
        "run",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        status, _ = await eventually(
            lambda: _waiting_for_elasticsearch(f"http://127.0.0.1:{http_port}/readyz"),
            what="/readyz of `wirewatch run` to say it waits for Elasticsearch",
        )
        assert status == 503
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = output.decode(errors="replace")
    assert process.returncode == 0, log
    assert log.count("waiting for elasticsearch") == 1, log  # once per kind of failure
    assert "stopped while waiting for Elasticsearch" in log


async def _status_is(url: str, expected: int) -> tuple[int, dict[str, Any]] | None:
    try:
        status, body = await get(url)
    except aiohttp.ClientError:
        return None
    return (status, body) if status == expected else None


async def _waiting_for_elasticsearch(url: str) -> tuple[int, dict[str, Any]] | None:
    try:
        status, body = await get(url)
    except aiohttp.ClientError:
        return None
    down = body.get("dependencies", {}).get("elasticsearch", {}).get("status") == "down"
    return (status, body) if body.get("status") == "starting" and down else None


async def _http_up(service: Service) -> bool:
    return service.http_port is not None


async def _count_is(client: AsyncElasticsearch, settings: Settings, expected: int) -> bool:
    return await count_documents(client, settings) == expected


async def _metrics(base: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base}/metrics") as response,
    ):
        return await response.text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
