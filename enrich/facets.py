"""From raw entity mentions to the keyword facets analysts filter on (pure)."""

import re
from collections.abc import Iterable

import pycountry

from contracts.models import Entity

# spaCy labels that feed each facet.
PERSON_LABELS = frozenset({"PERSON"})
ORGANIZATION_LABELS = frozenset({"ORG"})
LOCATION_LABELS = frozenset({"GPE", "LOC", "FAC"})
WEAPON_LABELS = frozenset({"WEAPON"})
COUNTRY_LABELS = frozenset({"GPE"})

_POSSESSIVE = re.compile(r"['’]s?$")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)


def canonical_name(text: str) -> str:
    """A mention without possessive, leading 'the' and irregular spacing."""
    name = _SPACES.sub(" ", text).strip()
    name = _POSSESSIVE.sub("", name).strip()
    return _LEADING_ARTICLE.sub("", name)


def unique(names: Iterable[str]) -> list[str]:
    """Names in first-seen order, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    for name in names:
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def merge_person_mentions(names: list[str]) -> list[str]:
    """Joins a surname-only mention ("Guaido") to the full name it abbreviates ("Juan Guaido")."""
    full_names = [name for name in names if " " in name]
    merged = []
    for name in names:
        if " " not in name:
            fuller = [full for full in full_names if full.split()[-1].casefold() == name.casefold()]
            if len(fuller) == 1:
                name = fuller[0]
        merged.append(name)
    return unique(merged)


# Names used in news that ISO 3166 spells otherwise ("Russian Federation", "Korea, Republic of").
_COMMON_COUNTRY_NAMES = {
    "russia": "RU", "britain": "GB", "great britain": "GB", "uk": "GB", "u.k.": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "us": "US", "u.s.": "US", "usa": "US",
    "u.s.a.": "US", "america": "US", "united states": "US", "united states of america": "US",
    "south korea": "KR", "north korea": "KP", "iran": "IR", "syria": "SY", "vietnam": "VN",
    "taiwan": "TW", "bolivia": "BO", "tanzania": "TZ", "laos": "LA", "moldova": "MD",
    "czech republic": "CZ", "turkey": "TR", "ivory coast": "CI", "palestine": "PS",
    "kosovo": "XK", "venezuela": "VE", "the netherlands": "NL", "holland": "NL",
    "dprk": "KP", "rok": "KR", "prc": "CN", "uae": "AE", "emirates": "AE",
    "congo": "CD", "drc": "CD", "burma": "MM", "macedonia": "MK", "vatican": "VA",
}  # fmt: skip


def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name, or None."""
    common = _COMMON_COUNTRY_NAMES.get(name.casefold())
    if common is not None:
        return common
    try:
        country = pycountry.countries.lookup(name)
    except LookupError:
        return None
    return str(country.alpha_2)


def facet(entities: Iterable[Entity], labels: frozenset[str]) -> list[str]:
    """The canonical names of the entities with one of `labels`, each once."""
    return unique(canonical_name(entity.text) for entity in entities if entity.label in labels)


def countries(entities: Iterable[Entity]) -> list[str]:
    """ISO codes of the countries named by the entities."""
    codes = (country_code(canonical_name(e.text)) for e in entities if e.label in COUNTRY_LABELS)
    return unique(code for code in codes if code)
