"""The suite's table: one line per scenario, counts by id."""

from collections.abc import Sequence
from typing import Protocol

from tests.chaos.tally import Tally


class _Outcome(Protocol):
    scenario: str
    tally: Tally
    settle_s: float | None
    peak_rss_mb: float
    unexpected_exits: list[str]

    @property
    def passed(self) -> bool: ...

    @property
    def recover(self) -> list[float | None]: ...


COLUMNS = (
    ("scenario", 17), ("produced", 8), ("indexed", 7), ("dup", 4), ("missing", 7),
    ("rewritten", 9), ("dead-lettered", 13), ("alerts exp/rec/dup", 18), ("webhook got/dup", 15),
    ("recover s", 16), ("settle s", 8), ("RSS MB", 6), ("exits", 5), ("verdict", 7),
)  # fmt: skip


def _seconds(values: Sequence[float | None]) -> str:
    return ",".join("-" if value is None else f"{value:.0f}" for value in values) or "-"


def row(outcome: _Outcome) -> list[str]:
    t = outcome.tally
    webhook = (
        "-" if t.webhook_delivered is None else f"{t.webhook_delivered}/{t.webhook_duplicates}"
    )
    return [
        outcome.scenario,
        str(t.produced),
        f"{t.indexed}/{t.valid}",
        str(t.duplicates),
        str(t.missing),
        str(t.rewritten),
        f"{t.dead_lettered}/{t.invalid_expected}",
        f"{t.alerts_expected}/{t.alerts_recorded}/{t.alerts_duplicated}",
        webhook,
        _seconds(outcome.recover),
        "-" if outcome.settle_s is None else f"{outcome.settle_s:.0f}",
        f"{outcome.peak_rss_mb:.0f}",
        str(len(outcome.unexpected_exits)),
        "pass" if outcome.passed else "FAIL",
    ]


def table(outcomes: Sequence[_Outcome], *, header: bool = True) -> str:
    """Fixed-width lines, a header first unless `header` is false."""
    lines = []
    if header:
        lines.append("  ".join(name.ljust(width) for name, width in COLUMNS))
    for outcome in outcomes:
        cells = row(outcome)
        lines.append(
            "  ".join(cell.ljust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))
        )
    return "\n".join(lines)
