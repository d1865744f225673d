"""The service's small HTTP port: /metrics, /healthz, /readyz, and the routes handed in
(the rules and alerts API of alerts/api.py)."""

from collections.abc import Sequence

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from contracts import AsyncResource, WirewatchError
from wirewatch.health import Readiness, SinkWatch

log = structlog.get_logger(__name__)


class HealthServer(AsyncResource):
    """Serves metrics and probes: /readyz from `readiness`, /healthz from `sink`.

    `routes` adds endpoints of its own (the rules API) on the same port. It is started
    before the dependencies, so that the probes answer while start-up waits for them.
    """

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        readiness: Readiness,
        sink: SinkWatch | None = None,
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        self.host = host
        self.port = port
        self._registry = registry
        self._readiness = readiness
        self._sink = sink
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_routes(routes)
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
        """200 while alive, 503 when the sink is stalled; the body says how the sink is."""
        if self._sink is None:
            return web.json_response({"status": "ok"})
        sink = self._sink.state()
        stalled = sink.status == "stalled"
        return web.json_response(
            {"status": "stalled" if stalled else "ok", "sink": sink.model_dump()},
            status=503 if stalled else 200,
        )

    async def _readyz(self, request: web.Request) -> web.Response:
        """200 when started and every dependency answers in time, else 503 naming those down."""
        report = await self._readiness.report()
        return web.json_response(report.body(), status=200 if report.ready else 503)
