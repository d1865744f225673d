"""The deployment assets against the real servers: Kibana's fields exist in the real mappings,
and a real Prometheus scrapes the running service and evaluates the alert rules on it."""

import json
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from elasticsearch import AsyncElasticsearch

from alerts import AlertStore
from ingest import InvalidMessage, parse_article
from tests.integration.support import count_documents, eventually, produce, running
from tests.unit.deploy.tools import tool
from wirewatch import kibana
from wirewatch.settings import Settings

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "samples" / "articles.jsonl"
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"


def sample_lines() -> tuple[list[bytes], int]:
    """The sample messages, and how many of them are valid articles."""
    lines = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    valid = 0
    for line in lines:
        try:
            parse_article(line)
        except InvalidMessage:
            continue
        valid += 1
    return lines, valid


async def capabilities(client: AsyncElasticsearch, index: str) -> dict[str, dict[str, Any]]:
    """Each field of the index (multi-fields included) with its type's capabilities."""
    response = await client.field_caps(index=index, fields="*")
    return {
        name: next(iter(types.values()))
        for name, types in response["fields"].items()
        if not name.startswith("_")
    }


def aggregated_fields(objects: list[dict[str, Any]]) -> set[str]:
    return {
        aggregation["params"]["field"]
        for item in objects
        if "visState" in item["attributes"]
        for aggregation in json.loads(item["attributes"]["visState"])["aggs"]
        if "field" in aggregation.get("params", {})
    }


async def test_every_field_the_kibana_objects_use_is_in_the_real_mappings(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    objects = kibana.load(ROOT / kibana.DEFAULT_FILE)
    used = kibana.fields_by_data_view(objects)
    lines, valid = sample_lines()
    await produce(settings, lines)
    async with running(settings):
        await eventually(
            lambda: _count_is(elasticsearch, settings, valid), what=f"{valid} samples indexed"
        )
    articles = await capabilities(elasticsearch, settings.index.alias)
    assert used["wirewatch-articles"] - set(articles) == set()
    for field in aggregated_fields(objects):
        assert articles[field]["aggregatable"], f"{field} cannot be aggregated in Kibana"
    assert articles["published_at"]["type"] == "date"

    alerts_index = f"test-alerts-{uuid.uuid4().hex[:10]}"
    alert_settings = settings.alerts.model_copy(update={"alerts_index": alerts_index})
    await AlertStore(elasticsearch, alert_settings, settings.index).setup()
    try:
        alerts = await capabilities(elasticsearch, alerts_index)
    finally:
        await elasticsearch.options(ignore_status=404).indices.delete(index=alerts_index)
    assert used["wirewatch-alerts"] - set(alerts) == set()
    assert alerts["matched_at"]["type"] == "date"


async def _count_is(client: AsyncElasticsearch, settings: Settings, expected: int) -> bool:
    return await count_documents(client, settings) == expected


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Any]:
    """Starts a real Prometheus scraping a target every second, with the alert rules loaded."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(target: str) -> str:
        (tmp_path / "alerts.yml").write_text(RULES.read_text(encoding="utf-8"))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["alerts.yml"],
            "scrape_configs": [
                {"job_name": "wirewatch", "static_configs": [{"targets": [target]}]}
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        address = f"127.0.0.1:{free_port()}"
        log = (tmp_path / "prometheus.log").open("wb")
        processes.append(
            subprocess.Popen(
                [
                    tool("prometheus", "prometheus"),
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'data'}",
                    f"--web.listen-address={address}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        return f"http://{address}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


async def query(session: aiohttp.ClientSession, prometheus: str, promql: str) -> list[Any]:
    try:
        async with session.get(f"{prometheus}/api/v1/query", params={"query": promql}) as answer:
            body = await answer.json()
    except aiohttp.ClientError:
        return []  # Prometheus is still starting
    result: list[Any] = body["data"]["result"]
    return result


async def test_prometheus_scrapes_the_service_and_evaluates_the_rules_on_it(
    settings: Settings, prometheus_for: Any
) -> None:
    await produce(settings, [b"not json"])
    lines, valid = sample_lines()
    await produce(settings, lines)
    async with running(settings) as service:
        prometheus = prometheus_for(f"127.0.0.1:{service.http_port}")
        async with aiohttp.ClientSession() as session:
            up = await eventually(
                lambda: query(session, prometheus, 'up{job="wirewatch"} == 1'),
                timeout_s=90,
                what="Prometheus to scrape the service",
            )
            assert up[0]["metric"]["instance"] == f"127.0.0.1:{service.http_port}"
            indexed = await eventually(
                lambda: query(session, prometheus, f"wirewatch_articles_indexed_total >= {valid}"),
                timeout_s=90,
                what="the indexed samples in Prometheus",
            )
            assert float(indexed[0]["value"][1]) == valid
            await eventually(
                lambda: query(
                    session,
                    prometheus,
                    'wirewatch_messages_dead_lettered_total{stage="validation"} >= 1',
                ),
                what="the dead letter in Prometheus",
            )
            groups = await eventually(
                lambda: _evaluated_rules(session, prometheus), what="the rules to be evaluated"
            )
            async with session.get(f"http://127.0.0.1:{service.http_port}/metrics") as metrics:
                exposition = await metrics.text()
    rules = [rule for group in groups for rule in group["rules"]]
    assert {rule["name"] for rule in rules} == {
        rule["alert"] for rule in yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    }
    assert [rule["name"] for rule in rules if rule["health"] != "ok"] == []
    # Every wirewatch metric a rule uses is one the service exposes.
    exposed = {
        line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE wirewatch_")
    }
    referenced = {name for rule in rules for name in re.findall(r"wirewatch_\w+", rule["query"])}
    assert referenced - _with_suffixes(exposed) == set()


async def _evaluated_rules(session: aiohttp.ClientSession, prometheus: str) -> list[Any]:
    """The rule groups once Prometheus has evaluated every rule at least once, else []."""
    async with session.get(f"{prometheus}/api/v1/rules") as answer:
        groups: list[Any] = (await answer.json())["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    return groups if rules and all(rule["health"] != "unknown" for rule in rules) else []


def _with_suffixes(names: set[str]) -> set[str]:
    """Counter and histogram names as PromQL sees them (`_total`, `_bucket`, `_count`, ...)."""
    return names | {
        f"{name}{suffix}" for name in names for suffix in ("_total", "_bucket", "_count", "_sum")
    }
