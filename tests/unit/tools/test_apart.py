"""The development tooling stays out of the runtime: no runtime package imports it (but the
CLI's development commands, when they run), the wheel and the image leave it out, and those
commands say how to install it where it is missing."""

import ast
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wirewatch.cli import app

ROOT = Path(__file__).parents[3]
RUNTIME = ("contracts", "ingest", "enrich", "index", "matcher", "alerts", "wirewatch")


def _imports_of_tools(path: Path) -> list[bool]:
    """For each import of tools in a source file, whether it is at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        if any(name.split(".")[0] == "tools" for name in names):
            found.append(node in tree.body)
    return found


def test_only_the_cli_imports_tools_and_only_inside_its_commands() -> None:
    importers = {
        str(path.relative_to(ROOT)): imports
        for package in RUNTIME
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imports := _imports_of_tools(path))
    }
    assert set(importers) <= {"wirewatch/cli/tooling.py"}
    assert not any(importers.get("wirewatch/cli/tooling.py", []))


def test_the_wheel_and_the_image_leave_tools_out() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(pattern.startswith("tools") for pattern in included)
    copied = [
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
    ]
    assert not any(source.startswith("tools") for source in copied)


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["stack", "status"], "wirewatch stack status"),
        (["stack", "env"], "wirewatch stack env"),
        (["config", "reference"], "wirewatch config reference"),
    ],
)
def test_a_development_command_without_tools_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, command: list[str], named: str
) -> None:
    # As where tools/ is not installed (the image): every import of it fails.
    for name in [name for name in sys.modules if name.split(".")[0] == "tools"] + ["tools"]:
        monkeypatch.setitem(sys.modules, name, None)

    result = CliRunner().invoke(app, command)

    assert result.exit_code == 1
    assert f"`{named}` is development tooling" in result.output
    assert "pip install -e '.[dev]' -e ./tools" in result.output
