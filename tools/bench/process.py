"""The service under test as processes of its own (`python -m wirewatch run`, or the
pass-through service), so that the resident memory of all its processes can be read."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil

from tools.bench.articles import ROOT

RUN_SERVICE = ("-m", "wirewatch", "run")
RUN_PASS_THROUGH = ("-m", "tools.bench.passthrough")
_MB = 1024 * 1024


class ServiceProcess:
    """One replica of the service, started from this checkout with extra environment
    variables; stopped with SIGTERM (as Kubernetes does) when the block ends."""

    def __init__(self, environment: dict[str, str], command: tuple[str, ...] = RUN_SERVICE) -> None:
        self.port = _free_port()
        self.environment = {**environment, "WIREWATCH_SERVICE__HTTP_PORT": str(self.port)}
        self.command = command
        self._log = tempfile.NamedTemporaryFile(prefix="wirewatch-bench-", suffix=".log")  # noqa: SIM115 (kept open while the process writes it)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, *self.command],
            cwd=ROOT,
            env={**os.environ, **self.environment},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
        self._log.close()

    def stop(self, timeout_s: float = 60) -> None:
        """SIGTERM, then SIGKILL after `timeout_s`; safe to call twice."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def check_alive(self) -> None:
        """Raises, with the end of its log, if the process has ended."""
        if self._process is not None and self._process.poll() is not None:
            tail = Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"the service ended with status {self._process.returncode}:\n{tail}")

    def ready(self) -> bool:
        """Whether its readiness probe answers 200: set up, connected, consuming."""
        url = f"http://127.0.0.1:{self.port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def processes(self) -> list[psutil.Process]:
        """The service's process and all its descendants (enrichment workers)."""
        if self._process is None:
            return []
        root = psutil.Process(self._process.pid)
        return [root, *root.children(recursive=True)]

    def memory_mb(self) -> tuple[float, float | None]:
        """(RSS, PSS) of all its processes together, in MB; PSS is None where the system does
        not tell it (RSS counts pages shared by forked workers once per process)."""
        rss = 0
        pss: int | None = 0
        for process in self.processes():
            try:
                rss += process.memory_info().rss
                full = process.memory_full_info()
                pss = None if pss is None or not hasattr(full, "pss") else pss + full.pss
            except psutil.NoSuchProcess:
                continue
        return rss / _MB, None if pss is None else pss / _MB


def _free_port() -> int:
    """A port free now on the loopback interface (the service binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
