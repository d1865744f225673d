"""A TCP proxy in front of a real server, to make it hang or refuse for one test alone.

The shared servers must never be frozen: the proxy imitates a frozen one (SIGSTOP: the
connection is accepted, the request read, and no answer ever comes) or a stopped one
(connections refused) for the clients that go through it, and forwards otherwise.
"""

import asyncio
import contextlib
from typing import Literal, Self

Mode = Literal["forward", "hang", "refuse"]


class Proxy:
    """Listens on 127.0.0.1 and forwards to `target_host:target_port` unless told otherwise.

    `hang()` swallows every request from then on, on new and pooled connections alike;
    `refuse()` closes the listening socket and every connection; `forward()` resumes,
    dropping the connections that hung, as a server thawed after a long freeze would have
    had its clients give up on them.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self.mode: Mode = "forward"
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._hung: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        await self._listen()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close_listener()
        self._drop(self._connections)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def forward(self) -> None:
        """Forwards again; connections whose requests were swallowed are closed."""
        self.mode = "forward"
        self._drop(self._hung)
        if self._server is None:
            await self._listen()

    def hang(self) -> None:
        """Accepts and reads, never answers."""
        self.mode = "hang"

    async def refuse(self) -> None:
        """Refuses new connections and closes the open ones."""
        self.mode = "refuse"
        await self._close_listener()
        self._drop(self._connections)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _drop(self, writers: set[asyncio.StreamWriter]) -> None:
        for writer in list(writers):
            writer.transport.abort()
        writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            if self.mode == "forward":
                up_reader, upstream = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
                back = asyncio.create_task(self._pump(up_reader, writer))
                self._tasks.add(back)
                back.add_done_callback(self._tasks.discard)
            await self._requests(reader, writer, upstream)
        except (ConnectionError, OSError):
            pass
        finally:
            self._connections.discard(writer)
            self._hung.discard(writer)
            for end in (writer, upstream):
                if end is not None:
                    end.transport.abort()

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream: asyncio.StreamWriter | None,
    ) -> None:
        while chunk := await reader.read(65536):
            if self.mode != "forward":
                # Swallowed: the server "received" it and will never answer.
                self._hung.add(writer)
                continue
            if upstream is None:
                return  # accepted while hanging: the client sees it closed and reconnects
            upstream.write(chunk)
            await upstream.drain()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.transport.abort()
