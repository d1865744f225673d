"""Wildcard patterns (`*`, `?`) matched in time linear in the term, without backtracking (pure).

A regular expression built from `*?*?*?*Q` backtracks: on a URL of 100 characters six pairs
took over a minute, inside one C call that holds the interpreter lock. Here a pattern is the
literal segments between its stars, and a term matches when the first segment starts it, the
last ends it and the others occur in order in between. Each segment has a fixed length, so
placing each at its leftmost occurrence is optimal and never revisited: segments without `?`
are found with `str.find` (linear), the others by a bit-parallel simulation of the segment's
automaton (Shift-And: one pass over the term, the states of all pattern positions updated
together in one integer), O(len(term) x len(segment) / 64). Lucene matches wildcards with an
automaton too; its `*` and `?` stand for any run of code points and for one code point, as
here on Python strings.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

ANY_STRING = "*"
ANY_CHAR = "?"


@dataclass(frozen=True)
class _Segment:
    """Literal characters and `?`s between two stars: a fixed-length piece of the pattern."""

    chars: tuple[str | None, ...]
    """Each position's character; None for `?`."""
    literal: str | None = field(init=False)
    """The whole segment when it has no `?` (then found with str.find)."""
    masks: dict[str, int] = field(init=False)
    """Per character, the bits of the positions it may stand at (`?` positions excluded)."""
    anywhere: int = field(init=False)
    """The bits of the `?` positions: any character may stand there."""

    def __post_init__(self) -> None:
        plain = all(char is not None for char in self.chars)
        object.__setattr__(
            self, "literal", "".join(char or "" for char in self.chars) if plain else None
        )
        masks: dict[str, int] = {}
        anywhere = 0
        for position, char in enumerate(self.chars):
            if char is None:
                anywhere |= 1 << position
            else:
                masks[char] = masks.get(char, 0) | 1 << position
        object.__setattr__(self, "masks", masks)
        object.__setattr__(self, "anywhere", anywhere)

    def at(self, term: str, start: int) -> bool:
        """Whether the segment matches `term` at `start` (the term is long enough)."""
        literal = self.literal
        if literal is not None:
            return term.startswith(literal, start)
        for offset, char in enumerate(self.chars):
            if char is not None and term[start + offset] != char:
                return False
        return True

    def find(self, term: str, start: int, end: int) -> int:
        """Where the segment first matches wholly inside `term[start:end]`, or -1."""
        size = len(self.chars)
        if end - start < size:
            return -1
        if self.literal is not None:
            return term.find(self.literal, start, end)
        # Shift-And: bit i of `state` says the segment's first i+1 positions match the
        # characters just read. One shift, one or and one and per character of the term.
        masks, anywhere = self.masks, self.anywhere
        done = 1 << (size - 1)
        state = 0
        for index in range(start, end):
            state = ((state << 1) | 1) & (masks.get(term[index], 0) | anywhere)
            if state & done:
                return index - size + 1
        return -1


@dataclass(frozen=True)
class Wildcard:
    """A wildcard pattern compiled for matching: `matches(term)` runs in linear time."""

    segments: tuple[_Segment, ...]
    """The pieces between the stars; one piece means the pattern has no star."""

    @classmethod
    def parse(cls, chars: Iterable[tuple[str, bool]]) -> "Wildcard":
        """The pattern of characters each marked as an operator (an unescaped `*` or `?`)
        or a literal."""
        segments: list[list[str | None]] = [[]]
        for char, operator in chars:
            if operator and char == ANY_STRING:
                segments.append([])
            elif operator and char == ANY_CHAR:
                segments[-1].append(None)
            else:
                segments[-1].append(char)
        # Consecutive stars are one star: empty segments between them add nothing.
        kept = [segments[0], *(seg for seg in segments[1:-1] if seg)]
        if len(segments) > 1:
            kept.append(segments[-1])
        return cls(tuple(_Segment(tuple(segment)) for segment in kept))

    @classmethod
    def of(cls, pattern: str, operators: str = ANY_STRING + ANY_CHAR) -> "Wildcard":
        """The pattern written as text, each character in `operators` a wildcard."""
        return cls.parse((char, char in operators) for char in pattern)

    @property
    def key(self) -> tuple[tuple[str | None, ...], ...]:
        """A value equal for equal patterns (for sharing one answer between rules)."""
        return tuple(segment.chars for segment in self.segments)

    @property
    def min_length(self) -> int:
        """The length of the shortest term the pattern matches."""
        return sum(len(segment.chars) for segment in self.segments)

    def matches(self, term: str) -> bool:
        """Whether the whole term matches the pattern."""
        segments = self.segments
        first = segments[0]
        if len(segments) == 1:
            return len(term) == len(first.chars) and first.at(term, 0)
        last = segments[-1]
        start, end = len(first.chars), len(term) - len(last.chars)
        if end < start or not first.at(term, 0) or not last.at(term, end):
            return False
        for segment in segments[1:-1]:
            found = segment.find(term, start, end)
            if found < 0:
                return False
            start = found + len(segment.chars)
        return True
