"""wirewatch against a secured Elasticsearch: HTTPS with a private CA and a file-realm user.

The module starts its own secured Elasticsearch (`wirewatch stack up` with
WIREWATCH_STACK__SECURE=true, on ports 19250/19350, Elasticsearch only) and purges it at the
end; Kafka is the plain shared one of the environment. The user `wirewatch` has the
least-privilege role of the local stack (monitor, index templates, all on wirewatch-*), so
the test indices are named wirewatch-*.
"""

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from pydantic import SecretStr

from alerts import AlertStores, parse_draft
from index import ArticleIndex, IndexingError, connect
from tests.integration.conftest import (
    SECURED_ELASTICSEARCH_PORT,
    SECURED_STATE_DIR,
    secured_stack_logs,
)
from tests.integration.support import (
    count_documents,
    eventually,
    isolated,
    produce,
    read_topic,
    running,
)
from tools.stack import ELASTICSEARCH_PASSWORD, LocalStack, stack_authority, stack_secret
from wirewatch.logs import configure_logging
from wirewatch.service import Service
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration

PORT = SECURED_ELASTICSEARCH_PORT
FIXTURES = Path(__file__).parent.parent / "fixtures"
SEED_ID = "havanatimes-russia-venezuela-defense-industry-talks"


@pytest.fixture(scope="module")
def secured_elasticsearch(base_settings: Settings, secured_stack: Settings) -> Settings:
    """The environment's settings (its plain Kafka) with the secured stack's Elasticsearch."""
    return base_settings.model_copy(
        update={"index": secured_stack.index, "stack": secured_stack.stack}
    )


def _password(stack: Settings) -> str:
    return stack_secret(stack.stack, ELASTICSEARCH_PASSWORD).read_text().strip()


@pytest.fixture
def secured(secured_elasticsearch: Settings) -> Settings:
    """Isolated settings that reach the secured Elasticsearch as `wirewatch`, trusting its CA."""
    base = isolated(secured_elasticsearch)
    suffix = uuid.uuid4().hex[:10]
    return base.model_copy(
        update={
            "index": base.index.model_copy(
                update={
                    "elasticsearch_url": f"https://127.0.0.1:{PORT}",
                    "username": "wirewatch",
                    "password": SecretStr(_password(secured_elasticsearch)),
                    "ca_certs": str(stack_authority(secured_elasticsearch.stack).ca_file),
                    "alias": f"wirewatch-test-{suffix}",
                    "stories_index": f"wirewatch-test-stories-{suffix}",
                }
            ),
            "alerts": base.alerts.model_copy(
                update={
                    "rules_index": f"wirewatch-test-rules-{suffix}",
                    "alerts_index": f"wirewatch-test-alerts-{suffix}",
                    "alerts_topic": f"test.alerts.{suffix}",
                    "rules_refresh_interval_ms": 200,
                }
            ),
            "service": base.service.model_copy(
                update={"startup_initial_backoff_ms": 100, "startup_max_backoff_ms": 400}
            ),
        }
    )


def _with_index(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"index": settings.index.model_copy(update=changes)})


def _seed_line() -> bytes:
    return json.dumps(json.loads((FIXTURES / "seed-article.json").read_text())).encode()


