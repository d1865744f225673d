"""A per-article time budget for the costly extractors (pure: reads only the clock)."""

import time


class Deadline:
    """A point in time `budget_ms` from now; extractors ask `passed()` between steps."""

    def __init__(self, budget_ms: float) -> None:
        self.budget_ms = budget_ms
        self.started = time.perf_counter()
        self._at = self.started + budget_ms / 1000

    def passed(self) -> bool:
        """Whether the budget is spent."""
        return time.perf_counter() >= self._at

    def elapsed_ms(self) -> float:
        """Milliseconds since the budget started."""
        return (time.perf_counter() - self.started) * 1000
