"""The secured local stack the documented way, end to end, as a user runs it.

`wirewatch stack env` of the secured stack (both servers secured) is evaluated by a shell; with
what it exports, `wirewatch run` (a process of its own, DEBUG logs, rules API tokens from a
file, on a non-loopback address) indexes the seed article and delivers an alert to a webhook;
the rules API is probed as an attacker would; the CLI searches. Then everything every process
and server wrote is searched for each secret: passwords, tokens, the webhook's secret path.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.integration.conftest import secured_stack_logs
from tests.integration.support import eventually
from tools.stack import ELASTICSEARCH_PASSWORD, KAFKA_PASSWORD, stack_secret
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEED_ID = "havanatimes-russia-venezuela-defense-industry-talks"


def _stack_env(stack: Settings) -> dict[str, str]:
    """The WIREWATCH_* variables after `eval "$(wirewatch stack env)"`, as the README says."""
    configured = {
        "WIREWATCH_STACK__SECURE": "true",
        "WIREWATCH_STACK__STATE_DIR": str(stack.stack.state_dir),
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": stack.kafka.bootstrap_servers,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": stack.index.elasticsearch_url,
    }
    script = f'eval "$({sys.executable} -m wirewatch stack env)" && env -0'
    done = subprocess.run(
        ["/bin/sh", "-c", script],
        env={"PATH": os.environ["PATH"], **configured},
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {name: value for name, value in pairs if name.startswith("WIREWATCH_")}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Receiver:
    """A webhook receiver on loopback, at a path that is its secret."""

    def __init__(self) -> None:
        self.secret = f"hook-{uuid.uuid4().hex}"
        self.bodies: list[dict[str, Any]] = []
        self.port = 0

    async def _take(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response(status=204)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.secret}"


@pytest.fixture
async def receiver() -> AsyncIterator[_Receiver]:
    hook = _Receiver()
    app = web.Application()
    app.router.add_post(f"/{hook.secret}", hook._take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.port = runner.addresses[0][1]
    try:
        yield hook
    finally:
        await runner.cleanup()


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    made = {role: f"{role}-{uuid.uuid4().hex}" for role in ("read", "write")}
    for role, token in made.items():
        (tmp_path / role).write_text(token + "\n")
    return made


def _run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def _call(method: str, url: str, token: str | None = None, **kwargs: Any) -> tuple[int, str]:
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        session.request(method, url, headers=headers, **kwargs) as response,
    ):
        return response.status, await response.text()


async def _ready(api: str) -> bool:
    try:
        status, _ = await _call("GET", f"{api}/readyz")
    except aiohttp.ClientError:
        return False
    return status == 200


async def test_the_documented_secured_stack_indexes_alerts_guards_the_api_and_leaks_nothing(
    secured_stack: Settings, receiver: _Receiver, tokens: dict[str, str], tmp_path: Path
) -> None:
    exported = _stack_env(secured_stack)
    assert exported["WIREWATCH_KAFKA__SECURITY_PROTOCOL"] == "SASL_SSL"
    assert exported["WIREWATCH_INDEX__ELASTICSEARCH_URL"].startswith("https://")
    suffix = uuid.uuid4().hex[:10]
    port = _free_port()
    env = {
        **os.environ,
        **exported,
        "WIREWATCH_INGEST__TOPIC": f"test.articles.{suffix}",
        "WIREWATCH_INGEST__DEAD_LETTER_TOPIC": f"test.articles.{suffix}.dlq",
        "WIREWATCH_INGEST__GROUP_ID": f"test-group-{suffix}",
        "WIREWATCH_INGEST__FETCH_MAX_WAIT_MS": "100",
        # The secured stack's role allows wirewatch-* only.
        "WIREWATCH_INDEX__ALIAS": f"wirewatch-e2e-{suffix}",
        "WIREWATCH_INDEX__STORIES_INDEX": f"wirewatch-e2e-stories-{suffix}",
        "WIREWATCH_ALERTS__RULES_INDEX": f"wirewatch-e2e-rules-{suffix}",
        "WIREWATCH_ALERTS__ALERTS_INDEX": f"wirewatch-e2e-alerts-{suffix}",
        "WIREWATCH_ALERTS__ALERTS_TOPIC": f"test.alerts.{suffix}",
        "WIREWATCH_ALERTS__RULES_REFRESH_INTERVAL_MS": "200",
        # The receiver is on loopback, which webhooks may reach only when allowed.
        "WIREWATCH_ALERTS__WEBHOOK_ALLOWED_DESTINATIONS": '["127.0.0.1"]',
        "WIREWATCH_SERVICE__HTTP_HOST": "0.0.0.0",  # noqa: S104 (as in the image: tokens needed)
        "WIREWATCH_SERVICE__HTTP_PORT": str(port),
        "WIREWATCH_SERVICE__API_READ_TOKENS_FILE": str(tmp_path / "read"),
        "WIREWATCH_SERVICE__API_WRITE_TOKENS_FILE": str(tmp_path / "write"),
        "WIREWATCH_SERVICE__LOG_LEVEL": "DEBUG",
    }
    secrets = {
        "elasticsearch password": stack_secret(secured_stack.stack, ELASTICSEARCH_PASSWORD)
        .read_text()
        .strip(),
        "kafka password": stack_secret(secured_stack.stack, KAFKA_PASSWORD).read_text().strip(),
        "read token": tokens["read"],
        "write token": tokens["write"],
        "webhook path": receiver.secret,
    }
    api = f"http://127.0.0.1:{port}"
    seed = tmp_path / "seed.jsonl"
    seed.write_text(json.dumps(json.loads((FIXTURES / "seed-article.json").read_text())) + "\n")
    written: list[str] = []

    service = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirewatch", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert service.stdout is not None
    output = asyncio.create_task(service.stdout.read())
    try:
        await eventually(lambda: _ready(api), what="the service to be ready", timeout_s=180)

        # The rules API as an attacker on the pod network, then as the analysts.
        rule = {"name": "Venezuela", "query": "countries:VE", "webhooks": [receiver.url]}
        assert (await _call("GET", f"{api}/rules"))[0] == 401
        assert (await _call("POST", f"{api}/rules", json=rule))[0] == 401
        assert (await _call("GET", f"{api}/rules", "not-a-token-of-this-service"))[0] == 401
        assert (await _call("GET", f"{api}/rules", tokens["read"]))[0] == 200
        assert (await _call("GET", f"{api}/alerts", tokens["read"]))[0] == 200
        assert (await _call("POST", f"{api}/rules", tokens["read"], json=rule))[0] == 403
        plain = await _call(
            "POST", f"{api}/rules", tokens["write"], data=json.dumps(rule),
            headers={"Content-Type": "text/plain"},
        )  # fmt: skip
        assert plain[0] == 415, plain
        for internal in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.7/hook"):
            refused = await _call(
                "POST", f"{api}/rules", tokens["write"],
                json={"name": "exfiltrate", "query": "*", "webhooks": [internal]},
            )  # fmt: skip
            assert refused[0] == 400, refused
        assert (await _call("GET", f"{api}/metrics"))[0] == 200
        status, body = await _call("POST", f"{api}/rules", tokens["write"], json=rule)
        assert status == 201, body
        rule_id = json.loads(body)["id"]
        status, body = await _call("GET", f"{api}/rules", tokens["read"])
        assert [listed["id"] for listed in json.loads(body)] == [rule_id]
        await asyncio.sleep(1)  # the rule book refreshes every 200 ms

        produced = await asyncio.to_thread(_run_cli, env, "produce", str(seed))
        written.append(produced.stdout + produced.stderr)
        assert produced.returncode == 0, produced.stderr
        (delivered,) = await eventually(
            lambda: _delivered(receiver), what="the alert at the webhook", timeout_s=120
        )
        assert delivered["alert"]["article_id"] == SEED_ID
        searched = await asyncio.to_thread(_run_cli, env, "search", 'persons:"Vladimir Putin"')
        written.append(searched.stdout + searched.stderr)
        assert searched.returncode == 0, searched.stderr
        assert SEED_ID in searched.stdout
        status, body = await _call("GET", f"{api}/alerts", tokens["read"])
        written.append(body)
        assert [alert["article_id"] for alert in json.loads(body)] == [SEED_ID]
        status, body = await _call("GET", f"{api}/rules", tokens["read"])
        written.append(body)
        listed = await asyncio.to_thread(_run_cli, env, "rules", "list", "--json")
        written.append(listed.stdout + listed.stderr)
        alerts = await asyncio.to_thread(_run_cli, env, "alerts")
        written.append(alerts.stdout + alerts.stderr)
        assert SEED_ID in alerts.stdout
        written.append((await _call("GET", f"{api}/metrics"))[1])
        written.append((await _call("GET", f"{api}/readyz"))[1])
    finally:
        if service.returncode is None:
            service.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(service.wait(), timeout=60)
        logs = (await output).decode(errors="replace")
    assert returncode == 0, logs[-3000:]
    assert '"level": "debug"' in logs, "the service did not log at DEBUG"
    written.append(logs)
    written.append(await asyncio.to_thread(secured_stack_logs))
    everything = "\n".join(written)
    leaked = [name for name, secret in secrets.items() if secret in everything]
    assert not leaked, f"found in what was written: {leaked}"


async def _delivered(receiver: _Receiver) -> list[dict[str, Any]] | None:
    return receiver.bodies or None
