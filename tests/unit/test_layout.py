"""The packages' import graph: arrows point one way, and outside code uses each package's
public surface (its `__all__`), not its modules.

contracts <- ingest, enrich, index, matcher <- alerts <- wirewatch; tools (development only)
above them all.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each package may import of the others.
ALLOWED = {
    "contracts": set(),
    "matcher": set(),
    "enrich": {"contracts"},
    "ingest": {"contracts"},
    "index": {"contracts"},
    "alerts": {"contracts", "ingest", "index", "matcher"},
    "wirewatch": {"contracts", "ingest", "enrich", "index", "matcher", "alerts", "tools"},
    "tools": {"contracts", "ingest", "enrich", "index", "alerts", "wirewatch"},
}
# Importing the app's settings module is how tools read the one settings object; tools is a
# box of separate tools, each public on its own (the stack package, the reference generator,
# the benchmark).
# The benchmark's pass-through service builds the Service itself (wirewatch.service).
PUBLIC_MODULES = {
    "wirewatch.settings",
    "wirewatch.service",
    "wirewatch.logs",
    "tools.stack",
    "tools.reference",
    "tools.bench",
}


def _imports(package: str) -> list[tuple[Path, str, list[str]]]:
    """(file, module, names) of every absolute import in the package's code."""
    found: list[tuple[Path, str, list[str]]] = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found.extend((path, alias.name, []) for alias in node.names)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_packages_below_it(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {module}"
        for path, module, _ in _imports(package)
        if (top := module.split(".")[0]) in ALLOWED
        and top != package
        and top not in ALLOWED[package]
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_other_packages_are_reached_through_their_public_names(package: str) -> None:
    wrong: set[str] = set()
    for path, module, names in _imports(package):
        top = module.split(".")[0]
        if top not in ALLOWED or top == package or module in PUBLIC_MODULES:
            continue
        if "." in module:
            wrong.add(f"{path.relative_to(ROOT)}: from {module} import ...")
            continue
        public = set(importlib.import_module(top).__all__)
        wrong.update(
            f"{path.relative_to(ROOT)}: {top}.{name} is not in {top}.__all__"
            for name in names
            if name not in public
        )
    assert not wrong, sorted(wrong)
