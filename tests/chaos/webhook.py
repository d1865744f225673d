"""A webhook receiver that can go down (its port closed: connection refused) and come back."""

import time
from collections import Counter

from aiohttp import web


class WebhookReceiver:
    """Counts the deliveries of each alert id it receives on POST /hook."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.deliveries: Counter[str] = Counter()
        self.received_at: list[float] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def up(self) -> None:
        """Listens (again)."""
        if self._runner is None:
            app = web.Application()
            app.router.add_post("/hook", self._receive)
            runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True).start()
            self._runner = runner

    async def down(self) -> None:
        """Closes the port and the open connections: connections are refused until `up`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.deliveries[str(body["alert"]["id"])] += 1
        self.received_at.append(time.time())
        return web.Response(text="ok")