@contextlib.contextmanager
def _debug_logs() -> Iterator[None]:
    """The service's logging at DEBUG, the clients' too (which it normally keeps at INFO)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    names = ("aiokafka", "aiohttp", "elastic_transport", "elastic_transport.transport",
             "elasticsearch", "urllib3")  # fmt: skip
    levels = {name: logging.getLogger(name).level for name in names}
    configure_logging("DEBUG", "json")
    # Loggers cached now would keep this set-up in later tests' structlog.testing captures.
    structlog.configure(cache_logger_on_first_use=False)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.reset_defaults()


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    index = settings.index
    env = {
        **os.environ,
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": index.elasticsearch_url,
        "WIREWATCH_INDEX__USERNAME": index.username or "",
        "WIREWATCH_INDEX__PASSWORD": index.password.get_secret_value() if index.password else "",
        "WIREWATCH_INDEX__CA_CERTS": index.ca_certs or "",
        "WIREWATCH_INDEX__ALIAS": index.alias,
        "WIREWATCH_INDEX__STORIES_INDEX": index.stories_index,
        "WIREWATCH_ALERTS__RULES_INDEX": settings.alerts.rules_index,
        "WIREWATCH_ALERTS__ALERTS_INDEX": settings.alerts.alerts_index,
        "WIREWATCH_SERVICE__LOG_LEVEL": "DEBUG",
    }
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def _readyz(port: int | None) -> tuple[int, dict[str, Any]] | None:
    if port is None:
        return None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            return response.status, await response.json()
    except aiohttp.ClientError:
        return None


async def test_articles_are_indexed_searchable_and_alerted_on_without_the_password_in_any_log(
    secured: Settings, capfd: pytest.CaptureFixture[str]
) -> None:
    password = _password(secured)
    with _debug_logs():
        async with connect(secured.index) as client:
            store = AlertStores.from_settings(client, secured.alerts, secured.index).rules
            rule = await store.add(parse_draft({"name": "Venezuela", "query": "countries:VE"}))
        await produce(secured, [_seed_line()])
        async with running(secured) as service:
            async with connect(secured.index) as client:
                await eventually(
                    lambda: count_documents(client, secured, 'persons:"Vladimir Putin"'),
                    what="the seed article to be searchable in the secured Elasticsearch",
                )
                alerts = AlertStores.from_settings(client, secured.alerts, secured.index).alerts
                (alert,) = await eventually(lambda: alerts.recent(10), what="the alert")
            ready = await _readyz(service.http_port)
        (message,) = await read_topic(secured, secured.alerts.alerts_topic, 1, wait_s=10)

    assert (alert.rule_id, alert.article_id) == (rule.id, SEED_ID)
    assert json.loads(message.value)["article_id"] == SEED_ID
    assert ready is not None
    assert ready[0] == 200, ready
    logs = capfd.readouterr()
    captured = logs.out + logs.err
    assert '"level": "debug"' in captured, "DEBUG logs were not captured"
    assert "starting" in captured
    assert password not in captured
    assert password not in await asyncio.to_thread(secured_stack_logs)


async def test_the_cli_adds_lists_rules_searches_and_lists_alerts_over_https(
    secured: Settings,
) -> None:
    async with ArticleIndex(secured.index) as index:
        await index.setup()
    added = await asyncio.to_thread(
        _cli, secured, "rules", "add", "--name", "Venezuela", "--query", "countries:VE"
    )
    assert added.returncode == 0, added.stderr
    rule_id = added.stdout.strip()

    listed = await asyncio.to_thread(_cli, secured, "rules", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [rule_id]

    searched = await asyncio.to_thread(_cli, secured, "search", "countries:VE")
    assert searched.returncode == 0, searched.stderr
    assert "0 article(s) match" in searched.stdout

    alerts = await asyncio.to_thread(_cli, secured, "alerts")
    assert alerts.returncode == 0, alerts.stderr
    assert "no alerts yet" in alerts.stdout

    password = _password(secured)
    for result in (added, listed, searched, alerts):
        assert password not in result.stdout + result.stderr

    wrong_settings = _with_index(secured, password=SecretStr("not-the-password"))
    wrong = await asyncio.to_thread(_cli, wrong_settings, "rules", "list")
    assert wrong.returncode == 1
    assert "refused to authenticate" in wrong.stderr
    assert "WIREWATCH_INDEX__PASSWORD" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert "not-the-password" not in wrong.stderr


async def test_a_wrong_password_is_one_clear_error_and_not_ready_not_a_crash(
    secured: Settings,
) -> None:
    wrong = _with_index(secured, password=SecretStr("not-the-password"))
    service = Service(wrong)
    stop = asyncio.Event()
    with structlog.testing.capture_logs() as events:
        task = asyncio.create_task(service.run(stop))
        try:
            status, body = await eventually(
                lambda: _readyz(service.http_port), what="/readyz to answer"
            )
            await asyncio.sleep(2)  # several tries, 100 to 400 ms apart
            assert not task.done(), "start-up gave up instead of waiting"
            status, body = await _readyz(service.http_port) or (0, {})
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)

    assert status == 503
    elasticsearch = body["dependencies"]["elasticsearch"]
    assert elasticsearch["status"] == "down"
    assert "Elasticsearch refused to authenticate" in elasticsearch["reason"]
    assert "not-the-password" not in json.dumps(body)
    waits = [event for event in events if event["event"] == "waiting for elasticsearch"]
    assert len(waits) == 1, waits
    assert "refused to authenticate" in waits[0]["reason"]
    assert "WIREWATCH_INDEX__PASSWORD" in waits[0]["reason"]
    assert not [event for event in events if event.get("exc_info")]
    assert "not-the-password" not in repr(events)


async def test_a_certificate_of_an_unknown_ca_is_refused_saying_which_setting_to_set(
    secured: Settings,
) -> None:
    untrusting = _with_index(secured, ca_certs=None)
    async with ArticleIndex(untrusting.index) as index:
        with pytest.raises(IndexingError) as refused:
            await index.setup()
        assert "certificate is not trusted" in str(refused.value)
        assert "WIREWATCH_INDEX__CA_CERTS" in str(refused.value)
        with pytest.raises(IndexingError, match="WIREWATCH_INDEX__CA_CERTS"):
            await index.ping()


async def test_without_credentials_the_secured_server_refuses_and_says_which_settings(
    secured: Settings,
) -> None:
    anonymous = _with_index(secured, username=None, password=None)
    async with ArticleIndex(anonymous.index) as index:
        with pytest.raises(IndexingError, match="WIREWATCH_INDEX__USERNAME"):
            await index.ping()


def test_the_stack_status_and_env_name_https(secured_elasticsearch: Settings) -> None:
    (status,) = LocalStack(secured_elasticsearch).status()[1:]
    assert status.state == "running"
    assert status.address == f"https://127.0.0.1:{PORT}"
    env = subprocess.run(
        [sys.executable, "-m", "wirewatch", "stack", "env"],
        env={
            **os.environ,
            "WIREWATCH_STACK__SECURE": "true",
            "WIREWATCH_STACK__STATE_DIR": str(SECURED_STATE_DIR),
            "WIREWATCH_INDEX__ELASTICSEARCH_URL": f"http://127.0.0.1:{PORT}",
        },
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert f"export WIREWATCH_INDEX__ELASTICSEARCH_URL=https://127.0.0.1:{PORT}" in env.stdout
    assert _password(secured_elasticsearch) not in env.stdout


async def test_the_least_privilege_role_denies_indices_outside_wirewatch_saying_so(
    secured: Settings,
) -> None:
    outside = _with_index(secured, alias="other-articles", stories_index="other-stories")
    async with ArticleIndex(outside.index) as index:
        with pytest.raises(IndexingError) as denied:
            await index.setup()
    assert "denied the action (403" in str(denied.value)
    assert "other-stories" in str(denied.value)
