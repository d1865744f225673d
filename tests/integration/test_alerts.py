"""Alerts on real servers: once per rule and story, on every destination, without stalling."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog.testing
from aiohttp import web
from elasticsearch import AsyncElasticsearch
from prometheus_client import CollectorRegistry

from alerts import (
    Alert,
    Alerting,
    AlertStore,
    Delivery,
    DeliveryError,
    EgressPolicy,
    InvalidRuleError,
    Rule,
    RuleBook,
    RuleNotFoundError,
    RuleStore,
    WebhookClient,
    alert_id,
    parse_draft,
)
from contracts.models import Article, EnrichedArticle
from index.client import connect
from index.documents import build_document
from index.errors import IndexingError
from matcher import UnsupportedQueryError
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    eventually,
    produce,
    read_topic,
    running,
)
from wirewatch.metrics import ServiceMetrics
from wirewatch.settings import Settings

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEED_ID = "havanatimes-russia-venezuela-defense-industry-talks"
# The seed article and article_line() are about Venezuela; this one is not.
OFF_TOPIC = json.dumps(
    {
        "id": "harvest-report",
        "title": "Farmers report a record apple harvest",
        "body": "Orchards across the valley reported a record apple harvest this autumn, "
        "and cider makers expect a busy winter.",
        "published_at": "2026-11-01T10:00:00Z",
        "source": "Farm Weekly",
    }
).encode()


# The test webhooks listen on loopback, which the egress policy refuses by default.
LOOPBACK = EgressPolicy.allowing(["127.0.0.1"])


@dataclass
class Webhook:
    """A local webhook receiver: /ok answers 200, /fail 500, /gone 410, /hold waits for
    `release`, /endless answers 500 with a body that goes on until `release`."""

    base: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.received if where == path]

    async def called(self, path: str) -> list[dict[str, Any]]:
        """The bodies POSTed to `path` so far, for `eventually`."""
        return self.bodies(path)


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    hook = Webhook(base="")

    async def receive(request: web.Request) -> web.StreamResponse:
        hook.received.append((request.path, await request.json()))
        if request.path == "/fail":
            return web.Response(status=500, text="broken on purpose")
        if request.path == "/gone":
            return web.Response(status=410, text="this hook was deleted")
        if request.path == "/hold":
            await hook.release.wait()
        if request.path == "/endless":
            # A broken receiver: an error page that never ends.
            response = web.StreamResponse(status=500)
            await response.prepare(request)
            with contextlib.suppress(ConnectionError):
                while not hook.release.is_set():
                    await response.write(b"x" * 65536)
                    await asyncio.sleep(0.01)
            return response
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/{name}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield hook
    hook.release.set()
    await runner.cleanup()


@pytest.fixture
async def alerting(settings: Settings) -> AsyncIterator[Settings]:
    """The test's settings with rules, alerts index and alerts topic of their own."""
    suffix = settings.index.alias.removeprefix("test-articles-")
    isolated = settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(
                update={
                    "rules_index": f"test-rules-{suffix}",
                    "alerts_index": f"test-alerts-{suffix}",
                    "alerts_topic": f"test.alerts.{suffix}",
                    "rules_refresh_interval_ms": 200,
                    "webhook_initial_backoff_ms": 10,
                    "webhook_max_backoff_ms": 50,
                    "webhook_max_attempts": 3,
                    "recovery_interval_s": 1.0,
                    # The test webhooks listen on loopback, which the policy refuses.
                    "webhook_allowed_destinations": ["127.0.0.1"],
                }
            )
        }
    )
    yield isolated
    async with connect(settings.index) as client:
        await client.options(ignore_status=404).indices.delete(
            index=[isolated.alerts.rules_index, isolated.alerts.alerts_index],
            # One missing index must not keep the other from being deleted.
            ignore_unavailable=True,
        )


