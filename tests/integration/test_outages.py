"""Outages and stops mid-stream: the batch in hand is held, never lost, never doubled."""

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ObjectApiResponse
from elasticsearch import AsyncElasticsearch

from index import connect
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    drop_index,
    eventually,
    isolated,
    produce,
    running,
)
from tests.integration.test_shutdown import service_env
from wirewatch.settings import Settings


class AwayElasticsearch(AsyncElasticsearch):
    """The real client, whose bulk requests fail as if the cluster were gone until `back_at`
    (a monotonic time); it counts the articles each id had written (other indices' writes,
    such as story band claims, are not counted)."""

    def __init__(self, *, _transport: Any, back_at: list[float] | None = None,
                 writes: dict[str, int] | None = None) -> None:  # fmt: skip
        super().__init__(_transport=_transport)
        self.back_at = back_at if back_at is not None else [0.0]
        self.writes = writes if writes is not None else {}

    def options(self, **kwargs: Any) -> "AwayElasticsearch":
        copy = super().options(**kwargs)
        copy.back_at, copy.writes = self.back_at, self.writes
        return copy

    async def bulk(self, *, operations: Iterable[Any], **kwargs: Any) -> ObjectApiResponse[Any]:  # type: ignore[override]
        if time.monotonic() < self.back_at[0]:
            raise TransportConnectionError("injected by the test: the cluster is away")
        lines = [json.loads(op) if isinstance(op, bytes | str) else op for op in operations]
        response = await super().bulk(operations=lines, **kwargs)
        for item in response.body["items"]:
            result = next(iter(item.values()))
            if result.get("status", 500) < 300 and result["_index"].startswith("test-articles-"):
                self.writes[result["_id"]] = self.writes.get(result["_id"], 0) + 1
        return response


@pytest.fixture
async def real_client(settings: Settings) -> AsyncIterator[AsyncElasticsearch]:
    async with connect(settings.index) as client:
        yield client


async def test_an_outage_longer_than_the_retry_deadline_holds_the_batch_until_it_ends(
    settings: Settings, elasticsearch: AsyncElasticsearch, real_client: AsyncElasticsearch
) -> None:
    deadline_s, outage_s, count = 1.0, 8.0, 20
    settings = settings.model_copy(
        update={"index": settings.index.model_copy(update={"retry_deadline_s": deadline_s})}
    )
    away = AwayElasticsearch(_transport=real_client.transport)
    async with running(settings, elasticsearch=away) as service:
        away.back_at[0] = time.monotonic() + outage_s
        await produce(settings, [article_line(n) for n in range(count)])
        # Past the old deadline the service used to stop; now it holds and is not ready.
        await eventually(lambda: _held(service), timeout_s=30, what="the batch to be held")
        assert await committed_offsets(settings) == {}
        await eventually(
            lambda: _committed(settings, count), timeout_s=60, what="everything after the outage"
        )
        assert service.pipeline.held_reason is None
    assert await count_documents(elasticsearch, settings) == count
    assert away.writes == {f"article-{n}": 1 for n in range(count)}


async def _held(service: Any) -> bool:
    return service.pipeline.held_reason is not None


async def _committed(settings: Settings, count: int) -> bool:
    return sum((await committed_offsets(settings)).values()) == count


