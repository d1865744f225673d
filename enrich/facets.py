"""From entity mentions to the keyword facets analysts filter on (pure).

Each facet holds canonical names, each once: mentions of one entity in an article are merged
("Guaido" joins "Juan Guaido"; "U.S.", "US" and "the United States" are "United States"), and
countries named by place or people ("Venezuela", "Venezuelan") become ISO 3166-1 alpha-2 codes."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

from enrich.gazetteer import COUNTRIES_PATH, CountryData, load

# spaCy labels that feed each facet.
PERSON_LABELS = frozenset({"PERSON"})
ORGANIZATION_LABELS = frozenset({"ORG"})
LOCATION_LABELS = frozenset({"GPE", "LOC", "FAC"})
WEAPON_LABELS = frozenset({"WEAPON"})
COUNTRY_LABELS = frozenset({"GPE", "LOC"})
PEOPLE_LABELS = frozenset({"NORP"})

_POSSESSIVE = re.compile(r"['’]s?$")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity mention: its text, label, and the canonical name rules gave it ("" if none)."""

    text: str
    label: str
    canonical: str = ""


@dataclass(frozen=True, slots=True)
class Facets:
    """The facets of one article."""

    persons: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


NO_FACETS = Facets()


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


_GENERATIONS = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def merge_person_mentions(names: list[str]) -> list[str]:
    """Joins a surname-only mention ("Guaido") to the full name it abbreviates ("Juan Guaido")."""
    # Full names by surname, found once: an article naming thousands of people stays linear.
    by_surname: dict[str, dict[str, str]] = {}
    for full in names:
        words = full.split()
        # "Ferdinand Marcos Jr." is Marcos: a generation's mark is no surname.
        while len(words) > 2 and words[-1].casefold() in _GENERATIONS:
            words.pop()
        if len(words) > 1:
            by_surname.setdefault(words[-1].casefold(), {})[full.casefold()] = full
    merged = []
    for name in names:
        if " " not in name:
            fuller = by_surname.get(name.casefold(), {})
            if len(fuller) == 1:
                name = next(iter(fuller.values()))
        merged.append(name)
    return unique(merged)


def _loose(name: str) -> str:
    return _HYPHENS_AND_SPACES.sub(" ", name).strip()


_HYPHENS_AND_SPACES = re.compile(r"[\s\-\u2010\u2011\u2013]+")


class CountryNames:
    """ISO 3166-1 alpha-2 codes of country names and demonyms, and the name news uses for each."""

    def __init__(self, data: CountryData) -> None:
        self._names = {code.upper(): name for code, name in data.names.items()}
        # The name a country is indexed under is one of its names ("Democratic Republic of
        # the Congo" is no ISO name).
        self._by_name = {name.casefold(): code for code, name in self._names.items()}
        self._aliases = {name.casefold(): code.upper() for name, code in data.aliases.items()}
        self._demonyms = {name.casefold(): code.upper() for name, code in data.demonyms.items()}
        self._capitals = {name.casefold(): code.upper() for name, code in data.capitals.items()}
        # Hyphens and spaces are interchangeable in names as news writes them ("Timor Leste",
        # "Guinea Bissau"): ISO's and ours, looked up with either.
        self._loosely = {
            _loose(name.casefold()): str(country.alpha_2)
            for country in pycountry.countries
            for name in (country.name, getattr(country, "official_name", None),
                         getattr(country, "common_name", None))
            if name
        }  # fmt: skip
        self._loosely.update({_loose(name): code for name, code in self._by_name.items()})
        self._loosely.update({_loose(name): code for name, code in self._aliases.items()})

    @classmethod
    def load(cls, path: Path | str = COUNTRIES_PATH) -> "CountryNames":
        """The names in a countries YAML file (by default the packaged one)."""
        return cls(load(path, CountryData))

    def code(self, name: str) -> str | None:
        """The code of a country's name ("Russia", "U.S.", "Venezuela"), or None."""
        # News sets apostrophes as typographic ones (U+2019): the same name as with "'".
        key = canonical_name(name).casefold().replace("’", "'")
        if not key:
            return None
        alias = self._aliases.get(key) or self._by_name.get(key)
        if alias is not None:
            return alias
        try:
            country = pycountry.countries.lookup(key)
        except LookupError:
            return self._loosely.get(_loose(key))
        return str(country.alpha_2)

    def code_of_people(self, demonym: str) -> str | None:
        """The code of the country a demonym or adjective ("Russian", "Venezuelans") refers to."""
        return self._demonyms.get(canonical_name(demonym).casefold())

    def code_of_capital(self, name: str) -> str | None:
        """The code of the country whose capital this is ("Warsaw": PL), or None."""
        return self._capitals.get(canonical_name(name).casefold())

    def name(self, code: str) -> str:
        """The name a country is indexed under: "Russia" rather than "Russian Federation"."""
        if code in self._names:
            return self._names[code]
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            return code
        return str(getattr(country, "common_name", None) or country.name)


