"""The service's small HTTP port: /metrics, /healthz, /readyz."""

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from contracts.errors import WirewatchError
from contracts.lifecycle import AsyncResource

log = structlog.get_logger(__name__)

Check = Callable[[], Awaitable[None]]


class HealthServer(AsyncResource):
    """Serves metrics and probes. Readiness asks each dependency's `check` to answer."""

    def __init__(
        self, host: str, port: int, registry: CollectorRegistry, checks: dict[str, Check]
    ) -> None:
        self.host = host
        self.port = port
        self._registry = registry
        self._checks = checks
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)

    async def _open(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            raise WirewatchError(
                f"cannot serve /metrics and probes on {self.host}:{self.port}: {error.strerror}. "
                "Free the port or set WIREWATCH_SERVICE__HTTP_PORT."
            ) from error
        log.info("http listening", host=self.host, port=self.bound_port)

    async def _close(self) -> None:
        await self._runner.cleanup()

    @property
    def bound_port(self) -> int:
        """The port actually listened on (differs from `port` when that is 0)."""
        address = self._runner.addresses[0]
        return int(address[1])

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        failures = {}
        for name, check in self._checks.items():
            try:
                await check()
            except WirewatchError as error:
                failures[name] = str(error)
        if failures:
            return web.json_response({"status": "unavailable", "failures": failures}, status=503)
        return web.json_response({"status": "ready", "checked": sorted(self._checks)})
