"""The rules API's tokens: where they come from, who may do what, and the refusal to serve
an open API beyond loopback; the checks on a real HTTP server, before any handler runs."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from typer.testing import CliRunner

from alerts import ApiAccess, ApiAccessError, Role, guarded, is_loopback
from wirewatch.cli import app
from wirewatch.health import Readiness
from wirewatch.http import HealthServer
from wirewatch.service import Service
from wirewatch.settings import ServiceSettings, Settings

READER = "r3ad-" + "a" * 27
WRITER = "wr1te-" + "b" * 26
ROTATED = "wr1te-" + "c" * 26


def service(**fields: Any) -> ServiceSettings:
    return ServiceSettings(**fields)


def test_tokens_come_from_the_variables_and_files_split_and_stripped(tmp_path: Path) -> None:
    tokens = tmp_path / "write"
    tokens.write_text(f"  {WRITER}\n\n{ROTATED}  \n")
    access = ApiAccess.from_settings(
        service(
            api_read_tokens=SecretStr(f" {READER} , {READER}x "),
            api_write_tokens_file=tokens,
            http_host="0.0.0.0",  # noqa: S104 (allowed once there are tokens)
        )
    )
    assert not access.open
    assert access.role(READER) is Role.READ
    assert access.role(f"{READER}x") is Role.READ
    assert access.role(WRITER) is Role.WRITE
    assert access.role(ROTATED) is Role.WRITE


def test_only_a_whole_configured_token_has_a_role() -> None:
    access = ApiAccess([READER], [WRITER])
    for presented in ("", WRITER[:-1], WRITER + "x", WRITER.upper(), "é" * 32, f" {WRITER}"):
        assert access.role(presented) is None, presented


def test_a_token_in_both_roles_may_write() -> None:
    assert ApiAccess([WRITER], [WRITER]).role(WRITER) is Role.WRITE


@pytest.mark.parametrize(
    ("token", "reason"),
    [("change-me", "9 characters, fewer than 16"), ("a" * 20 + ";<>" + "b" * 20, "characters")],
)
def test_unusable_tokens_are_refused_without_being_shown(token: str, reason: str) -> None:
    with pytest.raises(ApiAccessError, match=reason) as refused:
        ApiAccess.from_settings(service(api_write_tokens=SecretStr(f"{WRITER}\n{token}")))
    message = str(refused.value)
    assert "write token 2 of WIREWATCH_SERVICE__API_WRITE_TOKENS" in message
    assert token not in message
    assert WRITER not in message
    assert "secrets.token_urlsafe" in message


def test_a_missing_or_empty_token_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(ApiAccessError, match="WIREWATCH_SERVICE__API_READ_TOKENS_FILE"):
        ApiAccess.from_settings(service(api_read_tokens_file=missing))
    empty = tmp_path / "empty"
    empty.write_text(" \n")
    with pytest.raises(ApiAccessError, match="has no token"):
        ApiAccess.from_settings(service(api_write_tokens_file=empty))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.1.2.3", "wirewatch.example"])  # noqa: S104
def test_no_token_beyond_loopback_is_refused_naming_the_variables(host: str) -> None:
    with pytest.raises(ApiAccessError) as refused:
        # A variable set but blank (compose's ${VAR:-}) is no token.
        ApiAccess.from_settings(service(http_host=host, api_read_tokens=SecretStr(" ")))
    message = str(refused.value)
    for variable in (
        "WIREWATCH_SERVICE__API_WRITE_TOKENS_FILE",
        "WIREWATCH_SERVICE__API_WRITE_TOKENS",
        "WIREWATCH_SERVICE__HTTP_HOST=127.0.0.1",
    ):
        assert variable in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_no_token_on_loopback_leaves_the_api_open(host: str) -> None:
    assert is_loopback(host)
    assert ApiAccess.from_settings(service(http_host=host)).open


def test_tokens_on_loopback_are_required_too() -> None:
    access = ApiAccess.from_settings(service(api_read_tokens=SecretStr(READER)))
    assert not access.open
    assert access.role(WRITER) is None


async def test_the_service_refuses_to_start_before_opening_anything() -> None:
    # Servers that do not exist: reaching for either would hang or fail otherwise.
    settings = Settings().model_copy(
        update={"service": service(http_host="0.0.0.0", http_port=0)}  # noqa: S104
    )
    stop = asyncio.Event()
    with pytest.raises(ApiAccessError, match="refusing to serve the rules API"):
        await asyncio.wait_for(Service(settings).run(stop), timeout=5)


def test_wirewatch_run_exits_1_with_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_SERVICE__HTTP_HOST", "0.0.0.0")  # noqa: S104
    monkeypatch.setenv("WIREWATCH_SERVICE__LOG_FORMAT", "json")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "WIREWATCH_SERVICE__API_WRITE_TOKENS_FILE" in result.output
    assert "WIREWATCH_SERVICE__HTTP_HOST=127.0.0.1" in result.output


async def _listed(request: web.Request) -> web.Response:
    return web.json_response([])


async def _created(request: web.Request) -> web.Response:
    return web.json_response(await request.json(), status=201)


@pytest.fixture
async def api(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A HealthServer on loopback with guarded stand-ins of GET and POST /rules."""
    access: ApiAccess = request.param
    routes = [
        web.get("/rules", guarded(access, Role.READ, _listed)),
        web.post("/rules", guarded(access, Role.WRITE, _created)),
    ]
    readiness = Readiness(probe_timeout_s=1)
    readiness.started()
    registry = CollectorRegistry()
    async with HealthServer("127.0.0.1", 0, registry, readiness, routes=routes) as server:
        yield f"http://127.0.0.1:{server.bound_port}"


