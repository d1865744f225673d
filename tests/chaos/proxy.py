"""An HTTP proxy between the service and Elasticsearch that throttles a share of bulk items.

Elasticsearch answers an overloaded bulk item with 429 (es_rejected_execution_exception)
and does not index it; the proxy does the same: the items it picks are not forwarded, and
their place in the answer is a 429 item. Everything else reaches the real server as is.
"""

import gzip
import json
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

# Headers that describe one hop's connection, not the message (RFC 9110, 7.6.1).
# Bodies travel decoded through the proxy, so their encoding headers are dropped too.
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
     "accept-encoding", "host", "proxy-connection", "te", "trailer", "upgrade"}
)  # fmt: skip
_ACTIONS = frozenset({"index", "create", "update", "delete"})


def split_bulk(body: bytes) -> list[list[bytes]]:
    """The operations of a bulk body: an action line, and its source line unless a delete."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    operations: list[list[bytes]] = []
    position = 0
    while position < len(lines):
        action = json.loads(lines[position])
        (kind,) = action.keys()
        if kind not in _ACTIONS:
            raise ValueError(f"not a bulk action: {kind!r}")
        size = 1 if kind == "delete" else 2
        operations.append(lines[position : position + size])
        position += size
    return operations


def throttled_item(operation: list[bytes]) -> dict[str, Any]:
    """The item Elasticsearch answers for an operation it rejected for overload."""
    action = json.loads(operation[0])
    ((kind, meta),) = action.items()
    return {
        kind: {
            "_index": meta.get("_index", ""),
            "_id": meta.get("_id"),
            "status": 429,
            "error": {
                "type": "es_rejected_execution_exception",
                "reason": "rejected execution (injected by the chaos proxy)",
            },
        }
    }


def merge_items(
    throttled: dict[int, dict[str, Any]], forwarded: list[dict[str, Any]], total: int
) -> list[dict[str, Any]]:
    """The answer's items in request order: the injected ones at their places, the real
    server's in between."""
    real = iter(forwarded)
    return [
        throttled[position] if position in throttled else next(real) for position in range(total)
    ]


@dataclass
class ThrottleStats:
    """What the proxy did."""

    bulk_requests: int = 0
    items: int = 0
    throttled: int = 0
    by_id: dict[str, int] = field(default_factory=dict)


class ThrottlingProxy:
    """Serves on `port`, forwards to `upstream`, answers 429 for `share` of bulk items."""

    def __init__(self, upstream: str, port: int, *, share: float, seed: int = 1) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = port
        self.share = share
        self.active = True
        self.stats = ThrottleStats()
        self._rng = random.Random(seed)
        self._session: aiohttp.ClientSession | None = None
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _send(self, request: web.Request, body: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._session.request(
            request.method, f"{self.upstream}{request.rel_url}", headers=headers, data=body
        ) as response:
            answer = await response.read()
            kept = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
            return response.status, kept, answer

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        if request.method != "POST" or not request.path.endswith("/_bulk") or not self.active:
            status, headers, answer = await self._send(request, body)
            return web.Response(status=status, headers=headers, body=answer)
        operations = split_bulk(body)
        self.stats.bulk_requests += 1
        self.stats.items += len(operations)
        throttled: dict[int, dict[str, Any]] = {}
        for position, operation in enumerate(operations):
            if self._rng.random() < self.share:
                item = throttled_item(operation)
                throttled[position] = item
                doc_id = str(next(iter(item.values()))["_id"])
                self.stats.by_id[doc_id] = self.stats.by_id.get(doc_id, 0) + 1
        self.stats.throttled += len(throttled)
        kept = [line for position, op in enumerate(operations) if position not in throttled
                for line in op]  # fmt: skip
        forwarded: list[dict[str, Any]] = []
        took = 0
        headers = {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"}
        if kept:
            status, headers, answer = await self._send(request, b"\n".join(kept) + b"\n")
            if status != 200:
                return web.Response(status=status, headers=headers, body=answer)
            real = json.loads(answer)
            forwarded, took = real["items"], real.get("took", 0)
        items = merge_items(throttled, forwarded, len(operations))
        errors = any("error" in next(iter(item.values())) for item in items)
        return web.Response(
            status=200,
            headers=headers,
            body=json.dumps({"took": took, "errors": errors, "items": items}).encode(),
        )
