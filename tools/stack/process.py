"""One local server as a supervised child process: pid file, log, start, readiness, stop.

Each server runs in its own process group, so that a stop reaches the whole of it; its pid file
holds the kernel's start time beside the pid, so that a pid reused by another process never
counts as the server.
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tools.stack.errors import StackError
from wirewatch.settings import StackSettings


@dataclass(frozen=True)
class ServerStatus:
    """What `wirewatch stack status` reports of one server."""

    name: str
    state: str  # "running", "stopped" or "external"
    address: str
    pid: int | None = None

    def __str__(self) -> str:
        pid = f" (pid {self.pid})" if self.pid else ""
        return f"{self.name:<14} {self.state:<8} {self.address}{pid}"


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log, or a note that there is none."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_time(pid: int) -> str | None:
    """The kernel's start time of a process, which tells a reused pid from ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22, counted after the command name, which may itself hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def account(user: str) -> pwd.struct_passwd:
    """The account a server runs as when wirewatch runs as root (Elasticsearch refuses root)."""
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise StackError(
            f"Elasticsearch refuses to run as root and the user {user!r} it would run as does "
            "not exist: create it (`useradd --system wirewatch-es`) and set "
            "WIREWATCH_STACK__ELASTICSEARCH_USER, or run wirewatch as an ordinary user."
        ) from None


def _reap(pid: int) -> None:
    """Collects the exit of a server this process started (`stack up` in a test), which would
    otherwise stay a zombie that looks alive until the stop's deadline."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


class Server:
    """One server process: its pid file, log, start and stop."""

    name: str

    def __init__(self, settings: StackSettings, port: int) -> None:
        self.stack = settings
        self.port = port
        self.home = settings.state_dir.resolve() / self.name
        self.pid_file = self.home / "server.pid"
        self.log_file = self.home / "server.log"
        self.workdir = self.home

    def pid(self) -> int | None:
        """The server's pid, if it still runs: a pid reused by another process does not count."""
        try:
            pid_text, started = self.pid_file.read_text().split()
            pid = int(pid_text)
        except (OSError, ValueError):
            return None
        return pid if start_time(pid) == started else None

    def status(self) -> ServerStatus:
        pid = self.pid()
        return ServerStatus(self.name, "running" if pid else "stopped", self.address, pid)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def up(self, java: Path) -> None:
        if self.pid() is not None:
            self.wait_ready()
            return
        for port in self.ports():
            if port_open(port):
                raise StackError(
                    f"{self.name}: port {port} is already in use by another process. Stop it, "
                    "or move the local stack to other ports with "
                    "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS / WIREWATCH_INDEX__ELASTICSEARCH_URL."
                )
        self.home.mkdir(parents=True, exist_ok=True)
        command, env, user = self.prepare(java)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=None if user is None else account(user).pw_gid,
                extra_groups=None if user is None else [],
            )
        self.pid_file.write_text(f"{process.pid} {start_time(process.pid)}\n")
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.stack.startup_timeout_s
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise StackError(
                    f"{self.name} exited while starting. Last lines of its logs:\n{self.logs()}"
                )
            if self.ready():
                return
            time.sleep(0.5)
        raise StackError(
            f"{self.name} did not become ready in {self.stack.startup_timeout_s:.0f} s "
            f"(WIREWATCH_STACK__STARTUP_TIMEOUT_S). Last lines of its logs:\n{self.logs()}"
        )

    def down(self, timeout_s: float = 60.0) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while self.pid() is not None and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if self.pid() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

    def logs(self) -> str:
        return tail(self.log_file)

    def purge(self) -> None:
        """Deletes the stopped server's data and logs."""
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def ports(self) -> list[int]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def prepare(self, java: Path) -> tuple[list[str], dict[str, str], str | None]:
        """Fetches and configures the server; returns its command, environment and user."""
        raise NotImplementedError