WITH_TOKENS = ApiAccess([READER], [WRITER, ROTATED])
RULE = {"name": "Venezuela", "query": "countries:VE"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("api", [WITH_TOKENS], indirect=True)
async def test_without_a_valid_token_the_api_answers_401_saying_what_to_send(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        for headers in ({}, bearer("wrong-" + "x" * 30), {"Authorization": f"Basic {WRITER}"}):
            async with session.get(f"{api}/rules", headers=headers) as answer:
                assert answer.status == 401, headers
                assert answer.headers["WWW-Authenticate"].startswith("Bearer")
                error = (await answer.json())["error"]
                assert "Authorization: Bearer <token>" in error
                assert "x" * 30 not in error
            async with session.post(f"{api}/rules", json=RULE, headers=headers) as answer:
                assert answer.status == 401


@pytest.mark.parametrize("api", [WITH_TOKENS], indirect=True)
async def test_a_read_token_reads_and_may_not_write(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api}/rules", headers=bearer(READER)) as answer:
            assert answer.status == 200
        async with session.post(f"{api}/rules", json=RULE, headers=bearer(READER)) as answer:
            assert answer.status == 403
            assert "insufficient_scope" in answer.headers["WWW-Authenticate"]
            assert "WIREWATCH_SERVICE__API_WRITE_TOKENS" in (await answer.json())["error"]


@pytest.mark.parametrize("api", [WITH_TOKENS], indirect=True)
async def test_write_tokens_read_and_write_json_only(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        for token in (WRITER, ROTATED):
            async with session.get(f"{api}/rules", headers=bearer(token)) as answer:
                assert answer.status == 200
            async with session.post(f"{api}/rules", json=RULE, headers=bearer(token)) as answer:
                assert answer.status == 201
                assert await answer.json() == RULE
        # What a web page's form can send cross-site without a preflight.
        async with session.post(
            f"{api}/rules",
            data='{"name": "x", "query": "y"}',
            headers={**bearer(WRITER), "Content-Type": "text/plain"},
        ) as answer:
            assert answer.status == 415
            assert "Content-Type: application/json" in (await answer.json())["error"]


@pytest.mark.parametrize("api", [WITH_TOKENS], indirect=True)
async def test_probes_and_metrics_need_no_token(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/readyz", "/metrics"):
            async with session.get(f"{api}{path}") as answer:
                assert answer.status == 200, path


@pytest.mark.parametrize("api", [ApiAccess([], [])], indirect=True)
async def test_the_open_api_answers_local_names_only_and_json_only(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api}/rules", json=RULE) as answer:
            assert answer.status == 201
        async with session.get(f"{api}/rules", headers={"Host": "localhost"}) as answer:
            assert answer.status == 200
        # A page on attacker.example whose name now resolves to 127.0.0.1 (DNS rebinding).
        async with session.get(f"{api}/rules", headers={"Host": "attacker.example"}) as answer:
            assert answer.status == 403
            assert "127.0.0.1 or localhost" in (await answer.json())["error"]
        async with session.post(
            f"{api}/rules", data="{}", headers={"Content-Type": "text/plain"}
        ) as answer:
            assert answer.status == 415