@cache
def packaged_country_names() -> CountryNames:
    """The country names shipped with wirewatch, read once."""
    return CountryNames.load()


def country_code(name: str) -> str | None:
    """The code of a country's name, from the packaged country names; None if not a country."""
    return packaged_country_names().code(name)


# The heads of a state's bodies named by the state they are of: "Government of Zimbabwe",
# "Armed Forces of Paraguay", "Defense Ministry of the Russian Federation". enrich.name_rules
# keeps the country in the body's name; the facets keep it a place too.
STATE_HEADS = frozenset(
    ["government", "ministry", "department", "forces", "army", "navy", "embassy", "staff",
     "presidency", "assembly", "parliament"]
)  # fmt: skip
_STATE_BODY = re.compile(
    r"^(?:[\w'’.-]+ )*?(?:" + "|".join(sorted(head.title() for head in STATE_HEADS)) + ") of "
)
# Bodies of no state, whatever they are of ("Department of Chemistry of the University of Chile").
_NO_STATE_BODIES = re.compile(r"\b(?:University|Institute|College|School|Bank|Club|Company)\b")


def _state_of(name: str, countries: CountryNames) -> str | None:
    """The code of the country a state's body is named by, the longest name that ends it:
    "Department of Defence of Australia" is Australia's, "Government of the Republic of Korea"
    Korea's."""
    body = _STATE_BODY.match(name)
    if body is None or _NO_STATE_BODIES.search(name):
        return None
    rest = name[body.end() :]
    while True:
        code = countries.code(rest.removeprefix("the "))
        if code is not None or " of " not in rest:
            return code
        rest = rest.split(" of ", 1)[1]


# A system's number after its name: "Arrow 3", "Hsiung Feng III", "Hyunmoo-2".
_NUMBERED = re.compile(r"^(?P<family>.+?)[\s-]+(?:\d+|[IVX]{1,4})$")


def without_bare_families(weapons: list[str]) -> list[str]:
    """Weapons without a bare family name the article also names by number: "Arrow" goes where
    "Arrow 3" is named (the same system, written short), and stays where it is alone."""
    families = set()
    for weapon in weapons:
        numbered = _NUMBERED.match(weapon)
        if numbered is not None:
            families.add(numbered["family"].casefold())
    return [weapon for weapon in weapons if weapon.casefold() not in families]


def facets_of(mentions: Iterable[Mention], countries: CountryNames) -> Facets:
    """The facets of an article's mentions, each a list of canonical names in first-seen order."""
    persons, organizations, locations, weapons = [], [], [], []
    codes: list[str | None] = []
    # A name's country is looked up once an article (a lookup reads all of pycountry's names).
    code_of: dict[str, str | None] = {}
    for mention in mentions:
        name = mention.canonical or canonical_name(mention.text)
        if mention.label in PERSON_LABELS:
            persons.append(name)
        elif mention.label in ORGANIZATION_LABELS:
            organizations.append(name)
            # "Armed Forces of Paraguay" names Paraguay too, as "Paraguay's armed forces" would.
            if (code := _state_of(name, countries)) is not None:
                locations.append(countries.name(code))
                codes.append(code)
        elif mention.label in WEAPON_LABELS:
            weapons.append(name)
        elif mention.label in PEOPLE_LABELS:
            codes.append(countries.code_of_people(name))
        if mention.label in LOCATION_LABELS:
            code = None
            if mention.label in COUNTRY_LABELS:
                if name not in code_of:
                    code_of[name] = countries.code(name)
                code = code_of[name]
            locations.append(countries.name(code) if code else name)
            codes.append(code)
    return Facets(
        persons=tuple(merge_person_mentions(unique(persons))),
        organizations=tuple(unique(organizations)),
        locations=tuple(unique(locations)),
        weapons=tuple(without_bare_families(unique(weapons))),
        countries=tuple(unique(code for code in codes if code)),
    )