@pytest.fixture
async def stream_settings(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = isolated(base_settings, partitions=1)
    yield settings
    await drop_index(settings)


async def test_sigterm_during_a_long_enrichment_stops_within_the_grace_period(
    stream_settings: Settings, elasticsearch: AsyncElasticsearch, tmp_path: Path
) -> None:
    settings = stream_settings
    # Long articles in one big batch: enriching it takes far longer than the grace period.
    body = " ".join(
        f"Defence ministers of Russia and Venezuela met in Caracas, round {n}." for n in range(300)
    )
    await produce(settings, [article_line(n, body=body) for n in range(300)])
    env = {**service_env(settings), "WIREWATCH_INGEST__MAX_BATCH_RECORDS": "300",
           "WIREWATCH_INGEST__MAX_PARTITION_FETCH_BYTES": "104857600",
           "WIREWATCH_SERVICE__SHUTDOWN_TIMEOUT_S": "5"}  # fmt: skip
    log_path = tmp_path / "service.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wirewatch", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
    try:
        # Wait until it has the batch in hand, then give enrichment a moment to get going.
        await eventually(
            lambda: _logged(log_path, b"partitions assigned"), timeout_s=120, what="assignment"
        )
        await asyncio.sleep(5)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        await asyncio.wait_for(process.wait(), timeout=60)
        stopped_s = time.monotonic() - signalled
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = log_path.read_bytes()
    print(f"SIGTERM during a long enrichment: stopped after {stopped_s:.1f} s")
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert b"stopped enriching the batch in hand" in stderr
    assert stopped_s < 15  # the grace period: shutdown timeout 5 s plus the clients' close
    assert await committed_offsets(settings) == {}
    assert await count_documents(elasticsearch, settings) == 0


async def _logged(path: Path, text: bytes) -> bool:
    return text in await asyncio.to_thread(path.read_bytes)


@pytest.mark.parametrize("instance_id", [None, "wirewatch-test-{hostname}"])
async def test_a_killed_and_restarted_instance_gets_its_partitions_back_within_seconds(
    stream_settings: Settings, tmp_path: Path, instance_id: str | None
) -> None:
    settings = stream_settings
    await produce(settings, [article_line(0)])
    env = service_env(settings)
    if instance_id is not None:
        env["WIREWATCH_INGEST__GROUP_INSTANCE_ID"] = f"{instance_id}-{settings.ingest.group_id}"
    first = await _start(env, tmp_path / "first.log")
    try:
        await eventually(
            lambda: _logged(tmp_path / "first.log", b"partitions assigned"),
            timeout_s=120, what="the first instance's assignment",
        )  # fmt: skip
    finally:
        first.kill()  # SIGKILL: no leave, no commit
        await first.wait()
    killed = time.monotonic()
    second = await _start(env, tmp_path / "second.log")
    try:
        await eventually(
            lambda: _logged(tmp_path / "second.log", b"partitions assigned"),
            timeout_s=120, what="the restarted instance's assignment",
        )  # fmt: skip
        back_s = time.monotonic() - killed
    finally:
        second.kill()
        await second.wait()
    membership = "static" if instance_id else "dynamic"
    print(f"kill -9 and restart ({membership} membership): partitions back after {back_s:.1f} s")
    # The old default waited out a 45 s session; the start of the process itself takes seconds.
    assert back_s < 40


async def _start(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("wb") as log_file:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wirewatch", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip


async def test_a_member_joining_during_a_long_batch_leaves_no_record_written_twice(
    base_settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = isolated(base_settings, partitions=2)
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_batch_records": 500})}
    )
    count = 30
    body = " ".join(
        f"Defence ministers of Russia and Venezuela met in Caracas, round {n}." for n in range(200)
    )
    await produce(settings, [article_line(n, body=body) for n in range(count)])
    writes: dict[str, int] = {}
    try:
        async with connect(settings.index) as client:
            first = AwayElasticsearch(_transport=client.transport, writes=writes)
            second = AwayElasticsearch(_transport=client.transport, writes=writes)
            async with running(settings, elasticsearch=first):
                await asyncio.sleep(3)  # the first member has the whole stream in one batch
                assert await committed_offsets(settings) == {}
                async with running(settings, elasticsearch=second):
                    await eventually(
                        lambda: _committed(settings, count), timeout_s=240, what="everything"
                    )
        assert await count_documents(elasticsearch, settings) == count
        assert {doc_id: n for doc_id, n in writes.items() if n != 1} == {}
        assert len(writes) == count
    finally:
        await drop_index(settings)
