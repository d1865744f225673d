"""Fetching the servers with Maven into a cache folder shared by the stacks of this machine."""

import contextlib
import fcntl
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tools.stack.errors import StackError
from tools.stack.process import tail


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


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialises fetches of one cache folder between processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_maven(args: list[str], workdir: Path, what: str) -> None:
    """Runs `mvn -B -q args` in `workdir`, its output in workdir/mvn.log; raises StackError
    naming `what` it fetched, with the log's last lines, when Maven fails."""
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
            f"reachable? Last lines of {log}:\n{tail(log)}"
        )
