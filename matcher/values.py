"""A document's field values as the index holds them, computed once on demand (pure)."""

import itertools
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from matcher.analysis import analyze, token_positions
from matcher.dates import parse_date
from matcher.errors import OverBudgetError
from matcher.fields import Catalog, Field, Kind, float32


class FieldValues:
    """A `_source` as the index sees it, each field's indexed form computed once on demand."""

    def __init__(self, source: Mapping[str, Any], catalog: Catalog) -> None:
        self.source = source
        self.catalog = catalog
        self._raw: dict[str, list[Any]] = {}
        self._strings: dict[str, list[str]] = {}
        self._objects: dict[tuple[str, ...], list[Any]] = {}
        self._terms: dict[str, frozenset[str]] = {}
        self._tokens: dict[str, list[list[str]]] = {}
        self._positions: dict[str, dict[str, list[int]]] = {}
        self._numbers: dict[str, list[float | int]] = {}
        self._dates: dict[str, list[int]] = {}
        self._keys: frozenset[tuple[str, str]] | None = None
        self._all_terms: frozenset[str] | None = None
        self._now_millis: int | None = None
        self.memo: dict[tuple[Any, ...], bool] = {}
        """Answers of sub-queries that many rules share, for this document."""
        self.deadline = math.inf
        """The `time.perf_counter()` after which evaluation stops: the loops over a document's
        values (terms a wildcard is tried on, phrase positions) call `check_deadline`."""

    def check_deadline(self) -> None:
        """Raises OverBudgetError if the document's deadline has passed."""
        if time.perf_counter() > self.deadline:
            raise OverBudgetError

    def now_millis(self, clock: Callable[[], float]) -> int:
        """`now` for date math on this document: read from `clock` once, then kept."""
        if self._now_millis is None:
            self._now_millis = int(clock() * 1000)
        return self._now_millis

    def raw(self, known: Field) -> list[Any]:
        """The field's non-null values in `_source`, arrays and objects flattened."""
        found = self._raw.get(known.name)
        if found is None:
            path = known.path
            if len(path) == 1:
                # Most fields are top-level: no list of parents to build.
                value = self.source.get(path[0])
                if type(value) is list:
                    found = []
                    _flatten(value, found)
                else:
                    found = [] if value is None else [value]
            else:
                found = _children(self.objects(path[:-1]), path[-1])
            self._raw[known.name] = found
        return found

    def objects(self, path: tuple[str, ...]) -> list[Any]:
        """The values at `path` (the source itself for the empty path), arrays flattened; kept,
        as the fields of one object (entities.text, entities.label...) share their parents."""
        if not path:
            return [self.source]
        found = self._objects.get(path)
        if found is None:
            found = _children(self.objects(path[:-1]), path[-1])
            self._objects[path] = found
        return found

    def strings(self, known: Field) -> list[str]:
        """The values a keyword field indexes: as strings, none longer than ignore_above."""
        found = self._strings.get(known.name)
        if found is None:
            found = [value if type(value) is str else _string(value) for value in self.raw(known)]
            limit = known.ignore_above
            if limit is not None:
                found = [text for text in found if len(text) <= limit]
            self._strings[known.name] = found
        return found

    def tokens(self, known: Field) -> list[list[str]]:
        """The tokens of each value of a text field, analyzed once."""
        found = self._tokens.get(known.name)
        if found is None:
            found = [analyze(_string(value)) for value in self.raw(known)]
            self._tokens[known.name] = found
        return found

    def terms(self, known: Field) -> frozenset[str]:
        """The indexed terms of a text or keyword field."""
        found = self._terms.get(known.name)
        if found is None:
            if known.kind is Kind.TEXT:
                found = frozenset(itertools.chain.from_iterable(self.tokens(known)))
            else:
                found = frozenset(self.strings(known))
            self._terms[known.name] = found
        return found

    def terms_of(self, name: str) -> frozenset[str]:
        """The indexed terms of the text or keyword field with this name."""
        found = self._terms.get(name)
        if found is None:
            found = self.terms(self.catalog.fields[name])
        return found

    def all_terms(self) -> frozenset[str]:
        """Every indexed term of the document's text and keyword fields, whatever the field."""
        if self._all_terms is None:
            self._all_terms = frozenset().union(
                *(
                    self.terms(known)
                    for known in self.catalog.fields.values()
                    if known.kind in (Kind.TEXT, Kind.KEYWORD)
                )
            )
        return self._all_terms

    def keys(self) -> frozenset[tuple[str, str]]:
        """Every (field name, indexed term) of the document's text and keyword fields."""
        if self._keys is None:
            self._keys = frozenset(
                (name, term)
                for name, known in self.catalog.fields.items()
                if known.kind in (Kind.TEXT, Kind.KEYWORD)
                for term in self.terms(known)
            )
        return self._keys

    def positions(self, known: Field) -> dict[str, list[int]]:
        """Token -> positions in a text field, values apart by the position increment gap."""
        found = self._positions.get(known.name)
        if found is None:
            found = token_positions(self.tokens(known))
            self._positions[known.name] = found
        return found

    def numbers(self, known: Field) -> list[float | int]:
        """The values of a numeric field as the index holds them (float fields in 32 bits)."""
        found = self._numbers.get(known.name)
        if found is None:
            found = []
            for value in self.raw(known):
                number = _number(value)
                if number is None:
                    continue
                if known.kind is Kind.FLOAT:
                    number = float32(float(number))
                elif known.kind is Kind.DOUBLE:
                    number = float(number)
                found.append(number)
            self._numbers[known.name] = found
        return found

    def dates(self, known: Field) -> list[int]:
        """The values of a date field in epoch milliseconds."""
        found = self._dates.get(known.name)
        if found is None:
            found = []
            for value in self.raw(known):
                if isinstance(value, bool):
                    continue
                if isinstance(value, int):
                    found.append(value)
                    continue
                millis = parse_date(str(value), round_up=False)
                if millis is not None:
                    found.append(millis)
            self._dates[known.name] = found
        return found

    def exists(self, known: Field) -> bool:
        """Whether the field has an indexed value (an empty string counts, as in Elasticsearch)."""
        if known.kind is Kind.KEYWORD:
            return bool(self.strings(known))
        if known.numeric:
            return bool(self.numbers(known))
        if known.kind is Kind.DATE:
            return bool(self.dates(known))
        return bool(self.raw(known))


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value))
    except ValueError:
        return None


def _children(nodes: list[Any], step: str) -> list[Any]:
    """The non-null values under key `step` of the objects among `nodes`, arrays flattened."""
    found: list[Any] = []
    for node in nodes:
        # type() before isinstance(): the abstract Mapping check is slow, and `_source`
        # objects are plain dicts.
        if type(node) is dict or isinstance(node, Mapping):
            value = node.get(step)
            if type(value) is list:
                _flatten(value, found)
            elif value is not None:
                found.append(value)
    return found


def _flatten(values: list[Any], into: list[Any]) -> None:
    for value in values:
        if type(value) is list:
            _flatten(value, into)
        elif value is not None:
            into.append(value)
