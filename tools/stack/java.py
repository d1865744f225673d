"""Finding a Java that Elasticsearch 9 runs on (Kafka runs on the same one)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from tools.stack.errors import StackError

MIN_ES_JAVA = 21


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


def find_java(minimum: int = MIN_ES_JAVA) -> Path:
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
