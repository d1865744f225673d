"""The local Elasticsearch: a single node on 127.0.0.1 from the integ-test zip.

Under root it runs as an ordinary user of its own (Elasticsearch refuses root), from a folder
that user can reach; the secured stack turns on HTTPS with a certificate of the stack's CA and
a file-realm user with a role limited to wirewatch's indices.
"""

import base64
import hashlib
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tools.stack.credentials import (
    ELASTICSEARCH_PASSWORD,
    ELASTICSEARCH_ROLE,
    ELASTICSEARCH_USER,
    stack_authority,
    stack_secret,
)
from tools.stack.errors import StackError
from tools.stack.maven import locked, run_maven
from tools.stack.process import Server, account, tail
from wirewatch.settings import StackSettings


class ElasticsearchServer(Server):
    """The local Elasticsearch; its transport port is the HTTP port + 100."""

    name = "elasticsearch"

    def __init__(self, settings: StackSettings, port: int) -> None:
        super().__init__(settings, port)
        self.user = settings.elasticsearch_user if os.geteuid() == 0 else None
        self.account = account(self.user) if self.user is not None else None
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
        return f"{tail(self.log_file, 20)}\n--- {server_log} ---\n{tail(server_log, 30)}"

    def fetch(self) -> Path:
        """The server's zip, fetched with Maven the first time."""
        version = self.stack.elasticsearch_version
        archive = self.stack.cache_dir / f"elasticsearch-{version}.zip"
        with locked(self.stack.cache_dir / ".elasticsearch.lock"):
            if archive.exists():
                return archive
            workdir = self.stack.cache_dir / f"elasticsearch-{version}-fetch"
            workdir.mkdir(parents=True, exist_ok=True)
            run_maven(
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
            elasticsearch_yml(
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


def _extract_keeping_modes(archive: Path, target: Path) -> None:
    """Unzips `archive` into `target`, keeping the executable bits zipfile drops."""
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            extracted = Path(bundle.extract(member, target))
            mode = (member.external_attr >> 16) & 0o777
            if mode:
                extracted.chmod(mode)


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


def elasticsearch_yml(
    *, port: int, transport_port: int, runtime: Path, secure: bool = False
) -> str:
    """The node's elasticsearch.yml: single node on 127.0.0.1 at these ports, data and logs
    under `runtime`, security (HTTPS, users) only when `secure`."""
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
