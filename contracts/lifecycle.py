"""The lifecycle every long-lived resource of wirewatch shares."""

from types import TracebackType
from typing import Self


class AsyncResource:
    """An async context manager over `start()` and `stop()`.

    Subclasses implement `_open()` (which cleans up after itself if it fails) and `_close()`.
    `stop()` closes only what was opened, once, however often it is called.
    """

    _opened = False

    async def start(self) -> None:
        """Opens the resource."""
        await self._open()
        self._opened = True

    async def stop(self) -> None:
        """Closes the resource; safe to call twice, and before or after a failed start."""
        if self._opened:
            self._opened = False
            await self._close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _open(self) -> None:
        """Nothing to open by default."""

    async def _close(self) -> None:
        raise NotImplementedError
