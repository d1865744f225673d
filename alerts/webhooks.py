"""Webhook requests that stay within the egress policy (alerts/egress.py).

A host name is resolved once per connection by the client's own resolver, which checks every
address it found before handing them on: the addresses checked are the addresses connected
to, so a name whose DNS answer changes between a check and a connect (DNS rebinding) cannot
slip through. Literal addresses, which the client connects to without resolving, are checked
before the request. Redirects are not followed.
"""

import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from alerts.egress import EgressPolicy, EgressRefusedError, literal_address
from alerts.errors import DeliveryError
from contracts import AsyncResource, masked_url, without_userinfo


class CheckedResolver(AbstractResolver):
    """Resolves as the client would, and raises EgressRefusedError unless the policy allows
    every address found (one forbidden address refuses the name).

    `resolver` is the one asked (aiohttp's default one, made on first use, if None)."""

    def __init__(self, policy: EgressPolicy, resolver: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._resolver is None:
            # Made on first use: it binds the running loop.
            self._resolver = DefaultResolver()
        found = await self._resolver.resolve(host, port, family)
        self._policy.check_addresses(host, [entry["host"] for entry in found])
        return found

    async def close(self) -> None:
        if self._resolver is not None:
            await self._resolver.close()


class WebhookClient(AsyncResource):
    """POSTs JSON to webhooks the egress policy allows; one connection pool for all."""

    def __init__(self, policy: EgressPolicy, timeout_s: float) -> None:
        self.policy = policy
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def _open(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=CheckedResolver(self.policy),
            # Each new connection resolves and checks afresh; a cache would only save a lookup.
            use_dns_cache=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._timeout_s),
            headers={"User-Agent": "wirewatch"},
            # No proxy from the environment: the policy judges the receiver, not a proxy.
            trust_env=False,
        )

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _check(self, url: str) -> None:
        self.policy.check_url(url)
        # The client connects to a literal address as it reads the URL, without resolving:
        # judge the host as the client reads it too, should the two readings differ.
        host = URL(url).raw_host or ""
        address = literal_address(host)
        if address is not None:
            self.policy.check_address(host, address)

    async def post(self, url: str, body: dict[str, Any]) -> None:
        """POSTs the JSON body; raises DeliveryError unless the webhook answers 2xx:
        retriable on 408, 429, 5xx and network failures, final for other answers (a
        redirect included) and for a destination the egress policy refuses. Messages show
        the URL masked and never the receiver's answer (it may echo the request)."""
        shown = masked_url(url)
        session = self._session
        if session is None:
            raise DeliveryError("webhooks are posted only while the webhook client is open")
        try:
            self._check(url)
            async with session.post(url, json=body, allow_redirects=False) as response:
                # The answer is not read: its status says all, and a huge or endless error
                # page must neither fill memory nor turn a clear refusal into a timeout.
                if response.status < 300:
                    return
                raise DeliveryError(
                    f"webhook {shown} answered {response.status}",
                    retriable=response.status in (408, 429) or response.status >= 500,
                )
        except EgressRefusedError as error:
            raise DeliveryError(f"webhook {shown} refused: {error}", retriable=False) from None
        except ValueError:
            # Saved rules are validated; one edited by hand into the index may not be.
            raise DeliveryError(f"webhook {shown} is not a valid URL", retriable=False) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = _reason(error, url, shown)
            raise DeliveryError(f"webhook {shown} failed: {reason}", retriable=True) from None


def _reason(error: BaseException, url: str, shown: str) -> str:
    # The client's messages name the host and port, some the whole URL (as given, or as the
    # client normalised it): neither the path nor user:password@ may show.
    text = str(error) or type(error).__name__
    for spelling in (url, str(URL(url)), URL(url).human_repr()):
        text = text.replace(spelling, shown)
    return without_userinfo(text)
