"""Webhooks reach public addresses only: refused when a rule is saved (API and CLI), and
again when an alert is sent, on the address the name resolves to then; no webhook URL and no
receiver's answer shows in an error, a log line, the API or the CLI."""

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import aiohttp
import structlog.testing
from elasticsearch import AsyncElasticsearch

from alerts import RuleStore, parse_draft
from tests.integration import test_alerts
from tests.integration.support import eventually, produce, running
from tests.integration.test_alerts import Webhook, seed_line, stored_alerts
from wirewatch.settings import Settings

# The fixtures of the other alert tests, for this module too.
alerting = test_alerts.alerting
webhook = test_alerts.webhook

ALLOW = "WIREWATCH_ALERTS__WEBHOOK_ALLOWED_DESTINATIONS"


def _policy_default(settings: Settings) -> Settings:
    """The settings with the egress policy as shipped: nothing beyond public addresses."""
    return settings.model_copy(
        update={"alerts": settings.alerts.model_copy(update={"webhook_allowed_destinations": []})}
    )


async def _wirewatch(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{name: value for name, value in os.environ.items() if name != ALLOW},
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": settings.index.elasticsearch_url,
        "WIREWATCH_ALERTS__RULES_INDEX": settings.alerts.rules_index,
        "WIREWATCH_ALERTS__ALERTS_INDEX": settings.alerts.alerts_index,
    }
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "wirewatch", *arguments],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_a_rule_to_a_loopback_or_metadata_address_is_refused_by_the_api_and_the_cli(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = _policy_default(alerting)
    async with running(settings, elasticsearch) as service:
        base = f"http://127.0.0.1:{service.http_port}"
        async with aiohttp.ClientSession() as session:
            for url, why in (
                (f"{webhook.base}/ok?token=SECRET", "loopback"),
                ("http://169.254.169.254/latest/meta-data/SECRET", "link-local"),
                ("http://[::ffff:127.0.0.1]/SECRET", "loopback"),
                ("http://hooks.example.com@127.0.0.1/SECRET", "user:password@"),
            ):
                rule = {"name": "inside", "query": "countries:VE", "webhooks": [url]}
                async with session.post(f"{base}/rules", json=rule) as refused:
                    assert refused.status == 400
                    error = (await refused.json())["error"]
                assert why in error
                assert "SECRET" not in error
            async with session.get(f"{base}/rules") as listed:
                assert await listed.json() == []

    added = await _wirewatch(
        settings, "rules", "add", "--name", "inside", "--query", "countries:VE",
        "--webhook", "http://2130706433/hook/SECRET",
    )  # fmt: skip
    assert added.returncode == 1
    assert "webhooks.0: webhook host 2130706433 (127.0.0.1) is a loopback address" in (added.stderr)
    assert ALLOW in added.stderr
    assert "SECRET" not in added.stdout + added.stderr
    assert "Traceback" not in added.stderr
    rules = await _wirewatch(settings, "rules", "list", "--json")
    assert rules.stdout == ""


async def test_a_name_allowed_when_saved_but_resolving_to_loopback_when_sent_is_refused(
    alerting: Settings,
    elasticsearch: AsyncElasticsearch,
    webhook: Webhook,
) -> None:
    # Saved while `localhost` was allowed (or while its name pointed elsewhere: the shape of
    # DNS rebinding); sent by a service whose policy refuses what it resolves to now.
    saved_with = alerting.alerts.model_copy(update={"webhook_allowed_destinations": ["localhost"]})
    port = webhook.base.rsplit(":", 1)[1]
    url = f"http://localhost:{port}/ok?token=SECRET"
    draft = parse_draft({"name": "rebound", "query": "countries:VE", "webhooks": [url]})
    rule = await RuleStore(elasticsearch, saved_with).add(draft)
    settings = _policy_default(alerting)
    await produce(settings, [seed_line()])

    # wirewatch's log events at every level (DEBUG included); what the libraries may log at
    # DEBUG is held back by the logging configuration (tests/unit/wirewatch/test_logs.py).
    with structlog.testing.capture_logs() as logs:
        async with running(settings, elasticsearch) as service:

            async def settled() -> list[Any]:
                found = await stored_alerts(elasticsearch, settings)
                return found if found and not found[0].pending else []

            (alert,) = await eventually(settled, what="the alert's deliveries settled")
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{service.http_port}/alerts") as answer,
            ):
                api_text = await answer.text()

    (hook,) = [d for d in alert.deliveries if d.destination == "webhook:0"]
    # Final at once: trying again cannot change the answer.
    assert (hook.state, hook.attempts) == ("failed", 1)
    assert hook.last_error is not None
    assert hook.last_error.startswith(f"webhook http://localhost:{port}/… refused: ")
    assert "loopback" in hook.last_error
    assert webhook.bodies("/ok") == []
    assert alert.rule_id == rule.id
    (listed,) = json.loads(api_text)
    assert listed["deliveries"][1]["last_error"] == hook.last_error
    cli = await _wirewatch(settings, "alerts", "--json")
    assert json.loads(cli.stdout)["deliveries"][1]["last_error"] == hook.last_error
    # Nowhere: not in the API's answer, the CLI's, or wirewatch's log events.
    for shown in (api_text, cli.stdout, cli.stderr, repr(logs)):
        assert "SECRET" not in shown
    assert any(event.get("event") == "alert delivery failed" for event in logs)


async def test_a_failed_delivery_shows_the_status_never_the_receivers_answer(
    alerting: Settings, elasticsearch: AsyncElasticsearch, webhook: Webhook
) -> None:
    settings = alerting.model_copy(
        update={"alerts": alerting.alerts.model_copy(update={"webhook_max_attempts": 1})}
    )
    await RuleStore(elasticsearch, settings.alerts).add(
        parse_draft(
            {
                "name": "gone",
                "query": "countries:VE",
                "webhooks": [f"{webhook.base}/gone?token=SECRET"],
            }
        )
    )
    await produce(settings, [seed_line()])
    async with running(settings, elasticsearch):

        async def settled() -> list[Any]:
            found = await stored_alerts(elasticsearch, settings)
            return found if found and not found[0].pending else []

        (alert,) = await eventually(settled, what="the alert's deliveries settled")
    (hook,) = [d for d in alert.deliveries if d.destination == "webhook:0"]
    assert hook.last_error == f"webhook {webhook.base}/… answered 410"
    cli = await _wirewatch(settings, "alerts", "--json")
    assert "this hook was deleted" not in cli.stdout
    assert "SECRET" not in cli.stdout
