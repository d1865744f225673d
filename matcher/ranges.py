"""Range nodes over numbers, terms and dates; date bounds with `now` move with the clock (pure)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from matcher.dates import now_offset, parse_bound
from matcher.fields import Field
from matcher.nodes import CHECK_EVERY, MatchNone, Predicated, Query
from matcher.values import FieldValues

Clock = Callable[[], float]


@dataclass(frozen=True)
class ValueRange(Predicated):
    """A range over a field's numbers, or over its indexed terms in code point order (text
    and keyword fields)."""

    field: Field
    lower: Any
    upper: Any
    include_lower: bool
    include_upper: bool
    numeric: bool

    def predicate(self) -> Callable[[FieldValues], bool]:
        known = self.field
        if self.numeric:
            return _within_any(self, lambda document: document.numbers(known))
        return _within_any(self, lambda document: document.terms(known))


def _within_any(
    bounds: ValueRange, values_of: Callable[[FieldValues], Iterable[Any]]
) -> Callable[[FieldValues], bool]:
    """Whether one of a document's values lies within `bounds` (None: unbounded)."""
    lower, upper = bounds.lower, bounds.upper
    include_lower, include_upper = bounds.include_lower, bounds.include_upper

    def matches(document: FieldValues) -> bool:
        for count, value in enumerate(values_of(document)):
            if not count & CHECK_EVERY:
                document.check_deadline()
            if lower is not None and (value < lower or (value == lower and not include_lower)):
                continue
            if upper is None or not (value > upper or (value == upper and not include_upper)):
                return True
        return False

    return matches


class DateRange(Query):
    """A range of dates; bounds with `now` are computed at match time from the clock."""

    def __init__(
        self,
        field: Field,
        lower: str | None,
        upper: str | None,
        include_lower: bool,
        include_upper: bool,
        clock: Clock,
    ) -> None:
        self.field = field
        self.lower = lower
        self.upper = upper
        self.include_lower = include_lower
        self.include_upper = include_upper
        self.clock = clock
        self.dynamic = any(
            bound is not None and bound.startswith("now") for bound in (lower, upper)
        )
        self.offsets: tuple[int | None, int | None] = (None, None)
        self.key = ("date", field.name, lower, upper, include_lower, include_upper)
        self.fixed = None if self.dynamic else self.bounds()
        # `now-7d` and the like are now plus a constant: no parsing at match time.
        if self.dynamic:
            self.offsets = (
                now_offset(lower) if lower is not None else 0,
                now_offset(upper) if upper is not None else 0,
            )

    def bounds(self, now: int | None = None) -> tuple[int | None, int | None] | None:
        """The bounds in epoch milliseconds (None: open), or None if one does not parse;
        `now` in epoch milliseconds defaults to the clock's."""
        if now is None:
            now = int(self.clock() * 1000)
        lower_offset, upper_offset = self.offsets
        lower = upper = None
        if lower_offset is not None and upper_offset is not None:
            if self.lower is not None:
                lower = now + lower_offset + (0 if self.include_lower else 1)
            if self.upper is not None:
                upper = now + upper_offset - (0 if self.include_upper else 1)
            return lower, upper
        if self.lower is not None:
            lower = parse_bound(self.lower, round_up=not self.include_lower, now_millis=now)
            if lower is None:
                return None
            if not self.include_lower:
                lower += 1
        if self.upper is not None:
            upper = parse_bound(self.upper, round_up=self.include_upper, now_millis=now)
            if upper is None:
                return None
            if not self.include_upper:
                upper -= 1
        return lower, upper

    def matches(self, document: FieldValues) -> bool:
        if not self.dynamic:
            return self.within(self.fixed, document)
        # Like Elasticsearch within one request, `now` is read once per document, and rules
        # that share a range (`published_at:>now-1d`) share its answer.
        found = document.memo.get(self.key)
        if found is None:
            found = self.within(self.bounds(document.now_millis(self.clock)), document)
            document.memo[self.key] = found
        return found

    def within(self, bounds: tuple[int | None, int | None] | None, document: FieldValues) -> bool:
        """Whether one of the document's dates lies within `bounds`."""
        if bounds is None:
            return False
        lower, upper = bounds
        return any(
            (lower is None or value >= lower) and (upper is None or value <= upper)
            for value in document.dates(self.field)
        )


def date_range(
    field: Field,
    lower: str | None,
    upper: str | None,
    include_lower: bool,
    include_upper: bool,
    clock: Clock,
) -> Query:
    """A range of dates, or MatchNone for fixed bounds that are no date."""
    # A fixed bound that is no date matches nothing; said at compile time, presearch can skip
    # the rule (`"some words"` over every field is otherwise checked for every document).
    query = DateRange(field, lower, upper, include_lower, include_upper, clock)
    return MatchNone() if not query.dynamic and query.fixed is None else query
