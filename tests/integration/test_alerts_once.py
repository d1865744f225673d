"""Alerts exactly once per rule and story on real servers: a bulk answer lost, two replicas
with copies of one story at once, a crash around the write, a webhook down for a while."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from elastic_transport import ConnectionTimeout, ObjectApiResponse
from elasticsearch import AsyncElasticsearch

from alerts import Alert
from enrich.fingerprints import story_bands
from index.client import connect
from index.stories import StoryResolver
from tests.integration import test_alerts
from tests.integration.support import (
    committed_offsets,
    count_documents,
    eventually,
    produce,
    read_topic,
    running,
)
from tests.integration.test_alerts import SEED_ID, Webhook, add_rule, seed_line, stored_alerts
from wirewatch.service import Service
from wirewatch.settings import Settings

# The fixtures of the other alert tests, for this module too.
alerting = test_alerts.alerting
webhook = test_alerts.webhook


class InjectedCrashError(Exception):
    """Stands for the process dying: nothing in wirewatch catches it."""


@dataclass
class Fault:
    """The first bulk request to `index` reaches the server; then `error` replaces its answer."""

    index: str
    error: BaseException
    fired: asyncio.Event = field(default_factory=asyncio.Event)


class LosingElasticsearch(AsyncElasticsearch):
    """The real client, whose first bulk request to one index is applied and then answered
    with an error (a dropped connection, or the process dying before it reads the answer)."""

    def __init__(self, *, _transport: Any, fault: Fault | None = None) -> None:
        super().__init__(_transport=_transport)
        self.fault = fault

    def options(self, **kwargs: Any) -> "LosingElasticsearch":
        # The bulk helper works on a copy made by options(): it must share the fault.
        copy = super().options(**kwargs)
        copy.fault = self.fault
        return copy

    async def bulk(self, *, operations: Iterable[Any], **kwargs: Any) -> ObjectApiResponse[Any]:  # type: ignore[override]
        lines = [json.loads(op) if isinstance(op, bytes | str) else op for op in operations]
        response = await super().bulk(operations=lines, **kwargs)
        (action,) = lines[0].values()
        fault = self.fault
        if fault is not None and action["_index"] == fault.index and not fault.fired.is_set():
            fault.fired.set()
            raise fault.error
        return response


@pytest.fixture
async def real_client(settings: Settings) -> AsyncIterator[AsyncElasticsearch]:
    async with connect(settings.index) as client:
        yield client


def quick(settings: Settings, **alerts: Any) -> Settings:
    """Recovery passes every second, taking over alerts two seconds old."""
    return settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(
                update={"recovery_grace_s": 2, "recovery_interval_s": 1.0, **alerts}
            )
        }
    )


async def _committed(settings: Settings, offset: int) -> bool:
    return await committed_offsets(settings) == {0: offset}


async def settled(client: AsyncElasticsearch, settings: Settings) -> list[Alert]:
    """The stored alerts once none has a delivery pending."""
    found = await stored_alerts(client, settings)
    return found if found and all(not alert.pending for alert in found) else []


async def test_a_bulk_write_applied_but_answered_with_a_timeout_still_alerts_once(
    alerting: Settings,
    elasticsearch: AsyncElasticsearch,
    real_client: AsyncElasticsearch,
    webhook: Webhook,
) -> None:
    settings = alerting
    await add_rule(settings, elasticsearch, "countries:VE", [f"{webhook.base}/ok"])
    fault = Fault(settings.index.alias, ConnectionTimeout("injected: the answer was lost"))
    losing = LosingElasticsearch(_transport=real_client.transport, fault=fault)
    await produce(settings, [seed_line()])

    async with running(settings, losing):
        await eventually(lambda: _committed(settings, 1), what="the article committed")
        await eventually(lambda: webhook.called("/ok"), what="the alert delivered")
        await asyncio.sleep(1)  # time for a wrong second delivery to show

    assert fault.fired.is_set(), "the first bulk answer was lost"
    indexed = await elasticsearch.get(index=settings.index.alias, id=SEED_ID)
    assert indexed["_version"] == 2, "the retry rewrote what the lost attempt had written"
    (alert,) = await stored_alerts(elasticsearch, settings)
    assert alert.article_id == SEED_ID
    assert [body["alert"]["id"] for body in webhook.bodies("/ok")] == [alert.id]


@pytest.mark.parametrize("crashed_index", ["articles", "alerts"])
async def test_a_crash_around_the_article_write_then_redelivery_alerts_exactly_once(
    alerting: Settings,
    elasticsearch: AsyncElasticsearch,
    real_client: AsyncElasticsearch,
    webhook: Webhook,
    crashed_index: str,
) -> None:
    # The process dies once the articles (or the alerts) of the batch are written, before
    # it reads the answer: nothing is committed and the batch is redelivered.
    settings = quick(alerting)
    await add_rule(settings, elasticsearch, "countries:VE", [f"{webhook.base}/ok"])
    target = settings.index.alias if crashed_index == "articles" else settings.alerts.alerts_index
    fault = Fault(target, InjectedCrashError("injected: the process died"))
    losing = LosingElasticsearch(_transport=real_client.transport, fault=fault)
    await produce(settings, [seed_line()])

    with pytest.raises(InjectedCrashError):
        await Service(settings, elasticsearch=losing).run(asyncio.Event())
    assert await committed_offsets(settings) == {}

    async with running(settings, elasticsearch):
        await eventually(lambda: _committed(settings, 1), what="the redelivery committed")
        (alert,) = await eventually(lambda: settled(elasticsearch, settings), what="delivery")
        await asyncio.sleep(2)  # time for a wrong second delivery to show

    assert await count_documents(elasticsearch, settings) == 1
    assert (alert.article_id, alert.story_id) == (SEED_ID, SEED_ID)
    assert [body["alert"]["id"] for body in webhook.bodies("/ok")] == [alert.id]
    messages = await read_topic(settings, settings.alerts.alerts_topic, 2, wait_s=5)
    assert [message.key for message in messages] == [alert.id.encode()]


def _copy_of_seed(seed: dict[str, Any], article_id: str) -> dict[str, Any]:
    return {
        **seed,
        "id": article_id,
        "title": "Moscow sends defence officials to Caracas",
        "body": "\n".join(seed["body"].split("\n")[:-2]),
        "source": "Another Outlet",
    }


async def test_two_replicas_with_copies_of_one_story_at_once_make_one_story_and_one_alert(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting
    await add_rule(settings, elasticsearch, "countries:VE", [f"{webhook.base}/ok"])
    # Two replicas, each reading a topic of its own, into the same indices: each gets one
    # copy, and both batches are in flight within the same refresh interval.
    replicas = [
        settings.model_copy(
            update={
                "ingest": settings.ingest.model_copy(
                    update={
                        "topic": f"{settings.ingest.topic}.{n}",
                        "dead_letter_topic": f"{settings.ingest.topic}.{n}.dlq",
                        "group_id": f"{settings.ingest.group_id}-{n}",
                    }
                )
            }
        )
        for n in (1, 2)
    ]
    seed = json.loads(seed_line())
    await produce(replicas[0], [seed_line()])
    await produce(replicas[1], [json.dumps(_copy_of_seed(seed, "copy-elsewhere")).encode()])

    async with running(replicas[0], elasticsearch), running(replicas[1], elasticsearch):
        for replica in replicas:
            await eventually(lambda r=replica: _committed(r, 1), what="each copy committed")  # type: ignore[misc]
        await eventually(lambda: webhook.called("/ok"), what="the alert delivered")
        await asyncio.sleep(1)  # time for a wrong second alert to show

    await elasticsearch.indices.refresh(index=settings.index.alias)
    found = await elasticsearch.search(
        index=settings.index.alias, query={"match_all": {}}, source_includes=["story_id"]
    )
    stories = {hit["_id"]: hit["_source"]["story_id"] for hit in found["hits"]["hits"]}
    assert set(stories) == {SEED_ID, "copy-elsewhere"}
    assert len(set(stories.values())) == 1, stories
    (alert,) = await stored_alerts(elasticsearch, settings)
    assert [body["alert"]["id"] for body in webhook.bodies("/ok")] == [alert.id]


async def test_two_resolvers_racing_on_copies_of_many_stories_agree_on_every_story_id(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    # Each pair: one story, two copies with a few words changed, resolved by two instances
    # (separate resolvers, no shared memory) at the same moment.
    words = [f"w{n}" for n in range(400)]
    pairs = []
    for story in range(30):
        text = " ".join(f"{word}s{story}" for word in words[story : story + 120])
        edited = text.replace(f"w{story + 60}s{story}", "changed", 1)
        pairs.append(
            (
                (f"a-{story}", story_bands("Story", text)),
                (f"b-{story}", story_bands("Story", edited)),
            )
        )
    first, second = (
        StoryResolver(elasticsearch, settings.index),
        StoryResolver(elasticsearch, settings.index),
    )
    await first.setup()

    answers = await asyncio.gather(
        *(
            resolver.resolve([copy])
            for copy_a, copy_b in pairs
            for resolver, copy in ((first, copy_a), (second, copy_b))
        )
    )

    for story in range(30):
        story_a, story_b = answers[2 * story], answers[2 * story + 1]
        assert story_a[f"a-{story}"] == story_b[f"b-{story}"], (story, story_a, story_b)
    assert len({next(iter(answer.values())) for answer in answers}) == 30


@dataclass
class LateWebhook:
    """A webhook whose port refuses connections until `start()` begins listening on it."""

    url: str
    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def receive(request: web.Request) -> web.Response:
            self.received.append(await request.json())
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_post("/hook", receive)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def bodies(self) -> list[dict[str, Any]]:
        return self.received


@pytest.fixture
async def late_webhook() -> AsyncIterator[LateWebhook]:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    hook = LateWebhook(url=f"http://127.0.0.1:{port}/hook", port=port)
    yield hook
    if hook.runner is not None:
        await hook.runner.cleanup()


async def test_a_webhook_down_for_a_while_gets_its_alert_when_it_comes_back(
    alerting: Settings, elasticsearch: AsyncElasticsearch, late_webhook: LateWebhook
) -> None:
    # Each round: three tries 10-50 ms apart; then recovery passes 1 s, 2 s, 2 s ... later.
    settings = quick(alerting, delivery_retry_max_backoff_s=2.0)
    await add_rule(settings, elasticsearch, "countries:VE", [late_webhook.url])
    await produce(settings, [seed_line()])

    async def failed_rounds(count: int) -> Alert | None:
        alerts = await stored_alerts(elasticsearch, settings)
        hooks = [d for alert in alerts for d in alert.deliveries if d.destination == "webhook:0"]
        return alerts[0] if hooks and hooks[0].rounds >= count else None

    async with running(settings, elasticsearch) as service:
        down = await eventually(lambda: failed_rounds(3), what="three failed rounds")
        (hook,) = [d for d in down.deliveries if d.destination == "webhook:0"]
        assert (hook.state, hook.attempts) == ("pending", 9)
        assert "failed" in (hook.last_error or "")
        assert down.retry_at is not None
        await late_webhook.start()
        (alert,) = await eventually(lambda: settled(elasticsearch, settings), what="delivery")
        await asyncio.sleep(3)  # time for a wrong second delivery to show
        failed = service.registry.get_sample_value(
            "wirewatch_alert_deliveries_failed_total", {"destination": "webhook"}
        )

    assert {d.destination: d.state for d in alert.deliveries} == {
        "kafka": "delivered",
        "webhook:0": "delivered",
    }
    assert alert.retry_at is None
    assert [body["alert"]["id"] for body in late_webhook.received] == [alert.id]
    assert not failed


async def test_a_webhook_down_longer_than_the_retry_age_is_failed_for_good(
    alerting: Settings, elasticsearch: AsyncElasticsearch, late_webhook: LateWebhook
) -> None:
    settings = quick(alerting, delivery_retry_max_backoff_s=1.0, delivery_retry_max_age_s=3.0)
    await add_rule(settings, elasticsearch, "countries:VE", [late_webhook.url])
    await produce(settings, [seed_line()])

    async with running(settings, elasticsearch) as service:
        (alert,) = await eventually(lambda: settled(elasticsearch, settings), what="giving up")
        failed = service.registry.get_sample_value(
            "wirewatch_alert_deliveries_failed_total", {"destination": "webhook"}
        )

    (hook,) = [d for d in alert.deliveries if d.destination == "webhook:0"]
    assert hook.state == "failed"
    assert hook.rounds >= 2, "retried by recovery passes before giving up"
    assert hook.updated_at is not None
    assert (hook.updated_at - alert.matched_at).total_seconds() >= 3
    assert failed == 1
