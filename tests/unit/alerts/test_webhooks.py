"""Webhooks reach only what the egress policy allows, checked on the addresses connected to."""

import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from alerts import DeliveryError, EgressPolicy, EgressRefusedError, WebhookClient
from alerts.webhooks import CheckedResolver

PUBLIC = "93.184.216.34"


class ChangingResolver(AbstractResolver):
    """A DNS server that answers each lookup with the next set of addresses: a rebinding."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=address, port=port, family=family, proto=0, flags=0)
            for address in self.answers.pop(0)
        ]

    async def close(self) -> None:
        pass


async def test_every_lookup_is_checked_and_one_forbidden_address_refuses_the_name() -> None:
    resolver = CheckedResolver(
        EgressPolicy(), ChangingResolver([PUBLIC], ["127.0.0.1"], [PUBLIC, "169.254.169.254"])
    )

    # What is handed on is what was checked: the client connects to these addresses.
    assert [entry["host"] for entry in await resolver.resolve("hooks.example", 443)] == [PUBLIC]
    with pytest.raises(EgressRefusedError, match=r"hooks\.example \(127\.0\.0\.1\) is a loopback"):
        await resolver.resolve("hooks.example", 443)
    with pytest.raises(EgressRefusedError, match="link-local"):
        await resolver.resolve("hooks.example", 443)


async def test_an_allowed_name_may_resolve_anywhere() -> None:
    resolver = CheckedResolver(
        EgressPolicy.allowing(["hooks.internal"]), ChangingResolver(["10.0.0.7"])
    )
    assert [entry["host"] for entry in await resolver.resolve("hooks.internal", 80)] == ["10.0.0.7"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:1/hook?token=SECRET", "loopback"),
        ("http://[::ffff:127.0.0.1]:1/hook?token=SECRET", "loopback"),
        ("http://169.254.169.254/latest/meta-data/SECRET", "link-local"),
        ("http://localhost:1/hook?token=SECRET", "loopback"),  # resolved when sent
        ("http://hooks.example.com@127.0.0.1:1/SECRET", "user:password@"),
        ("ftp://hooks.example.com/SECRET", "http:// or https://"),
    ],
)
async def test_a_refused_destination_is_a_final_failure_that_shows_no_secret(
    url: str, why: str
) -> None:
    async with WebhookClient(EgressPolicy(), timeout_s=5) as hooks:
        with pytest.raises(DeliveryError, match="refused") as refused:
            await hooks.post(url, {"text": "hi"})
    assert not refused.value.retriable
    assert why in str(refused.value)
    assert "SECRET" not in str(refused.value)


async def test_a_network_failure_is_retriable_and_shows_no_secret() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/hook/SECRET?token=SECRET"
    async with WebhookClient(EgressPolicy.allowing(["127.0.0.1"]), timeout_s=5) as hooks:
        with pytest.raises(DeliveryError, match="failed") as failed:
            await hooks.post(url, {"text": "hi"})
    assert failed.value.retriable
    assert "SECRET" not in str(failed.value)