async def add_rule(
    settings: Settings, client: AsyncElasticsearch, query: str, webhooks: list[str]
) -> Rule:
    """Adds a rule the way `wirewatch rules add` does."""
    draft = parse_draft({"name": f"rule for {query}", "query": query, "webhooks": webhooks})
    return await RuleStore(client, settings.alerts).add(draft)


async def stored_alerts(client: AsyncElasticsearch, settings: Settings) -> list[Alert]:
    await client.options(ignore_status=404).indices.refresh(index=settings.alerts.alerts_index)
    return await AlertStore(client, settings.alerts, settings.index).recent(100)


def seed_line() -> bytes:
    return json.dumps(json.loads((FIXTURES / "seed-article.json").read_text())).encode()


async def test_a_matching_article_alerts_exactly_once_across_restarts_and_redelivery(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting
    rule = await add_rule(settings, elasticsearch, "countries:VE", [f"{webhook.base}/ok"])
    await produce(settings, [seed_line(), OFF_TOPIC])

    async with running(settings, elasticsearch) as service:
        await eventually(lambda: _committed(settings, 2), what="both articles committed")
        await eventually(lambda: webhook.called("/ok"), what="the webhook to be called")
    metric = service.registry.get_sample_value
    assert metric("wirewatch_alerts_fired_total") == 1
    assert metric("wirewatch_alert_latency_seconds_count") == 1
    assert metric("wirewatch_alert_rules") == 1
    # A new consumer group on the same topic and index reads both articles again.
    redelivered = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"group_id": "redelivery-" + rule.id})}
    )
    async with running(redelivered, elasticsearch):
        await eventually(lambda: _committed(redelivered, 2), what="the redelivery committed")
        await asyncio.sleep(1)  # time for a wrong second delivery to show

    assert await count_documents(elasticsearch, settings) == 2
    (alert,) = await stored_alerts(elasticsearch, settings)
    assert (alert.rule_id, alert.article_id, alert.story_id) == (rule.id, SEED_ID, SEED_ID)
    assert alert.id == alert_id(rule.id, SEED_ID)
    assert alert.title == "Russian Military Officials in Venezuela for Defense Industry Talks"
    assert alert.article_received_at is not None
    assert alert.article_received_at <= alert.matched_at
    assert {d.destination: d.state for d in alert.deliveries} == {
        "kafka": "delivered",
        "webhook:0": "delivered",
    }
    (message,) = await read_topic(settings, settings.alerts.alerts_topic, 2, wait_s=5)
    assert message.key == alert.id.encode()
    assert json.loads(message.value)["article_id"] == SEED_ID
    (body,) = webhook.bodies("/ok")
    assert body["alert"]["id"] == alert.id
    assert "Russian Military Officials" in body["text"]
    assert body["blocks"][0]["type"] == "section"


