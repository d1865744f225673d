"""The client's credentials on the wire, and the words for refused access.

The local secured Elasticsearch cannot make API keys (its zip lacks the module the .security
index needs), so the API key is checked where it matters to a server: the header the client
sends, read by a small HTTP server that records requests and answers as any server would.
"""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from pydantic import SecretStr

from index import IndexSettings, connect


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A local HTTP server's URL, and the headers of each request it received."""
    received: list[dict[str, str]] = []

    async def answer(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        # The client refuses a server that does not say it is Elasticsearch.
        return web.json_response(
            {"cluster_name": "recorder", "version": {"number": "9.2.8"}, "tagline": "You Know"},
            headers={"X-Elastic-Product": "Elasticsearch"},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", received
    await runner.cleanup()


async def test_an_api_key_is_sent_as_the_apikey_authorization_header(
    recorder: tuple[str, list[dict[str, str]]],
) -> None:
    url, received = recorder
    key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
    async with connect(IndexSettings(elasticsearch_url=url, api_key=SecretStr(key))) as client:
        await client.info()
    (headers,) = received
    assert headers["Authorization"] == f"ApiKey {key}"


async def test_a_user_and_password_are_sent_as_basic_authorization(
    recorder: tuple[str, list[dict[str, str]]],
) -> None:
    url, received = recorder
    settings = IndexSettings(
        elasticsearch_url=url, username="wirewatch", password=SecretStr("s3cret")
    )
    async with connect(settings) as client:
        await client.info()
    (headers,) = received
    # base64 of "wirewatch:s3cret"
    assert headers["Authorization"] == "Basic d2lyZXdhdGNoOnMzY3JldA=="


async def test_without_credentials_no_authorization_is_sent(
    recorder: tuple[str, list[dict[str, str]]],
) -> None:
    url, received = recorder
    async with connect(IndexSettings(elasticsearch_url=url)) as client:
        await client.info()
    (headers,) = received
    assert "Authorization" not in headers
