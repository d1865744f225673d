"""The README's configuration reference is the one generated from the settings model."""

from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr
from typer.testing import CliRunner

from tools import reference
from wirewatch.cli import app

README = Path(__file__).parents[3] / "README.md"


def test_readme_reference_is_up_to_date() -> None:
    embedded = reference.embedded(README.read_text(encoding="utf-8"))
    assert embedded == reference.render(), "the README is out of date: run `make docs`"


class _Inner(BaseModel):
    """Inner section.

    Second paragraph, not shown.
    """

    token: SecretStr = SecretStr("hunter2")
    size_mb: int = Field(default=5, gt=0, le=10, description="How | big.")
    path: Path = Field(default_factory=lambda: Path.home() / "data")


class _Outer(BaseModel):
    inner: _Inner = _Inner()
    loose: int = 3


def test_render_walks_sections_masks_secrets_and_escapes_cells() -> None:
    text = reference.render(_Outer)
    assert text.startswith("### `inner`\n\nInner section.\n")
    assert "| `WIREWATCH_INNER__TOKEN` | secret | `**********` |  |" in text
    assert "| `WIREWATCH_INNER__SIZE_MB` | int (> 0, ≤ 10) | `5` | How \\| big. |" in text
    assert "| `WIREWATCH_INNER__PATH` | path | `~/data` |  |" in text
    assert "hunter2" not in text
    assert "LOOSE" not in text  # top-level fields outside a section are not settings


def test_splice_replaces_only_the_marked_section() -> None:
    document = f"intro\n{reference.BEGIN}\nold\n{reference.END}\noutro\n"
    spliced = reference.splice(document, "new\n")
    assert spliced == f"intro\n{reference.BEGIN}\n\nnew\n\n{reference.END}\noutro\n"
    assert reference.embedded(spliced) == "new\n"
    with pytest.raises(ValueError, match=r"no .* section"):
        reference.splice("no markers", "x")


def test_the_cli_prints_the_reference() -> None:
    result = CliRunner().invoke(app, ["config", "reference"])
    assert result.exit_code == 0
    assert result.output == reference.render()
