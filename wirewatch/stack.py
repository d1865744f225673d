"""The local Kafka broker and Elasticsearch server for development and tests (no Docker needed).

The real servers are fetched with Maven into a cache folder, then run as child processes in
their own process groups with data and logs under the stack's state folder.
"""

import base64
import contextlib
import fcntl
import hashlib
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from contracts.errors import WirewatchError
from contracts.redact import without_userinfo
from wirewatch.settings import Settings, StackSettings

if TYPE_CHECKING:
    from wirewatch.certs import LocalAuthority

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_MIN_ES_JAVA = 21
_LOG4J_VERSION = "2.24.3"
_SLF4J_VERSION = "2.0.16"

# The secured stack's client identities, and the names of their password files (stack_secret).
ELASTICSEARCH_USER = "wirewatch"
ELASTICSEARCH_ROLE = "wirewatch"
ELASTICSEARCH_PASSWORD = "elasticsearch-password"  # noqa: S105 (a file name, not a password)
KAFKA_USER = "wirewatch"
KAFKA_PASSWORD = "kafka-password"  # noqa: S105 (a file name, not a password)


class StackError(WirewatchError):
    """A local server could not be fetched, started or stopped."""


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


def _local_port(host: str | None, port: int | None, default: int) -> int | None:
    """The port of a loopback address, or None for a remote one."""
    if host is None or host.lower() not in _LOOPBACK:
        return None
    return port or default


def kafka_local_port(bootstrap_servers: str) -> int | None:
    """The port to run the local broker on, or None if the configured brokers are remote."""
    first = bootstrap_servers.split(",")[0].strip()
    parts = urlsplit(f"//{first}")
    return _local_port(parts.hostname, parts.port, 9092)


def elasticsearch_local_port(url: str) -> int | None:
    """The port to run the local Elasticsearch on, or None if the configured one is remote."""
    parts = urlsplit(url.split(",")[0].strip())
    return _local_port(parts.hostname, parts.port, 9200)


def java_major_version(java: Path) -> int | None:
    """The feature version (17, 21, 25, ...) of a java executable, None if it does not run."""
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older call themselves "1.8".
    return int(match.group(2) or 0) if major == 1 else major