async def test_a_near_duplicate_copy_of_an_alerted_story_does_not_alert_again(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting
    await add_rule(settings, elasticsearch, "countries:VE", [f"{webhook.base}/ok"])
    seed = json.loads(seed_line())
    copy = {
        **seed,
        "id": "copy-elsewhere",
        "title": "Moscow sends defence officials to Caracas",
        "body": "\n".join(seed["body"].split("\n")[:-2]),
        "source": "Another Outlet",
    }
    await produce(settings, [seed_line()])
    async with running(settings, elasticsearch):
        await eventually(lambda: stored_alerts(elasticsearch, settings), what="the first alert")
        await produce(settings, [json.dumps(copy).encode()])
        await eventually(lambda: _committed(settings, 2), what="the copy committed")
        await asyncio.sleep(1)

    copy_document = await elasticsearch.get(index=settings.index.alias, id="copy-elsewhere")
    assert copy_document["_source"]["story_id"] == SEED_ID
    (alert,) = await stored_alerts(elasticsearch, settings)
    assert alert.article_id == SEED_ID
    assert len(webhook.bodies("/ok")) == 1


async def test_failing_and_slow_webhooks_never_stall_ingestion_and_record_failures(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting.model_copy(
        update={
            "alerts": alerting.alerts.model_copy(
                # No recovery rounds: the broken webhook's deliveries fail after one round.
                update={
                    "delivery_workers": 1,
                    "webhook_timeout_s": 120,
                    "delivery_retry_max_age_s": 0,
                }
            )
        }
    )
    rule = await add_rule(
        settings, elasticsearch, "countries:VE", [f"{webhook.base}/hold", f"{webhook.base}/fail"]
    )
    await produce(settings, [article_line(n) for n in range(5)])

    async with running(settings, elasticsearch) as service:
        # The one delivery worker is held by the first alert's webhook while all five
        # articles are indexed, alerted and committed.
        await eventually(lambda: _committed(settings, 5), what="all articles committed")
        alerts = await eventually(
            lambda: _count_is(stored_alerts(elasticsearch, settings), 5), what="five alerts"
        )
        await eventually(lambda: webhook.called("/hold"), what="the held webhook called")
        assert all(alert.pending for alert in alerts)
        webhook.release.set()

        async def settled() -> list[Alert]:
            found = await stored_alerts(elasticsearch, settings)
            return found if all(not alert.pending for alert in found) else []

        alerts = await eventually(settled, what="every delivery settled")
        failed = service.registry.get_sample_value(
            "wirewatch_alert_deliveries_failed_total", {"destination": "webhook"}
        )
    assert failed == 5
    for alert in alerts:
        states = {d.destination: (d.state, d.attempts) for d in alert.deliveries}
        assert states == {
            "kafka": ("delivered", 1),
            "webhook:0": ("delivered", 1),
            "webhook:1": ("failed", 3),
        }
        (broken,) = [d for d in alert.deliveries if d.destination == "webhook:1"]
        assert "500" in (broken.last_error or "")
        assert broken.target == f"{webhook.base}/…"
    assert {alert.rule_id for alert in alerts} == {rule.id}
    assert len(webhook.bodies("/fail")) == 15


async def test_rules_added_and_removed_through_the_api_take_effect_without_restart(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting
    async with running(settings, elasticsearch) as service:
        base = f"http://127.0.0.1:{service.http_port}"
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{base}/rules",
                json={"name": "Venezuela", "query": "countries:VE",
                      "webhooks": [f"{webhook.base}/ok?token=secret"]},
            ) as created:  # fmt: skip
                assert created.status == 201
                rule = await created.json()
            assert rule["webhooks"] == [f"{webhook.base}/…"]

            async def loaded() -> bool:
                value = service.registry.get_sample_value("wirewatch_alert_rules")
                return value == 1

            await eventually(loaded, what="the running service to load the new rule")
            await produce(settings, [article_line(1)])
            await eventually(lambda: webhook.called("/ok"), what="the new rule's alert")

            async def listed() -> list[dict[str, Any]]:
                async with session.get(f"{base}/alerts") as answer:
                    found: list[dict[str, Any]] = await answer.json()
                    return found

            (alert,) = await eventually(listed, what="the alert listed by the API")
            assert (alert["rule_id"], alert["article_id"]) == (rule["id"], "article-1")
            async with session.get(f"{base}/rules") as rules:
                assert [r["id"] for r in await rules.json()] == [rule["id"]]
            async with session.delete(f"{base}/rules/{rule['id']}") as removed:
                assert removed.status == 204
            async with session.delete(f"{base}/rules/{rule['id']}") as again:
                assert again.status == 404

            async def unloaded() -> bool:
                return service.registry.get_sample_value("wirewatch_alert_rules") == 0

            await eventually(unloaded, what="the running service to drop the removed rule")
            await produce(settings, [article_line(2)])
            await eventually(lambda: _committed(settings, 2), what="the next article committed")
            async with session.post(f"{base}/rules", json={"name": "no query"}) as invalid:
                assert invalid.status == 400
                assert "query" in (await invalid.json())["error"]
    assert [path for path, _ in webhook.received] == ["/ok"]


async def test_an_unsupported_query_is_refused_with_what_is_unsupported(
    alerting: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = alerting
    with pytest.raises(UnsupportedQueryError, match="defen~2"):
        await add_rule(settings, elasticsearch, "title:defen~2", [])
    async with (
        running(settings, elasticsearch) as service,
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{service.http_port}/rules",
            json={"name": "fuzzy", "query": "title:defen~2"},
        ) as refused,
    ):
        assert refused.status == 400
        assert "defen~2" in (await refused.json())["error"]
    assert await RuleStore(elasticsearch, settings.alerts).rules() == []


async def left_pending(
    alerting: Settings, elasticsearch: AsyncElasticsearch, url: str
) -> tuple[Settings, Alert]:
    """Settings with a 30 s recovery grace, and an alert five minutes old whose Kafka and
    webhook (`url`) deliveries are still pending, as a crash leaves them."""
    settings = alerting.model_copy(
        update={"alerts": alerting.alerts.model_copy(update={"recovery_grace_s": 30})}
    )
    rule = await add_rule(settings, elasticsearch, "countries:VE", [url])
    store = AlertStore(elasticsearch, settings.alerts, settings.index)
    await store.setup()
    matched_at = datetime.now(UTC) - timedelta(minutes=5)
    orphan = Alert(
        id=alert_id(rule.id, "story-1"), rule_id=rule.id, rule_name=rule.name,
        query=rule.query, article_id="article-1", story_id="story-1", title="Left behind",
        url=None, source="Test Wire", published_at=matched_at, matched_at=matched_at,
        deliveries=[Delivery(destination="kafka", target=settings.alerts.alerts_topic),
                    Delivery(destination="webhook:0", target="masked")],
    )  # fmt: skip
    assert await store.create_many([orphan]) == [orphan]
    return settings, orphan


async def test_deliveries_left_pending_by_a_crash_are_delivered_on_the_next_start(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings, orphan = await left_pending(alerting, elasticsearch, f"{webhook.base}/ok")

    async with running(settings, elasticsearch):
        await eventually(lambda: webhook.called("/ok"), what="the pending alert delivered")

        async def recorded() -> bool:
            (alert,) = await stored_alerts(elasticsearch, settings)
            return not alert.pending

        await eventually(recorded, what="the delivery recorded")
    assert [body["alert"]["id"] for body in webhook.bodies("/ok")] == [orphan.id]
    (message,) = await read_topic(settings, settings.alerts.alerts_topic, 1)
    assert message.key == orphan.id.encode()


async def _committed(settings: Settings, offset: int) -> bool:
    return await committed_offsets(settings) == {0: offset}


async def _count_is(found: Any, count: int) -> list[Alert]:
    alerts: list[Alert] = await found
    return alerts if len(alerts) == count else []


async def test_the_cli_adds_lists_tests_and_removes_rules_and_lists_alerts(
    alerting: Settings, elasticsearch: AsyncElasticsearch, tmp_path: Path
) -> None:
    settings = alerting
    env = {
        **os.environ,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": settings.index.elasticsearch_url,
        "WIREWATCH_ALERTS__RULES_INDEX": settings.alerts.rules_index,
        "WIREWATCH_ALERTS__ALERTS_INDEX": settings.alerts.alerts_index,
    }

    async def wirewatch(*arguments: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "wirewatch", *arguments],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    added = await wirewatch(
        "rules", "add", "--name", "Venezuela", "--query", "countries:VE",
        "--webhook", "https://hooks.example.com/services/SECRET",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    rule_id = added.stdout.strip()
    listed = await wirewatch("rules", "list", "--json")
    (rule,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (rule["id"], rule["query"], rule["enabled"]) == (rule_id, "countries:VE", True)
    assert rule["webhooks"] == ["https://hooks.example.com/…"]
    assert "SECRET" not in listed.stdout + listed.stderr

    refused = await wirewatch("rules", "add", "--name", "fuzzy", "--query", "title:defen~2")
    assert refused.returncode == 1
    assert "defen~2" in refused.stderr
    assert "Traceback" not in refused.stderr

    documents = tmp_path / "enriched.jsonl"
    documents.write_text(
        "\n".join(
            _document_line(f"doc-{n}", countries)
            for n, countries in enumerate([["VE", "RU"], ["US"], ["VE"]])
        )
    )
    tested = await wirewatch("rules", "test", "countries:VE AND NOT countries:RU", str(documents))
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.splitlines() == ["doc-2"]

    store = AlertStore(elasticsearch, settings.alerts, settings.index)
    await store.setup()
    now = datetime.now(UTC)
    await store.create_many(
        [
            Alert(
                id="a1",
                rule_id=rule_id,
                rule_name="Venezuela",
                query="countries:VE",
                article_id="doc-2",
                story_id="doc-2",
                title="Caracas talks",
                url=None,
                source="Test Wire",
                published_at=now,
                matched_at=now,
            )
        ]
    )
    await elasticsearch.indices.refresh(index=settings.alerts.alerts_index)
    alerts = await wirewatch("alerts", "--json")
    assert [json.loads(line)["article_id"] for line in alerts.stdout.splitlines()] == ["doc-2"]

    removed = await wirewatch("rules", "rm", rule_id)
    assert removed.returncode == 0, removed.stderr
    missing = await wirewatch("rules", "rm", rule_id)
    assert missing.returncode == 1
    assert f"no rule has id {rule_id!r}" in missing.stderr


def _document_line(document_id: str, countries: list[str]) -> str:
    """An enriched document as `wirewatch enrich` prints it."""
    article = Article.model_validate(
        {
            "id": document_id,
            "title": "Talks",
            "body": "Talks were held.",
            "published_at": "2026-11-27T10:00:00Z",
            "source": "Test Wire",
        }
    )
    enriched = EnrichedArticle(article=article, language="en", countries=countries)
    return build_document(enriched, None, datetime.now(UTC)).model_dump_json()


async def test_the_rule_book_follows_changes_and_skips_rules_it_cannot_read(
    alerting: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = alerting.alerts
    store = RuleStore(elasticsearch, settings)
    loaded: list[int] = []
    async with RuleBook(store, settings, on_reload=loaded.append) as book:
        assert (dict(book.rules), loaded) == ({}, [0])
        rule = await add_rule(alerting, elasticsearch, "countries:VE", [])
        # Written by hand, not through the store: no name.
        await elasticsearch.index(
            index=settings.rules_index, id="hand-made", refresh=True,
            document={"id": "hand-made", "name": "", "query": "countries:VE", "enabled": True,
                      "created_at": "2026-11-27T10:00:00Z"},
        )  # fmt: skip

        await eventually(lambda: _loaded(loaded, [0, 1]), what="the added rule loaded")
        assert [found.id for found in book.match({"countries": ["VE"]})] == [rule.id]
        assert book.match({"countries": ["RU"]}) == []
        # The refresh task may have loaded the rule before the hand-made one was searchable:
        # one reload takes in whatever is left, then nothing has changed.
        await book.reload()
        assert await book.reload() is False, "nothing changed: no rebuild"
        loaded.clear()

        disabled = await store.set_enabled(rule.id, False)
        assert disabled.enabled is False
        await eventually(lambda: _loaded(loaded, [0]), what="the disabled rule dropped")
        assert book.match({"countries": ["VE"]}) == []
        await store.set_enabled(rule.id, True)
        await eventually(lambda: _loaded(loaded, [0, 1]), what="the rule enabled again")

        await store.remove(rule.id)
        await eventually(lambda: _loaded(loaded, [0, 1, 0]), what="the rule removed")
        assert book.match({"countries": ["VE"]}) == []
        with pytest.raises(RuleNotFoundError):
            await store.set_enabled(rule.id, True)


async def _loaded(loaded: list[int], expected: list[int]) -> bool:
    return loaded == expected


async def test_webhook_failures_are_retriable_only_when_trying_again_can_help(
    webhook: Webhook,
) -> None:
    async with WebhookClient(LOOPBACK, timeout_s=5) as hooks:
        await hooks.post(f"{webhook.base}/ok?token=secret", {"text": "hi"})
        with pytest.raises(DeliveryError, match=r"answered 500$") as server_error:
            await hooks.post(f"{webhook.base}/fail?token=secret", {"text": "hi"})
        with pytest.raises(DeliveryError, match=r"answered 410$") as gone:
            await hooks.post(f"{webhook.base}/gone?token=secret", {"text": "hi"})
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{unused.getsockname()[1]}/hook?token=secret"
        with pytest.raises(DeliveryError) as unreachable:
            await hooks.post(closed, {"text": "hi"})
    assert server_error.value.retriable
    assert not gone.value.retriable
    assert unreachable.value.retriable
    for error in (server_error.value, gone.value, unreachable.value):
        assert "secret" not in str(error)
    # The receiver's answer is never shown: it may echo what it was sent.
    assert "broken on purpose" not in str(server_error.value)
    assert "deleted" not in str(gone.value)
    assert webhook.bodies("/ok") == [{"text": "hi"}]


async def test_two_replicas_recovering_one_pending_alert_deliver_it_once(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings, orphan = await left_pending(alerting, elasticsearch, f"{webhook.base}/hold")
    await elasticsearch.indices.refresh(index=settings.alerts.alerts_index)

    replicas = [
        Alerting(settings, elasticsearch, ServiceMetrics(CollectorRegistry())) for _ in range(2)
    ]
    async with AsyncExitStack() as stack:
        for replica in replicas:
            await stack.enter_async_context(replica)
        await eventually(lambda: webhook.called("/hold"), what="the pending alert delivered")
        # Both replicas run recovery passes while the first delivery is still in flight.
        await asyncio.sleep(3 * settings.alerts.recovery_interval_s)
        webhook.release.set()

        async def recorded() -> bool:
            (alert,) = await stored_alerts(elasticsearch, settings)
            return not alert.pending

        await eventually(recorded, what="the delivery recorded")
    assert [body["alert"]["id"] for body in webhook.bodies("/hold")] == [orphan.id]
    # A second message, if any, would arrive well within this wait.
    messages = await read_topic(settings, settings.alerts.alerts_topic, 2, wait_s=5)
    assert [message.key for message in messages] == [orphan.id.encode()]


async def test_a_stored_rule_with_an_invalid_webhook_never_shows_its_url(
    alerting: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = alerting.alerts
    store = RuleStore(elasticsearch, settings)
    await store.setup()
    # Written by hand, not through the store: a webhook URL the validator refuses.
    await elasticsearch.index(
        index=settings.rules_index, id="hand-made", refresh=True,
        document={"id": "hand-made", "name": "by hand", "query": "countries:VE",
                  "webhooks": ["ftp://hooks.example.com/services/T0/s3cr3t-token"],
                  "enabled": True, "created_at": "2026-11-27T10:00:00Z"},
    )  # fmt: skip
    with structlog.testing.capture_logs() as logs:
        async with RuleBook(store, settings) as book:
            assert dict(book.rules) == {}
    assert any(event["event"] == "rule skipped: not a valid rule" for event in logs)
    assert "s3cr3t" not in repr(logs)
    with pytest.raises(InvalidRuleError, match="hand-made") as invalid:
        await store.get("hand-made")
    assert "s3cr3t" not in str(invalid.value)

    # An alert of that rule still goes to Kafka; its webhook is given up on, not retried
    # by every recovery pass.
    now = datetime.now(UTC)
    orphan = Alert(
        id=alert_id("hand-made", "story-1"), rule_id="hand-made", rule_name="by hand",
        query="countries:VE", article_id="article-1", story_id="story-1", title="Left behind",
        url=None, source="Test Wire", published_at=now, matched_at=now,
        deliveries=[Delivery(destination="kafka", target=settings.alerts_topic),
                    Delivery(destination="webhook:0", target="masked")],
    )  # fmt: skip
    service = Alerting(alerting, elasticsearch, ServiceMetrics(CollectorRegistry()))
    async with service:
        assert await service.store.create_many([orphan]) == [orphan]
        delivered = await service.deliverer.deliver(orphan)
    assert [delivery.state for delivery in delivered.deliveries] == ["delivered", "failed"]


async def test_alerts_refused_because_of_the_alerts_index_stop_the_batch(
    alerting: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    store = AlertStore(elasticsearch, alerting.alerts, alerting.index)
    await store.setup()
    await elasticsearch.indices.close(index=alerting.alerts.alerts_index)
    now = datetime.now(UTC)
    alert = Alert(
        id=alert_id("rule-1", "story-1"), rule_id="rule-1", rule_name="a rule",
        query="countries:VE", article_id="article-1", story_id="story-1", title="A story",
        url=None, source="Test Wire", published_at=now, matched_at=now,
        deliveries=[Delivery(destination="kafka", target=alerting.alerts.alerts_topic)],
    )  # fmt: skip
    # Dropping them would go on losing every alert while articles keep being committed.
    with pytest.raises(IndexingError, match="index_closed_exception") as refused:
        await store.create_many([alert])
    assert not refused.value.retriable


async def test_of_two_copies_of_one_article_in_a_batch_only_the_one_indexed_alerts(
    alerting: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = alerting
    await add_rule(settings, elasticsearch, "countries:VE", [])
    # The same article id twice: the later version, no longer about Venezuela, is the one
    # indexed, so nothing the index holds matches the rule.
    rewritten = json.dumps({**json.loads(OFF_TOPIC), "id": SEED_ID}).encode()
    await produce(settings, [seed_line(), rewritten])
    async with running(settings, elasticsearch):
        await eventually(lambda: _committed(settings, 2), what="both copies committed")
    indexed = await elasticsearch.get(index=settings.index.alias, id=SEED_ID)
    assert indexed["_source"]["title"] == "Farmers report a record apple harvest"
    assert await stored_alerts(elasticsearch, settings) == []


async def test_stopping_while_a_webhook_holds_a_delivery_leaves_only_that_one_pending(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting.model_copy(
        update={"alerts": alerting.alerts.model_copy(update={"webhook_timeout_s": 600})}
    )
    await add_rule(settings, elasticsearch, "countries:VE", [f"{webhook.base}/hold"])
    await produce(settings, [seed_line()])
    clock = asyncio.get_running_loop().time
    async with running(settings, elasticsearch):
        await eventually(lambda: webhook.called("/hold"), what="the held webhook called")
        stopping = clock()
    # The held request is given up on after a short grace, not awaited for its 600 s.
    assert clock() - stopping < 45
    # The Kafka message went out before the stop: the next start must not send it again.
    (alert,) = await stored_alerts(elasticsearch, settings)
    assert [delivery.destination for delivery in alert.pending] == ["webhook:0"]


async def test_a_webhook_error_page_that_never_ends_is_not_read(
    webhook: Webhook,
) -> None:
    clock = asyncio.get_running_loop().time
    began = clock()
    async with WebhookClient(LOOPBACK, timeout_s=20) as hooks:
        with pytest.raises(DeliveryError, match=r"answered 500$") as endless:
            await hooks.post(f"{webhook.base}/endless", {"text": "hi"})
    assert endless.value.retriable
    assert clock() - began < 10


async def test_more_rules_than_loaded_is_warned_once_not_on_every_refresh(
    alerting: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = alerting.alerts.model_copy(update={"max_rules": 1})
    for query in ("countries:VE", "countries:RU"):
        await add_rule(alerting, elasticsearch, query, [])
    store = RuleStore(elasticsearch, settings)
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            assert len(await store.fingerprint(enabled_only=True)) == 1
    warnings = [event for event in logs if event["event"] == "more rules than loaded"]
    assert [(event["total"], event["loaded"]) for event in warnings] == [(2, 1)]
