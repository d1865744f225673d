"""requirements.lock pins what the image installs: every runtime dependency of pyproject.toml
(and the build backend), each at one version that its range allows, each with hashes."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[3]
# One entry: "name==version [; markers] \" then its "--hash=sha256:..." lines.
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<rest>.*)$")


def locked() -> dict[str, tuple[Version, list[str]]]:
    """The lock's entries: canonical name -> (version, hashes)."""
    entries: dict[str, tuple[Version, list[str]]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        entry = _ENTRY.match(line)
        if entry:
            name = canonicalize_name(entry["name"])
            assert name not in entries, f"{name} is locked twice"
            entries[name] = (Version(entry["version"]), [])
        elif line.strip().startswith("--hash="):
            entries[name][1].append(line.strip().removeprefix("--hash=").rstrip(" \\"))
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"not a pinned requirement: {line!r}")
    return entries


def project_requirements() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [
        Requirement(text)
        for text in pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]
    ]


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    entries = locked()
    for requirement in project_requirements():
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{requirement} is not in requirements.lock: run `make lock`"
        version, _ = entries[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, outside {requirement}: run `make lock`"
        )


def test_every_locked_package_has_sha256_hashes() -> None:
    for name, (version, hashes) in locked().items():
        assert hashes, f"{name}=={version} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", value) for value in hashes), name


def test_an_extra_brings_its_own_dependencies() -> None:
    # elasticsearch[async] needs aiohttp; the lock must have what extras pull in too.
    assert "aiohttp" in locked()


def test_the_image_installs_from_the_lock_with_hashes_required() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --requirement requirements.lock" in dockerfile
    # The project itself adds nothing unchecked: no dependencies, no isolated build env.
    assert "pip install --no-deps --no-build-isolation /src" in dockerfile
