"""The fields a query can name, read from an index mapping (pure)."""

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from matcher.errors import UnsupportedMappingError
from matcher.wildcard import Wildcard


class Kind(Enum):
    """How Elasticsearch indexes a field, as far as matching is concerned."""

    TEXT = "text"
    KEYWORD = "keyword"
    DATE = "date"
    INTEGER = "integer"
    LONG = "long"
    FLOAT = "float"
    DOUBLE = "double"


_NUMERIC_KINDS = {Kind.INTEGER, Kind.LONG, Kind.FLOAT, Kind.DOUBLE}
_MAPPED_KINDS = {
    "text": Kind.TEXT,
    "keyword": Kind.KEYWORD,
    "date": Kind.DATE,
    "integer": Kind.INTEGER,
    "short": Kind.INTEGER,
    "byte": Kind.INTEGER,
    "long": Kind.LONG,
    "float": Kind.FLOAT,
    "double": Kind.DOUBLE,
}


@dataclass(frozen=True)
class Field:
    """One searchable field: its dotted name, where its values are in `_source`, and its kind."""

    name: str
    kind: Kind
    path: tuple[str, ...]
    ignore_above: int | None = None

    @property
    def numeric(self) -> bool:
        """Whether the field holds numbers."""
        return self.kind in _NUMERIC_KINDS


@dataclass(frozen=True)
class Catalog:
    """The fields of a mapping by dotted name, and the object fields that group them."""

    fields: Mapping[str, Field]
    objects: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "Catalog":
        """The catalog of an index mapping (the body Elasticsearch is given: `properties`...).

        Raises UnsupportedMappingError for a type or analyzer the matcher cannot emulate."""
        fields: dict[str, Field] = {}
        objects: set[str] = set()

        def walk(properties: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
            for name, spec in properties.items():
                path = (*prefix, name)
                dotted = ".".join(path)
                if "properties" in spec and spec.get("type", "object") == "object":
                    objects.add(dotted)
                    walk(spec["properties"], path)
                    continue
                fields[dotted] = _field(dotted, spec, path)
                for sub, sub_spec in spec.get("fields", {}).items():
                    fields[f"{dotted}.{sub}"] = _field(f"{dotted}.{sub}", sub_spec, path)

        walk(mapping.get("properties", {}), ())
        return cls(fields=fields, objects=frozenset(objects))

    def resolve(self, pattern: str) -> list[Field]:
        """The fields a field name or `*` pattern names; none for a name not in the mapping."""
        if "*" not in pattern:
            known = self.fields.get(pattern)
            return [known] if known is not None else []
        # Only `*` is a wildcard in a field name; matched without backtracking.
        wildcard = Wildcard.of(pattern, operators="*")
        return [known for name, known in self.fields.items() if wildcard.matches(name)]

    def under(self, name: str) -> list[Field]:
        """The fields inside the object field `name` (none if it is not an object)."""
        if name not in self.objects:
            return []
        prefix = name + "."
        return [known for dotted, known in self.fields.items() if dotted.startswith(prefix)]


def _field(name: str, spec: Mapping[str, Any], path: tuple[str, ...]) -> Field:
    kind = _MAPPED_KINDS.get(spec.get("type", "object"))
    if kind is None:
        raise UnsupportedMappingError(f"field {name!r} has type {spec.get('type')!r}")
    if kind is Kind.TEXT and spec.get("analyzer", "standard") != "standard":
        raise UnsupportedMappingError(
            f"text field {name!r} uses analyzer {spec['analyzer']!r}; only 'standard' is emulated"
        )
    if kind is Kind.KEYWORD and "normalizer" in spec:
        raise UnsupportedMappingError(f"keyword field {name!r} has a normalizer")
    return Field(name=name, kind=kind, path=path, ignore_above=spec.get("ignore_above"))


def float32(value: float) -> float:
    """`value` rounded to the nearest 32-bit float, as a `float` field stores it."""
    if math.isnan(value) or math.isinf(value):
        return value
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)