def find_java(minimum: int = _MIN_ES_JAVA) -> Path:
    """The newest java at least `minimum`, from ES_JAVA_HOME, JAVA_HOME, /usr/lib/jvm or PATH."""
    homes = [os.environ.get("ES_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        homes.extend(str(home) for home in sorted(jvm_dir.iterdir()))
    candidates = [Path(home) / "bin" / "java" for home in homes if home]
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve())
    found: dict[Path, int] = {}
    for java in candidates:
        if java.is_file() and java.resolve() not in found:
            version = java_major_version(java)
            if version is not None:
                found[java.resolve()] = version
    usable = {java: version for java, version in found.items() if version >= minimum}
    if not usable:
        seen = ", ".join(f"{java} ({version})" for java, version in found.items()) or "none"
        raise StackError(
            f"Elasticsearch 9 needs Java {minimum} or newer; found: {seen}. Install one "
            "(for example `apt-get install openjdk-21-jre-headless`, or a Temurin JDK) and/or "
            "point ES_JAVA_HOME at it."
        )
    return max(usable, key=lambda java: usable[java])


def _require_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (`mvn`) is needed to fetch Kafka and Elasticsearch the first time. "
            "Install it (for example `apt-get install maven`) or point "
            "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS and WIREWATCH_INDEX__ELASTICSEARCH_URL at "
            "servers you already run."
        )
    return mvn


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialises fetches of one cache folder between processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_maven(args: list[str], workdir: Path, what: str) -> None:
    log = workdir / "mvn.log"
    with log.open("w") as out:
        done = subprocess.run(
            [_require_maven(), "-B", "-q", *args],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise StackError(
            f"Maven could not fetch {what} (exit {done.returncode}). Is Maven Central "
            f"reachable? Last lines of {log}:\n{_tail(log)}"
        )


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process, which tells a reused pid from ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22, counted after the command name, which may itself hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    return _start_time(pid) is not None


def _extract_keeping_modes(archive: Path, target: Path) -> None:
    """Unzips `archive` into `target`, keeping the executable bits zipfile drops."""
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            extracted = Path(bundle.extract(member, target))
            mode = (member.external_attr >> 16) & 0o777
            if mode:
                extracted.chmod(mode)


def _account(user: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise StackError(
            f"Elasticsearch refuses to run as root and the user {user!r} it would run as does "
            "not exist: create it (`useradd --system wirewatch-es`) and set "
            "WIREWATCH_STACK__ELASTICSEARCH_USER, or run wirewatch as an ordinary user."
        ) from None


def _claim_folder(folder: Path, owners: set[int]) -> None:
    """Makes `folder` ours, refusing one that someone else planted (a link, another owner)."""
    try:
        folder.mkdir(mode=0o755)
    except FileExistsError:
        if folder.is_symlink() or not folder.is_dir():
            raise StackError(f"{folder} exists and is not a plain folder; remove it") from None
        owner = folder.lstat().st_uid
        if owner not in owners:
            raise StackError(f"{folder} belongs to uid {owner}; remove it") from None


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(Path(folder) / name, uid, gid, follow_symlinks=False)


def _reap(pid: int) -> None:
    """Collects the exit of a server this process started (`stack up` in a test), which would
    otherwise stay a zombie that looks alive until the stop's deadline."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


class _Server:
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
        return pid if _start_time(pid) == started else None

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
            if _port_open(port):
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
                group=None if user is None else _account(user).pw_gid,
                extra_groups=None if user is None else [],
            )
        self.pid_file.write_text(f"{process.pid} {_start_time(process.pid)}\n")
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
        return _tail(self.log_file)

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


class _Kafka(_Server):
    name = "kafka"

    @property
    def controller_port(self) -> int:
        return self.port + 1

    @property
    def mtls_port(self) -> int:
        """The secured stack's mutual-TLS listener (SSL, client certificate required)."""
        return self.port + 2

    def ports(self) -> list[int]:
        if self.stack.secure:
            return [self.port, self.controller_port, self.mtls_port]
        return [self.port, self.controller_port]

    def ready(self) -> bool:
        # The broker accepts connections on its client listener only once it has started.
        return _port_open(self.port)

    def fetch(self) -> Path:
        """The folder of the broker's jars, fetched with Maven the first time."""
        root = self.stack.cache_dir / f"kafka-{self.stack.kafka_version}"
        lib = root / "lib"
        complete = root / ".complete"
        with _locked(self.stack.cache_dir / ".kafka.lock"):
            if complete.exists():
                return lib
            shutil.rmtree(lib, ignore_errors=True)
            root.mkdir(parents=True, exist_ok=True)
            (root / "pom.xml").write_text(_kafka_pom(self.stack.kafka_version))
            _run_maven(
                [
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={lib}",
                    "-DincludeScope=runtime",
                ],
                root,
                f"Kafka {self.stack.kafka_version}",
            )
            complete.touch()
        return lib

    def prepare(self, java: Path) -> tuple[list[str], dict[str, str], str | None]:
        lib = self.fetch()
        data = self.home / "data"
        config = self.home / "server.properties"
        users: dict[str, str] = {}
        if self.stack.secure:
            users = _kafka_scram_users(self.stack)
            properties = _kafka_properties(
                port=self.port,
                controller_port=self.controller_port,
                data=data,
                listeners=_kafka_secure_listeners(
                    self.stack,
                    port=self.port,
                    controller_port=self.controller_port,
                    mtls_port=self.mtls_port,
                    broker_password=users[_KAFKA_BROKER_USER],
                ),
            )
        else:
            properties = _kafka_properties(
                port=self.port, controller_port=self.controller_port, data=data
            )
        if self.stack.secure:
            _write_private(config, properties)  # it holds the broker's SCRAM password
        else:
            config.write_text(properties)
        log_config = self.home / "log4j2.properties"
        log_config.write_text(_KAFKA_LOG4J)
        classpath = f"{lib}/*"
        formatted_as = self.home / "storage.secure"
        if not (data / "meta.properties").exists():
            self._format(java, classpath, config, users)
            formatted_as.write_text(f"{self.stack.secure}\n")
        elif formatted_as.exists() and formatted_as.read_text().strip() != str(self.stack.secure):
            # The SCRAM users exist only if they were added when the storage was formatted.
            raise StackError(
                f"kafka: the data in {data} was made with WIREWATCH_STACK__SECURE="
                f"{formatted_as.read_text().strip().lower()}; run `wirewatch stack down "
                "--purge` (its data is lost) or use another WIREWATCH_STACK__STATE_DIR"
            )
        heap = f"-Xmx{self.stack.kafka_heap_mb}m"
        command = [
            str(java), heap, f"-Xms{self.stack.kafka_heap_mb // 2}m",
            f"-Dlog4j2.configurationFile={log_config}", "-cp", classpath,
            "kafka.Kafka", str(config),
        ]  # fmt: skip
        return command, dict(os.environ), None

    def _format(self, java: Path, classpath: str, config: Path, users: dict[str, str]) -> None:
        """Formats the storage, creating the SCRAM `users` (name: password) if any.

        The passwords travel in a java argument file (0600, deleted after), so that they
        never appear on a command line another user of the machine could read.
        """
        arguments = ["kafka.tools.StorageTool", "format", "-t", _kafka_cluster_id(),
                     "-c", str(config)]  # fmt: skip
        for user, password in users.items():
            for mechanism in _KAFKA_SCRAM_MECHANISMS:
                arguments += ["--add-scram", f"{mechanism}=[name={user},password={password}]"]
        argument_file = self.home / "format.args"
        _write_private(argument_file, "\n".join(f'"{argument}"' for argument in arguments))
        try:
            formatted = subprocess.run(
                [str(java), "-cp", classpath, f"@{argument_file}"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        finally:
            argument_file.unlink(missing_ok=True)
        if formatted.returncode != 0:
            output = formatted.stdout + formatted.stderr
            for password in users.values():
                output = output.replace(password, "**********")
            raise StackError(f"kafka: formatting the storage in {config.parent / 'data'} "
                             f"failed:\n{output}")  # fmt: skip


class _Elasticsearch(_Server):
    name = "elasticsearch"

    def __init__(self, settings: StackSettings, port: int) -> None:
        super().__init__(settings, port)
        self.user = settings.elasticsearch_user if os.geteuid() == 0 else None
        self.account = _account(self.user) if self.user is not None else None
        if self.user is not None:
            # Elasticsearch refuses to run as root; its files must be reachable by its own user,
            # and folders such as /root are not, so they live in a folder of their own.
            digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
            self.runtime = Path("/var/tmp") / f"wirewatch-es-{digest}"  # noqa: S108
        else:
            self.runtime = self.home
        self.workdir = self.runtime

    @property
    def transport_port(self) -> int:
        return self.port + 100

    def ports(self) -> list[int]:
        return [self.port, self.transport_port]

    @property
    def address(self) -> str:
        return f"https://127.0.0.1:{self.port}" if self.stack.secure else super().address

    def ready(self) -> bool:
        path = "/_cluster/health?wait_for_status=yellow&timeout=1s"
        if not self.stack.secure:
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
            context = None
        else:
            request = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}")
            password = stack_secret(self.stack, ELASTICSEARCH_PASSWORD).read_text().strip()
            token = base64.b64encode(f"{ELASTICSEARCH_USER}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
            context = ssl.create_default_context(cafile=stack_authority(self.stack).ca_file)
        try:
            # The URL is this stack's own loopback server.
            with urllib.request.urlopen(request, timeout=3, context=context) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def logs(self) -> str:
        server_log = self.runtime / "logs" / "wirewatch-local.log"
        return f"{_tail(self.log_file, 20)}\n--- {server_log} ---\n{_tail(server_log, 30)}"

    def fetch(self) -> Path:
        """The server's zip, fetched with Maven the first time."""
        version = self.stack.elasticsearch_version
        archive = self.stack.cache_dir / f"elasticsearch-{version}.zip"
        with _locked(self.stack.cache_dir / ".elasticsearch.lock"):
            if archive.exists():
                return archive
            workdir = self.stack.cache_dir / f"elasticsearch-{version}-fetch"
            workdir.mkdir(parents=True, exist_ok=True)
            _run_maven(
                [
                    "dependency:copy",
                    "-Dartifact=org.elasticsearch.distribution.integ-test-zip:"
                    f"elasticsearch:{version}:zip",
                    f"-DoutputDirectory={workdir}",
                ],
                workdir,
                f"Elasticsearch {version}",
            )
            (workdir / f"elasticsearch-{version}.zip").rename(archive)
            shutil.rmtree(workdir, ignore_errors=True)
        return archive

    def prepare(self, java: Path) -> tuple[list[str], dict[str, str], str | None]:
        archive = self.fetch()
        version = self.stack.elasticsearch_version
        distribution = self.runtime / f"elasticsearch-{version}"
        if self.account is not None:
            _claim_folder(self.runtime, {0, self.account.pw_uid})
        if not (distribution / "bin" / "elasticsearch").exists():
            shutil.rmtree(distribution, ignore_errors=True)
            self.runtime.mkdir(parents=True, exist_ok=True)
            _extract_keeping_modes(archive, self.runtime)
        # A fresh copy each start, so that a version change brings its own jvm.options.
        config = self.runtime / "config"
        shutil.rmtree(config, ignore_errors=True)
        shutil.copytree(distribution / "config", config)
        (config / "elasticsearch.yml").write_text(
            _elasticsearch_yml(
                port=self.port,
                transport_port=self.transport_port,
                runtime=self.runtime,
                secure=self.stack.secure,
            )
        )
        for folder in ("data", "logs", "tmp"):
            (self.runtime / folder).mkdir(exist_ok=True)
        heap = self.stack.elasticsearch_heap_mb
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.runtime),
            "ES_JAVA_HOME": str(java.parent.parent),
            "ES_PATH_CONF": str(config),
            "ES_TMPDIR": str(self.runtime / "tmp"),
            "ES_JAVA_OPTS": f"-Xms{heap}m -Xmx{heap}m",
        }
        if self.stack.secure:
            self._secure(distribution, config, env)
        if self.account is not None:
            _chown_tree(self.runtime, self.account.pw_uid, self.account.pw_gid)
        return [str(distribution / "bin" / "elasticsearch")], env, self.user

    def _secure(self, distribution: Path, config: Path, env: dict[str, str]) -> None:
        """Puts the HTTP certificate, the `wirewatch` role and user into the fresh config."""
        issued = stack_authority(self.stack).issue("elasticsearch", ["127.0.0.1", "localhost"])
        # Copies, so that the server's user can read them wherever the state folder is.
        for source, target in (
            (issued.certificate, "http.pem"),
            (issued.key, "http.key"),
            (stack_authority(self.stack).ca_file, "ca.pem"),
        ):
            shutil.copyfile(source, config / target)
            (config / target).chmod(0o600)
        (config / "roles.yml").write_text(_ELASTICSEARCH_ROLES_YML)
        password = stack_secret(self.stack, ELASTICSEARCH_PASSWORD).read_text().strip()
        # Without -p the tool asks for the password twice on its input: a command line would
        # show it to every local user (ps) while the tool runs.
        added = subprocess.run(
            [str(distribution / "bin" / "elasticsearch-users"), "useradd", ELASTICSEARCH_USER,
             "-r", ELASTICSEARCH_ROLE],
            input=f"{password}\n{password}\n",
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if added.returncode != 0:
            output = (added.stdout + added.stderr).replace(password, "**********")
            raise StackError(
                f"elasticsearch: adding the user {ELASTICSEARCH_USER!r} to the file realm in "
                f"{config} failed (exit {added.returncode}):\n{output}"
            )


class LocalStack:
    """The servers the settings point at on this machine; remote ones are left alone."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        kafka_port = kafka_local_port(settings.kafka.bootstrap_servers)
        es_port = elasticsearch_local_port(settings.index.elasticsearch_url)
        self._kafka = _Kafka(settings.stack, kafka_port) if kafka_port else None
        self._es = _Elasticsearch(settings.stack, es_port) if es_port else None

    def _servers(self, names: Collection[str] | None = None) -> list[_Server]:
        return [
            server
            for server in (self._kafka, self._es)
            if server is not None and (names is None or server.name in names)
        ]

    def up(self, names: Collection[str] | None = None) -> list[ServerStatus]:
        """Starts the local servers that are not running and waits until they answer.

        `names` ("kafka", "elasticsearch") limits it to those: the fault tests restart one
        server on its data while the other runs on."""
        servers = self._servers(names)
        if servers:
            java = find_java()
            for server in servers:
                try:
                    server.up(java)
                except BaseException:
                    server.down()
                    raise
        return self.status()

    def down(
        self, names: Collection[str] | None = None, *, purge: bool = False
    ) -> list[ServerStatus]:
        """Stops the local servers (or those of `names`); their data stays unless `purge`."""
        for server in self._servers(names):
            server.down()
            if purge:
                server.purge()
        return self.status()

    def status(self) -> list[ServerStatus]:
        """One line per server: running, stopped, or external (configured elsewhere)."""
        statuses = [server.status() for server in self._servers()]
        if self._kafka is None:
            statuses.insert(
                0, ServerStatus("kafka", "external", self.settings.kafka.bootstrap_servers)
            )
        if self._es is None:
            statuses.append(
                ServerStatus(
                    "elasticsearch",
                    "external",
                    without_userinfo(self.settings.index.elasticsearch_url),
                )
            )
        return statuses


def stack_authority(settings: StackSettings) -> "LocalAuthority":
    """The secured stack's private CA, kept under its state folder (certs/ca.pem)."""
    # cryptography is a development dependency: only the secured stack needs it.
    from wirewatch.certs import LocalAuthority

    return LocalAuthority(settings.state_dir.resolve() / "certs")


def stack_secret(settings: StackSettings, name: str) -> Path:
    """The file of the secured stack's secret `name` (a password), made on first use.

    Secrets stay in files readable by their owner only (secrets/<name>) and are never
    printed: `wirewatch stack env` prints commands that read them.
    """
    folder = settings.state_dir.resolve() / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path


def stack_env(settings: Settings) -> list[str]:
    """`export WIREWATCH_...=...` lines that point a client at this local stack.

    For the secured stack they carry the users, the CA file, and for each password a command
    substitution that reads its secret file: the secret itself is never printed. Servers
    configured elsewhere (remote addresses) are left out.
    """
    stack = settings.stack
    lines = {"WIREWATCH_STACK__SECURE": "true" if stack.secure else "false"}
    kafka_port = kafka_local_port(settings.kafka.bootstrap_servers)
    es_port = elasticsearch_local_port(settings.index.elasticsearch_url)
    ca_file = str(stack_authority(stack).ca_file) if stack.secure else ""
    if kafka_port is not None:
        lines["WIREWATCH_KAFKA__BOOTSTRAP_SERVERS"] = f"127.0.0.1:{kafka_port}"
        if stack.secure:
            lines["WIREWATCH_KAFKA__SECURITY_PROTOCOL"] = "SASL_SSL"
            lines["WIREWATCH_KAFKA__SASL_MECHANISM"] = "SCRAM-SHA-512"
            lines["WIREWATCH_KAFKA__SASL_USERNAME"] = KAFKA_USER
            lines["WIREWATCH_KAFKA__SASL_PASSWORD"] = _read_secret(stack, KAFKA_PASSWORD)
            lines["WIREWATCH_KAFKA__SSL_CAFILE"] = ca_file
    if es_port is not None:
        scheme = "https" if stack.secure else "http"
        lines["WIREWATCH_INDEX__ELASTICSEARCH_URL"] = f"{scheme}://127.0.0.1:{es_port}"
        if stack.secure:
            lines["WIREWATCH_INDEX__USERNAME"] = ELASTICSEARCH_USER
            lines["WIREWATCH_INDEX__PASSWORD"] = _read_secret(stack, ELASTICSEARCH_PASSWORD)
            lines["WIREWATCH_INDEX__CA_CERTS"] = ca_file
    return [
        f"export {name}={value if isinstance(value, _Substitution) else shlex.quote(value)}"
        for name, value in lines.items()
    ]


class _Substitution(str):
    """A shell command substitution, printed as it is rather than quoted."""


def _read_secret(stack: StackSettings, name: str) -> _Substitution:
    return _Substitution(f'"$(cat {shlex.quote(str(stack_secret(stack, name)))})"')


def _kafka_cluster_id() -> str:
    # Kafka's own Uuid.randomUuid: 16 random bytes, URL-safe base64, no padding, no leading '-'.
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _kafka_pom(version: str) -> str:
    dependencies = [
        ("org.apache.kafka", "kafka_2.13", version),
        ("org.apache.logging.log4j", "log4j-slf4j2-impl", _LOG4J_VERSION),
        ("org.apache.logging.log4j", "log4j-core", _LOG4J_VERSION),
        # Kafka's own dependencies bring slf4j-api 1.7, which cannot see the log4j2 binding.
        ("org.slf4j", "slf4j-api", _SLF4J_VERSION),
    ]
    listed = "".join(
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{release}</version></dependency>"
        for group, artifact, release in dependencies
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>wirewatch.local</groupId><artifactId>kafka-runtime</artifactId>"
        f"<version>1</version><packaging>pom</packaging><dependencies>{listed}</dependencies>"
        "</project>\n"
    )


def _kafka_properties(
    *, port: int, controller_port: int, data: Path, listeners: str | None = None
) -> str:
    """The broker's configuration; `listeners` replaces the plain listener lines."""
    if listeners is None:
        listeners = f"""\
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
"""
    return f"""\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
{listeners}log.dirs={data}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
"""


_KAFKA_BROKER_USER = "broker"
_KAFKA_SCRAM_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256")


def _kafka_scram_users(settings: StackSettings) -> dict[str, str]:
    """The SCRAM users of the secured broker and their passwords: `wirewatch` for clients,
    `broker` for the broker's own connections to itself (inter-broker listener)."""
    return {
        KAFKA_USER: stack_secret(settings, KAFKA_PASSWORD).read_text().strip(),
        _KAFKA_BROKER_USER: stack_secret(settings, "kafka-broker-password").read_text().strip(),
    }


def _write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read (it may hold a password)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _kafka_secure_listeners(
    settings: StackSettings,
    *,
    port: int,
    controller_port: int,
    mtls_port: int,
    broker_password: str,
) -> str:
    """The secured broker's listeners, TLS and SASL configuration.

    CLIENT (the client port): SASL_SSL with SCRAM-SHA-512 or -256, also the inter-broker
    listener (user `broker`). MTLS (client port + 2): SSL with a client certificate signed
    by the stack's CA required. CONTROLLER (client port + 1) stays PLAINTEXT on 127.0.0.1: in
    one combined KRaft node only the node itself talks to it.
    """
    authority = stack_authority(settings)
    issued = authority.issue("kafka", ["127.0.0.1", "localhost"])
    # Kafka's PEM key store: the private key (PKCS#8) then the certificate chain, one file.
    keystore = issued.certificate.with_name("kafka-keystore.pem")
    _write_private(
        keystore,
        issued.key.read_text() + issued.certificate.read_text() + authority.ca_file.read_text(),
    )
    # The password is a SCRAM password of the local stack: token_urlsafe never holds a quote.
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{_KAFKA_BROKER_USER}" password="{broker_password}";'
    )
    client, mtls = f"CLIENT://127.0.0.1:{port}", f"MTLS://127.0.0.1:{mtls_port}"
    return f"""\
listeners={client},CONTROLLER://127.0.0.1:{controller_port},{mtls}
advertised.listeners={client},{mtls}
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CLIENT:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms={",".join(_KAFKA_SCRAM_MECHANISMS)}
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config={jaas}
listener.name.client.scram-sha-256.sasl.jaas.config={jaas}
ssl.keystore.type=PEM
ssl.keystore.location={keystore}
ssl.truststore.type=PEM
ssl.truststore.location={authority.ca_file}
ssl.endpoint.identification.algorithm=https
listener.name.mtls.ssl.client.auth=required
"""


_KAFKA_LOG4J = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.org.name = org.apache.kafka
logger.org.level = warn
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""


def _elasticsearch_yml(
    *, port: int, transport_port: int, runtime: Path, secure: bool = False
) -> str:
    security = _ELASTICSEARCH_SECURITY_YML if secure else "xpack.security.enabled: false\n"
    return f"""\
cluster.name: wirewatch-local
node.name: wirewatch-local
path.data: {runtime / "data"}
path.logs: {runtime / "logs"}
network.host: 127.0.0.1
http.port: {port}
transport.port: {transport_port}
discovery.type: single-node
{security}# Development disks are often nearly full; without this the server blocks writes at its
# watermarks and tests fail for reasons that have nothing to do with wirewatch.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
"""


# Security for a single node bound to loopback: TLS on HTTP only. A single-node cluster has
# no transport peers, and the TLS-on-transport bootstrap check applies to multi-node ones.
_ELASTICSEARCH_SECURITY_YML = """\
xpack.security.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.certificate: http.pem
xpack.security.http.ssl.key: http.key
xpack.security.http.ssl.certificate_authorities: [ca.pem]
"""

# What wirewatch does, and no more: cluster health (its probe), index templates, and
# everything on its own indices and aliases (articles, stories, rules, alerts: wirewatch-*).
_ELASTICSEARCH_ROLES_YML = """\
wirewatch:
  cluster: [monitor, manage_index_templates]
  indices:
    - names: ["wirewatch-*"]
      privileges: [all]
"""
