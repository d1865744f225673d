"""spaCy components that find weapons and defence organisations with curated rules.

The small English model misses most weapon designations and reads arms makers as people. Two
components correct it, cooperating with the statistical recogniser rather than overwriting it:

- `wirewatch_entity_rules` runs before `ner`. Its WEAPON and ORG spans become preset entities,
  which `ner` respects and predicts around. It needs the tagger (for its surname check) and the
  tokens' spacing, nothing after it.
- `wirewatch_entity_cleanup` runs after `ner`: a one-word ORG or GPE mention that is the surname
  of a PERSON named in the same text ("Maduro" after "Nicolas Maduro") becomes a PERSON.

Each rule span carries its canonical name in `Span.id_` ("MiG-29s" -> "MiG-29"), which the facets
read back through `canonical_of` (model entities get their text, made canonical).
"""

import re
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from itertools import takewhile
from pathlib import Path
from typing import Protocol

import numpy
import pycountry
import re2
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from enrich.doc_arrays import indices_of, text_of
from enrich.facets import CountryNames, canonical_name
from enrich.gazetteer import (
    COUNTRIES_PATH,
    ORGANIZATIONS_PATH,
    WEAPONS_PATH,
    CountryData,
    Family,
    GazetteerError,
    Named,
    OrganizationData,
    WeaponData,
    load,
)
from enrich.name_rules import (
    VESSEL,
    ArtefactRules,
    NameRules,
    extend_places_to_their_kind,
    is_general_headquarters,
    is_state_body,
    relabel_places_named_so,
    split_coordinated_places,
    split_coordinated_services,
)

WEAPON = "WEAPON"
ORG = "ORG"
PERSON = "PERSON"

RULES_COMPONENT = "wirewatch_entity_rules"
CLEANUP_COMPONENT = "wirewatch_entity_cleanup"
# Entity texts whose "is it a country?" answer is kept (about 200 bytes each).
COUNTRY_CACHE_SIZE = 4096

_DASHES = "-‐‑‒–—"
_DASH = re.compile(f"[{_DASHES}]")
# One token such as "Su-35S", "MiG-29s", "F16", "Il-76MD-90A", "M777", "M51.3", "Shahed-136".
_DESIGNATION = re.compile(
    rf"^(?P<prefix>[A-Za-z]{{1,12}})(?P<dash>[{_DASHES}]?)(?P<number>\d{{1,5}})"
    rf"(?P<suffix>(?:[A-Za-z0-9+]|[{_DASHES}](?=[A-Za-z0-9])){{0,12}}(?:\.\d{{1,2}})?)"
    # A closing quote or inch mark the tokenizer left on the word ("the new F-35″ fighters").
    r"[″”’]?$"
)
# Words after a weapon's name that go on naming it: "Tomahawk Block V", "Typhoon Tranche 3".
_NAME_GOES_ON = frozenset(["block", "tranche", "mark", "mk", "class", "series", "variant"])
# A variant letter after a name ("Gripen E", "Rafale M") is no other name's word.
_VARIANT_LENGTH = 1
# A variant suffix of letters then a number: "A3GN" of "M-109A3GN", "A1" of "K9A1".
_NUMBERED_VARIANT = re.compile(r"^[A-Z]{1,2}\d[A-Z0-9]*$")
# Three small letters in a row after a designation's number make a word: "L3Harris" is a firm;
# variant suffixes are capitals, a plural "s" or one small letter ("Mi-8AMTSh").
_WORD_IN_SUFFIX = re.compile(r"[a-z]{3}")
# A word and a Roman number written in the Unicode number forms: "Cheongung-Ⅱ".
_UNICODE_ROMAN_NUMBERED = re.compile(rf"^[A-Za-z]{{2,}}[{_DASHES}]?[\u2160-\u2188]+$")
# Design bureaus whose names some outlets write for their designations' prefixes.
_BUREAU_PREFIXES = {
    "tupolev": "Tu", "sukhoi": "Su", "ilyushin": "Il", "antonov": "An", "mikoyan": "MiG",
    "yakovlev": "Yak", "kamov": "Ka", "beriev": "Be",
}  # fmt: skip
# GRAU-style indices ("9M723", "2S19") are weapons only with a cue next to them.
_INDEX = re.compile(r"^\d[A-Z]{1,2}\d{1,4}[A-Z0-9]*$")
_INDEX_BASE = re.compile(r"^\d[A-Z]{1,2}\d{1,4}")
# The number after a spaced prefix: "Leopard 2A7", "Type 055", "Mirage 2000", "Rafale F4".
_SPACED_NUMBER = re.compile(r"^(?:[A-Za-z]{0,3}\d[\w.+]*(?:/\d+)?|[A-Z]{1,4}\d?)$")
# An attached variant after a hyphen or slash ("Iskander-M", "Buk-M1-2", "F/A-18E/F").
_VARIANT = re.compile(r"^[A-Z0-9][A-Za-z0-9]{0,4}$")
# An attached letter that the tokenizer split off ("T-90" "M").
_TAIL = re.compile(r"^[A-Z]{1,3}\d?$")
_LEADING_DIGITS = re.compile(r"^\d+")
# How far after and before a spaced designation a word of equipment overrules the family's
# number list ("Type 41 - Yuan-class submarines", "a submarine, Type 209/1400").
_UNLISTED_NUMBER_GAP = 6
_UNLISTED_NUMBER_BEFORE = 3
_UNLISTED_NUMBER_DIGITS = 2
_CLASS = re.compile(r"[\s-]class$", re.IGNORECASE)
# Variant letters after a name or a number: "E" of "Gripen E", "A5" of "Leopard 1A5".
_VARIANT_LETTERS = re.compile(r"^[A-Z]{1,2}\d?$")
# A variant's word after a name: "SLM", "III", "1A5", "Block 5"'s "5" (not a nickname: "Triumf").
_VARIANT_WORD = re.compile(r"^(?:[A-Z0-9][A-Z0-9+-]{0,5}|[IVX]{1,4})$")
# A system's number written apart after its name: "Sky Bow III", "Hyunmoo 4", "Arrow 3" (a
# lone "I" is as likely the pronoun).
_SPACED_VARIANT = re.compile(r"^(?:[1-9]|II|III|IV|V|VI|VII|VIII|IX|X)$")
# A Roman number with a variant letter: "IIE" of "Hsiung Feng IIE".
_ROMAN_VARIANT = re.compile(r"^(II|III|IV|V|VI|VII|VIII|IX|X)[A-HJ-UWYZ]$")
# A digit with variant letters: "2B" of "TOW 2B", "2A7" of "Leopard 2A7".
_DIGIT_VARIANT = re.compile(r"^([1-9])[A-Z]{1,2}\d?$")
# How many modifiers may stand between a name and its class noun ("Agni-II nuclear-capable
# ballistic missile": hyphens and the words they join count one token each), and how many tokens
# the name may have ("Cheongung M-SAM II").
_MAX_MODIFIERS = 8
# A calibre written before a class noun: "Rak 120mm self-propelled mortars".
# Equipment words that also name people ("Fatah fighters"): no class noun of a name less its kind.
_PEOPLES_NOUNS = frozenset(["fighter", "fighters"])
_CALIBRE = re.compile(r"^(?:\d{2,3}(?:-?mm)?|mm)$")
_ROMAN_NUMBER_WORD = re.compile(r"^(?:ii|iii|iv|v|vi)$")
_MAX_NAME_TOKENS = 5
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7",
          "VIII": "8", "IX": "9", "X": "10"}  # fmt: skip

# Acronyms this long are written in title case by some outlets ("Himars"); shorter ones so
# written are mostly words or given names ("Tow", "Sam").
_TITLED_ACRONYM_LETTERS = 5

# How far a cue may be from a name that needs one, in tokens.
_EQUIPMENT_WINDOW = 6
_MILITARY_WINDOW = 3
_INDEX_WINDOW = 2
# The comma and article between a class noun and the name in apposition: "missile, the X".
_APPOSITION = 2
# Equipment words that make a story one of military equipment, where a designation with a name
# after it ("UH-12 Squirrel") needs no cue beside it.
_MILITARY_STORY_CUES = 2
# The most words of a name written after a designation ("AH-11B Wild Lynx"), and the most
# letters of the designation's prefix ("UH-12", not the hull number "FFG-11").
_MAX_NAME_WORDS = 2
_AIRCRAFT_PREFIX_LETTERS = 2
# Words that make a designation and the name after it a place's: "the K-7 Shipyard".
_PLACE_NAME_HEADS = frozenset(
    ["highway", "motorway", "expressway", "road", "route", "street", "avenue", "bridge", "tunnel",
     "tower", "towers", "building", "plant", "factory", "shipyard", "yard", "base", "airfield",
     "airport", "port", "station", "camp", "range", "zone", "sector", "line", "checkpoint",
     "summit", "act", "visa", "hall", "centre", "center", "complex", "site", "district"]
)  # fmt: skip
# How far a word that vetoes any designation ("Ford F-150"), or one that needs context ("Amazon
# said its MK30 drone"), may be, in tokens.
_NEIGHBOUR_WINDOW = 2
_MAKER_WINDOW = 3
# The heritage words that make a whole sentence one about museum pieces, replicas or toys.
_MUSEUM_WORDS = frozenset(["museum", "museums", "replica", "replicas", "toy", "toys"])
# Words that veto a designation in civil news ("the BA.2 variant") but, before a name and its
# class noun, say what the system is a form of ("a version of its Barracuda submarine").
_OF_A_SYSTEM = frozenset(["version", "variant"])
# Words of a weapon's own name after an ambiguous one that confirm it ("Patriot Air Defense").
_NAME_WORDS_AFTER = 2
# The most digits of a number written apart from a family of any number ("Shahed 136"): four
# would be a year ("Agni 2024").
_SPLIT_NUMBER_DIGITS = 3
# Variants attached one after the other: "Buk-M1-2" has two, "F/A-18E/F" one.
_MAX_VARIANTS = 4


class Context(Enum):
    """What a candidate needs around it to count."""

    NONE = "none"  # a curated, unambiguous name
    NEAR = "near"  # an ambiguous name or a family that is also something else: a cue nearby
    ADJACENT = "adjacent"  # an unknown designation: an equipment word right next to it
    CLASS_NOUN = "class noun"  # a listed name less its kind ("Rak" of "Rak mortar"): the kind


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span that may be tagged, with its label, canonical name and required context."""

    start: int
    end: int
    label: str
    canonical: str
    context: Context
    listed: str | None = None  # the gazetteer entry's name, for a gazetteer match


def canonical_of(span: Span) -> str:
    """The canonical name of an entity: the one a rule gave it, else its text made canonical."""
    return span.id_ or canonical_name(span.text)


def _forms(name: str) -> list[str]:
    # The plural is listed too: "AK-103s" is one token, not "AK-103" and "s"; a slash written
    # as a hyphen ("SAMP-T" of "SAMP/T", "AN-TPY-2") is the same name.
    written = [name, name.replace("/", "-")] if "/" in name else [name]
    return [form for w in written for form in ([w] if w.endswith("s") else [w, w + "s"])]


def _apostrophes(name: str) -> list[str]:
    # Outlets write the apostrophe straight or curly (U+2019) in "David's Sling"; the phrase
    # matchers compare token texts, so both are listed.
    return [name, name.replace("'", "\u2019")] if "'" in name else [name]


def _is_acronym(form: str) -> bool:
    return form.upper() == form and any(char.isalpha() for char in form)


def _is_long_acronym(form: str) -> bool:
    return (
        _is_acronym(form)
        and " " not in form
        and sum(char.isalpha() for char in form) >= _TITLED_ACRONYM_LETTERS
    )


def _is_one_word(form: str) -> bool:
    return form.replace("'", "").isalpha()


class EntityRules:
    """Tags curated weapons and organisations before the statistical recogniser runs."""

    def __init__(
        self,
        nlp: Language,
        weapons: WeaponData,
        organizations: OrganizationData,
        countries: CountryData | None = None,
    ):
        self.vocab = nlp.vocab
        # Organisations by shape, regions and datelines, where the countries are known.
        self.names = (
            None
            if countries is None
            else NameRules(
                nlp.vocab,
                nlp.make_doc,
                _country_words(countries),
                countries.regions,
                [*(capital.title() for capital in countries.capitals), *countries.cities],
                _country_names(countries),
            )
        )
        self.equipment = frozenset(cue.lower() for cue in weapons.cues.equipment)
        self.military = self.equipment | {cue.lower() for cue in weapons.cues.military}
        self.negatives = frozenset(_DASH.sub("-", m).lower() for m in weapons.negatives.mentions)
        self.neighbours = frozenset(word.lower() for word in weapons.negatives.neighbours)
        self.makers = self.neighbours | {word.lower() for word in weapons.negatives.makers}
        self.civil_makers = self.makers - _OF_A_SYSTEM
        self.descriptive = self.military | {word.lower() for word in weapons.cues.descriptive}
        self.heritage = frozenset(word.lower() for word in weapons.negatives.heritage)
        self.heads = frozenset(word.lower() for word in weapons.cues.heads)
        self.qualified_heads = frozenset(word.lower() for word in weapons.cues.qualified_heads)
        self.modifiers = frozenset(word.lower() for word in weapons.cues.modifiers)
        self.kind_words = self.descriptive | self.modifiers | self.heads | self.qualified_heads
        # Capitalised words that go on a weapon's name ("Iskander Missiles", "Tomahawk Block").
        self.words_of_name = (
            self.military | self.modifiers | self.descriptive | self.heads | _NAME_GOES_ON
        )
        # Words that make a spelled-out acronym a weapon's ("Joint Stand Off Weapons").
        self.words_of_war = (self.military | self.modifiers) - _GENERIC_SYSTEM_WORDS
        country_words = _country_words(countries) if countries is not None else []
        self.owners = frozenset(word.lower() for word in weapons.negatives.owners) | {
            word.lower() for word in country_words
        }
        # RE2, not re: the patterns are data and the text is anyone's, and RE2 matches in time
        # linear in the text whatever the pattern ("737" and thirty digits took re minutes).
        self.civil_aircraft = _civil_aircraft(weapons.negatives.civil_aircraft)
        # Case-insensitive (LOWER) and as-written (ORTH) phrase matchers; a match's key is
        # "<label>\t<canonical>\t<context>".
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        bodies = {
            form.casefold() for entry in organizations.organizations for form in entry.forms()
        }
        self._add_names(nlp, WEAPON, weapons.weapons, bodies)
        self.nicknames = frozenset(
            form.lower()
            for entry in weapons.weapons
            for nickname in entry.nicknames
            for form in _forms(nickname)
        )
        self.listed = frozenset(
            _normalised(form).lower() for entry in weapons.weapons for form in entry.forms()
        )
        self.entry_names = frozenset(entry.name.lower() for entry in weapons.weapons)
        # The names of listed classes ("zumwalt" of "Zumwalt-class destroyer").
        self.class_names = frozenset(
            form[: match.start()].casefold()
            for entry in weapons.weapons
            for form in entry.forms()
            if (match := _CLASS_OF_FORM.search(form)) is not None
        )
        # Entries named with a designation and a name that stays with it ("RS-28 Sarmat").
        self.nicknamed = frozenset(entry.name for entry in weapons.weapons if entry.nicknames)
        self.proper_names = frozenset(
            _normalised(form)
            for entry in weapons.weapons
            for form in entry.forms()
            if len(form.split()) > 1 and all(word[0].isupper() for word in form.split())
        )
        self._add_names(nlp, ORG, organizations.organizations, frozenset())
        self.surnames = frozenset(
            form.lower()
            for entry in organizations.organizations
            if entry.surname
            for form in entry.forms()
            if _is_one_word(form)
        )
        # Families by upper-case prefix (and number, where only some numbers name weapons).
        self.any_number: dict[str, Family] = {}
        self.numbered: dict[tuple[str, str], Family] = {}
        self.spaced: dict[tuple[str, str], Family] = {}
        self.spaced_prefixes: dict[str, Family] = {}
        for family in weapons.families:
            self._add_family(family)
        # Designations ("Su-35S", "9K720") have a digit, and every other shape starts at a
        # prefix word ("USS Gerald R. Ford", "Mi 17", "Leopard 2A7"): those are found in one
        # pass, and the shapes checked only there, not by a Matcher's Python predicates at
        # every token.
        self.ship_prefixes = frozenset(weapons.ship_prefixes)
        # "Mi 17 helicopters", "Shahed 136 drones": a hyphenated designation written with a
        # space, with one of the family's own numbers or, for a family of any number, up to
        # three digits; it needs a cue, as a number after a word may be anything.
        self.split_prefixes = frozenset(f.prefix for f in weapons.families if f.joiner == "-")
        # "Agni-III", "Shaheen-II", "Agni III": a family of any number, numbered in Roman
        # numerals.
        self.roman_prefixes = frozenset(
            f.prefix for f in weapons.families if f.joiner == "-" and f.numbers is None
        )
        self.prefixes = PhraseMatcher(nlp.vocab, attr="LOWER")
        for kind, words in (
            ("ship", self.ship_prefixes),
            ("split", self.split_prefixes),
            ("roman", self.roman_prefixes),
            ("spaced", {prefix for prefix, _ in self.spaced}),
        ):
            self.prefixes.add(kind, [Doc(nlp.vocab, words=[w.lower()]) for w in sorted(words)])

    def _add_names(self, nlp: Language, label: str, entries: list[Named], bodies: Set[str]) -> None:
        """Adds the entries' names to the phrase matchers; `bodies` are the listed
        organisations' names, which a weapon's name less its kind must not be ("Fatah")."""
        by_matcher: dict[tuple[bool, str], list[Doc]] = {}
        listed = {form for entry in entries for form in entry.forms()}
        for entry in entries:
            for form in entry.forms():
                stem = self._without_kind(form) if label == WEAPON else form
                if (
                    stem != form
                    and not stem.islower()
                    and any(char.isalpha() for char in stem)  # not "358" of "358 missile"
                    and stem not in listed
                    and stem.casefold() not in bodies
                    and entry.category != "ship"
                ):
                    # "Rak mortar" is also written "Rak 120mm self-propelled mortars": its name
                    # alone, as written, before a word of its kind.
                    key = f"{label}\t{stem}\t{Context.CLASS_NOUN.value}"
                    by_matcher.setdefault((True, key), []).append(nlp.make_doc(stem))
                ambiguous = (entry.ambiguous and _is_one_word(form)) or form in entry.nicknames
                as_written = ambiguous or _is_acronym(form)
                context = Context.NEAR if ambiguous and label == WEAPON else Context.NONE
                key = f"{label}\t{entry.name}\t{context.value}"
                forms = [
                    f for a in _apostrophes(form) for f in (_forms(a) if label == WEAPON else [a])
                ]
                docs = by_matcher.setdefault((as_written, key), [])
                docs.extend(nlp.make_doc(text) for text in forms)
                if _is_long_acronym(form):
                    # Some outlets write acronyms of five letters or more in title case
                    # ("Himars", "Iris-T", "Asean"); a weapon so written may be a word too
                    # ("Scalp", "Caesar"), so it needs a cue nearby.
                    titled = (
                        f"{label}\t{entry.name}\t{Context.NEAR.value}" if label == WEAPON else key
                    )
                    by_matcher.setdefault((True, titled), []).extend(
                        nlp.make_doc(text) for text in _forms(form.title())
                    )
        for (as_written, key), docs in by_matcher.items():
            (self.orth if as_written else self.lower).add(key, docs)

    def _add_family(self, family: Family) -> None:
        prefix = family.prefix.upper()
        if family.joiner == " ":
            self.spaced_prefixes.setdefault(prefix, family)
            for number in family.numbers or ():
                self.spaced[(prefix, number.upper())] = family
        elif family.numbers is None:
            self.any_number[prefix] = family
        else:
            for number in family.numbers:
                self.numbered[(prefix, number.upper())] = family

    def __call__(self, doc: Doc) -> Doc:
        words = _Words(doc)
        candidates: list[Candidate] = []
        # Designations first: where a name and a designation cover the same tokens, the
        # designation's own variant ("Su-35S") is kept rather than the name's family ("Su-35").
        for kind, start, end in self._shapes(doc):
            found = self._designation(doc, kind, start, end)
            if found is not None:
                candidates.append(found)
        for matcher in (self.lower, self.orth):
            for match_id, start, end in matcher(doc):
                label, canonical, context = self.vocab.strings[match_id].split("\t")
                if label == ORG and self._is_a_persons_surname(doc, start, end):
                    continue
                listed = canonical
                if label == ORG:
                    # Organisations are named as written ("AP", not the "Associated Press" it
                    # is listed under): a reader searches for the name the story uses.
                    canonical = canonical_name(doc[start:end].text)
                elif label == WEAPON and (
                    self._is_a_family_name(doc, start, end) or self._runs_on(doc, start, end)
                ):
                    continue
                elif (
                    label == WEAPON
                    and doc[start:end].text.islower()
                    and end < len(doc)
                    and doc[end].text in self.ship_prefixes
                ):
                    # "the littoral combat ship USS Freedom": a type in lower case before a
                    # ship's name says what the ship is; it names no class.
                    continue
                elif label == WEAPON and _is_ship_by_name(doc, start, end):
                    # "the aircraft carrier Shandong", "cruiser Moskva": a ship by its own name
                    # is a vessel (the guideline counts classes).
                    vessel = _normalised(doc[start:end].text)
                    candidates.append(Candidate(start, end, VESSEL, vessel, Context.NONE))
                    continue
                elif (
                    label == WEAPON
                    and (name_end := _ship_named_before_noun(doc, start, end))
                    and not _CLASS_OF_FORM.search(canonical)
                    and doc[start:name_end].text.casefold() not in self.class_names
                ):
                    # "the Liaoning aircraft carrier", "Russia's Moskva cruiser": a ship the
                    # gazetteer lists by name (a class written so, "the Zumwalt destroyer", is
                    # listed as a class, and an unlisted name is more often a class than a ship).
                    vessel = _normalised(doc[start:name_end].text)
                    candidates.append(Candidate(start, end, VESSEL, vessel, Context.NONE))
                    continue
                elif label == WEAPON and doc[start:end].text.lower() in self.nicknames:
                    # "Satan" is the RS-28 Sarmat, "Tupolev-160" the Tu-160: ahead of the
                    # designation read from the same words.
                    candidates.insert(0, Candidate(start, end, label, canonical, Context.NEAR))
                    continue
                elif label == WEAPON:
                    # A ship's class by its name: "Nimitz-class carrier" is the Nimitz.
                    # ... and "F-16 Block 70" the F-16 (the guideline drops block suffixes).
                    canonical = _MARK.sub(
                        "",
                        _CLASS.sub(
                            "", self._without_kind(self._weapon_name(doc[start:end], canonical))
                        ),
                    )
                    if canonical.islower():
                        # "advanced light helicopters (ALH)": a class spelled out in lower case
                        # names no system by its words; the acronym after it, or the entry, does.
                        canonical = _acronym_after(doc, end) or listed
                    # A variant attached to a listed name ("Rafale-M", "Buk-M2") is part of
                    # the mention, not of the name (the guideline drops variant letters); a
                    # Roman number names a system of its own ("Prithvi-II").
                    listed_end = end
                    _, end = _extend(doc, start, end)
                    canonical += _roman_number(doc, listed_end, end)
                    # "Hsiung Feng IIE" is the Hsiung Feng II, "TOW 2B" the TOW 2; after a
                    # class noun a variant is the missile's ("Babur Cruise Missile 1B").
                    if (
                        end == listed_end
                        and _numbered_after(doc, end)
                        and not (
                            _DIGIT_VARIANT.match(doc[end].text)
                            and doc[end - 1].lower_ in self.descriptive
                        )
                    ):
                        canonical += " " + _system_number(doc[end].text)
                        end += 1
                candidates.append(Candidate(start, end, label, canonical, Context(context), listed))
        listed_bodies = {(c.start, c.end) for c in candidates if c.label == ORG}
        for rule in self.names(doc) if self.names is not None else ():
            if rule.label == ORG and self._is_nationality_and_listed_body(
                doc, rule.start, rule.end, listed_bodies
            ):
                continue
            name = rule.name or canonical_name(doc[rule.start : rule.end].text)
            candidates.append(Candidate(rule.start, rule.end, rule.label, name, Context.NONE))
        candidates += self._named_by_calling(doc, candidates)
        candidates += self._named_by_expansion(doc, candidates)
        heritage = self._museum_pieces(doc)
        by_class = self._named_by_class(doc, candidates, heritage)
        by_class += self._named_by_class_word(doc, candidates, by_class)
        classes = {i for c in by_class for i in range(c.start, c.end)}
        candidates = [
            c
            for c in candidates
            if c.label != ORG or not classes.intersection(range(c.start, c.end))
        ]
        candidates += by_class
        candidates = _without_makers(candidates)
        candidates = [c for c in candidates if not self._is_civil_aircraft(words, c)]
        candidates = _with_nicknames(doc, candidates)
        candidates = _with_names_after_designations(doc, candidates, self.listed)
        candidates = _without_variants_written_apart(doc, candidates)
        candidates = _without_glosses(doc, candidates)
        confirmed = [c for c in candidates if c.context is Context.NONE]
        # A maker's name inside a weapon's ("Cessna A-37") vetoes no other weapon beside it.
        named_tokens = {i for c in confirmed if c.label == WEAPON for i in range(c.start, c.end)}
        # A name that needs a cue is no weapon in a sentence about museum pieces (not one about
        # a trade show's exhibition: "signed at the MSPO defence exhibition").
        museum = self._museum_pieces(doc, _MUSEUM_WORDS) if heritage else set()
        confirmed += [
            c
            for c in candidates
            if c.context is not Context.NONE
            and c.start not in museum
            and self._fits(doc, c, named_tokens)
        ]
        # A name the doc confirms once is that weapon everywhere in it: "K2 tanks ... the K2s".
        named = {c.canonical for c in confirmed if c.label == WEAPON}
        confirmed += [
            c
            for c in candidates
            if c.context is not Context.NONE and c.canonical in named and c not in confirmed
        ]
        confirmed = self._weapons_before_class_nouns(doc, confirmed)
        confirmed += _listed_beside_weapons(doc, candidates, confirmed)
        confirmed += self._listed_before_equipment(doc, candidates, confirmed)
        confirmed = _named_in_full(confirmed)
        confirmed += _listed_numbers(doc, candidates, self.military)
        spans = [Span(doc, c.start, c.end, label=c.label, span_id=c.canonical) for c in confirmed]
        # Longest first; among equals the rules' own, then earlier ones: filter_spans is stable.
        doc.ents = filter_spans([*spans, *doc.ents])
        return doc

    def _weapons_before_class_nouns(self, doc: Doc, confirmed: list[Candidate]) -> list[Candidate]:
        """A listed weapon that is also a place's or a body's name is the weapon where a class
        noun follows it: "200 Milan anti-tank missiles" are no city; a name rule's reading of
        the same words gives way (a warship's name keeps its own)."""
        weapons = {
            (c.start, c.end)
            for c in confirmed
            if c.label == WEAPON and self._class_noun_after(doc, c.end)
        }
        if not weapons:
            return confirmed
        return [
            c for c in confirmed if c.label in (WEAPON, VESSEL) or (c.start, c.end) not in weapons
        ]

    def _class_noun_after(self, doc: Doc, end: int) -> bool:
        """Whether a class noun follows token `end`, or a modifier and a class noun."""
        words = _words_after(doc, end, 2)
        return bool(words) and (
            words[0] in self.equipment
            or (words[0] in self.modifiers and words[1:] != [] and words[1] in self.equipment)
        )

    def _museum_pieces(self, doc: Doc, words: frozenset[str] | None = None) -> set[int]:
        """The tokens of sentences about museum pieces, replicas or toys (with a word of
        `words`, the heritage words by default), where a weapon's name stands for no weapon in
        service ("a restored Sherman tank"), found in one pass (Token.sent rescans)."""
        words = self.heritage if words is None else words
        if not any(token.lower_ in words for token in doc):
            return set()
        sentences = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
        return {
            i
            for sent in sentences
            if any(token.lower_ in words for token in sent)
            for i in range(sent.start, sent.end)
        }

    def _is_liners_class(self, noun: Token, name: Span) -> bool:
        """Whether a class's noun is a vessel of any trade in a sentence without a military word,
        and its name no navy's class the gazetteer lists: "an Excel-class ship built for Carnival
        Cruise Lines" (liners have classes too; "the third Sigma-class vessel" is a navy's)."""
        if name.text.casefold() in self.class_names:
            return False
        return noun.lower_ in _CIVIL_VESSELS and not any(
            (t.lower_ in self.military and t.lower_ not in _LINERS_WORDS)
            or t.lower_ in _NAVAL_DUTIES
            for t in noun.sent
        )

    def _named_by_class(
        self, doc: Doc, candidates: list[Candidate], heritage: set[int]
    ) -> list[Candidate]:
        """Weapons named by the class noun written after them, listed or not: "Pinaka rocket
        launchers", "the Fattah hypersonic missile", "a Kalvari class submarine", "the Agni-II
        ballistic missile". Words that own or place the equipment ("Navy frigates", "Russian
        drones") are not names; tokens that another rule took are left to it."""
        taken = {i for c in candidates for i in range(c.start, c.end)}
        weapons = {i for c in candidates if c.label == WEAPON for i in range(c.start, c.end)}
        # An unknown designation with no cue beside it may be a word of a longer name: "the Puma
        # M36 armoured vehicles" (not a part of a word: "PSLV-C49").
        loose = {
            i
            for c in candidates
            if c.context in (Context.ADJACENT, Context.CLASS_NOUN)
            and _word_start(doc, c.start) == c.start
            for i in range(c.start, c.end)
        }
        # "the Guardian class patrol boat": a name written before "class" is the class's,
        # whatever body the gazetteer gives it.
        bodies = {i for c in candidates if c.label == ORG for i in range(c.start, c.end)}
        body_ends = {c.start: c.end for c in candidates if c.label == ORG}
        found: list[Candidate] = []
        for head in doc:
            qualified = head.lower_ in self.qualified_heads
            if not (qualified or head.lower_ in self.heads):
                continue
            # "Babar Cruise Missile": a class in title case, checked once the name is found; not
            # a "System" or a "Vehicle", which name programmes ("the Space Launch System").
            titled = not qualified and head.is_title and not head.is_sent_start
            if not (head.is_lower or titled):
                continue
            if head.i in heritage:
                continue
            # "Kyiv drone attack": the noun after the class noun is what the phrase is about.
            following = doc[head.i + 1] if head.i + 1 < len(doc) else None
            if following is not None and following.pos_ in ("NOUN", "PROPN"):
                continue
            end = head.i
            while head.i - end < _MAX_MODIFIERS and end > 0:
                if _is_class_suffix(doc, end):  # "Kalvari-class": the name ends at the hyphen
                    end -= 2
                    break
                word_start = _word_start(doc, end - 1)
                if doc[word_start:end].text.lower() not in self.modifiers:
                    break
                end = word_start
            if qualified and end == head.i:
                continue
            span = _name_before(doc, end)
            if span is None or _word_start(doc, span.start) < span.start:
                continue  # "Fly-to-Buy missiles": a part of a word is not a name
            if span.start == end - 1 and _opens_sentence(span[0]) and span[0].is_alpha:
                continue  # "Precision air munitions": the first word may be a common one
            if end == head.i - 2 and self._is_liners_class(head, span):
                continue
            if _is_epithet(doc, span.start):
                continue  # "the Gwanggaeto the Great destroyer": a ship named after a king
            if titled and not _is_titled_class(doc, span, head.i):
                continue
            for coordinated in self._coordinated_names(doc, span.start, taken, weapons):
                found.append(coordinated)
                taken.update(range(coordinated.start, coordinated.end))
                weapons.update(range(coordinated.start, coordinated.end))
            start = span.start
            while start < end and (
                doc[start].lower_ in self.owners or doc[start].text in (*_DASHES, "/")
            ):
                start += 1
            # "MBDA SAAM-ESD air defence missile system": the maker is named before the system.
            maker_end = body_ends.get(start)
            if maker_end is not None and maker_end < end and not _names_a_class(doc, end):
                start = maker_end
            name = doc[start:end]
            if (
                not name
                or not any(_is_word(token) for token in name)
                or any(
                    token.i in taken
                    and not (token.i in bodies and _names_a_class(doc, end))
                    and not (token.i in loose and not loose.issuperset(range(start, end)))
                    for token in name
                )
                or any(t.lower_ in self.owners or t.lower_ in self.military for t in name)
                or name.text.lower() in self.owners
                or name.text.rstrip("s") in _TYPE_SYMBOLS
                or _beside(doc, start, end, self.civil_makers, _MAKER_WINDOW)
            ):
                continue
            if self._names_one_ship(doc, name, head):
                found.append(Candidate(start, end, VESSEL, name.text, Context.NONE))
                taken.update(range(start, end))
                continue
            canonical = _CLASS.sub("", self._singular(_normalised(name.text)))
            canonical = _MARK.sub("", _VARIANT_LETTER.sub("", canonical))
            found.append(Candidate(start, end, WEAPON, canonical, Context.NONE))
            taken.update(range(start, end))
            weapons.update(range(start, end))
        return found

    def _names_one_ship(self, doc: Doc, name: Span, noun: Token) -> bool:
        """Whether an unlisted name of two words or more before one ship's noun, after "the"
        or a possessive, names that ship: "the Vladimir Monomakh submarine", "the Gang Gam Chan
        warship" (ships are named after people and places; their classes are written with
        "class", a number, in the plural or are listed: "the Arleigh Burke destroyer")."""
        before = doc[name.start - 1] if name.start > 0 else None
        return (
            noun.lower_ in _SHIP_NOUNS
            and before is not None
            and before.lower_ in ("the", "'s", "’s")
            and sum(1 for token in name if token.is_title) >= 2
            and all(
                (token.is_title and token.is_alpha) or token.lower_ in _NAME_PARTICLES
                for token in name
            )
            and name.text.casefold() not in self.class_names
            and _normalised(name.text).lower() not in self.listed
        )

    def _coordinated_names(
        self, doc: Doc, start: int, taken: set[int], weapons: set[int]
    ) -> list[Candidate]:
        """The names joined by "and" or "or", and by commas before that, to the name at token
        `start` of a class noun: "the Qadr-F and Sejjil ballistic missiles" names two missiles,
        "it makes Vidhwansak, AK-47 and INSAS rifles" three. A weapon another rule named goes
        on the list; any other name ends it."""
        found: list[Candidate] = []
        joiners: tuple[str, ...] = ("and", "or")
        for _ in range(_MAX_LISTED_NAMES):
            at = start - 1
            if at < 1 or doc[at].lower_ not in joiners:
                break
            if joiners != (",",) and doc[at - 1].text == ",":
                at -= 1  # "A, B, and C missiles"
            span = _name_before(doc, at)
            if span is None or _word_start(doc, span.start) < span.start:
                break
            if span[0].is_sent_start and span[0].pos_ != "PROPN":
                break
            tokens = range(span.start, span.end)
            if weapons.issuperset(tokens):
                start, joiners = span.start, (",",)
                continue
            if (
                taken.intersection(tokens)
                or not any(token.is_alpha and len(token) > 1 for token in span)
                or any(t.lower_ in self.owners or t.lower_ in self.words_of_name for t in span)
                or _beside(doc, span.start, span.end, self.makers, _MAKER_WINDOW)
            ):
                break
            canonical = _VARIANT_LETTER.sub("", self._singular(_normalised(span.text)))
            found.append(Candidate(span.start, span.end, WEAPON, canonical, Context.NONE))
            start, joiners = span.start, (",",)
        return found

    def _listed_before_equipment(
        self, doc: Doc, candidates: list[Candidate], confirmed: list[Candidate]
    ) -> list[Candidate]:
        """Names listed with a named weapon written before its equipment noun: "it makes
        Vidhwansak, AK-47 and INSAS rifles". Not a name alone before such a noun ("Remington
        rifles" are the maker's): the weapons beside it say what the list is of."""
        taken = {i for c in candidates for i in range(c.start, c.end)}
        weapons = {i for c in confirmed if c.label == WEAPON for i in range(c.start, c.end)}
        found: list[Candidate] = []
        for last in confirmed:
            if (
                last.label != WEAPON
                or last.end >= len(doc)
                or not doc[last.end].is_lower
                or doc[last.end].lower_ not in self.equipment
            ):
                continue
            for name in self._coordinated_names(doc, last.start, taken, weapons):
                found.append(name)
                taken.update(range(name.start, name.end))
        return found

    def _named_by_class_word(
        self, doc: Doc, candidates: list[Candidate], by_class: list[Candidate]
    ) -> list[Candidate]:
        """Classes named by "-class" with the vessel or weapon noun a few words after, in any
        case and whatever stands between: "a Ghadir-class Iranian navy submarine", "the
        Guardian-Class Patrol Boat". A name another rule took as a weapon is left to it; one
        taken as a body or a place is the class's ("Guardian" is also a newspaper)."""
        # The class words are found by their id in one array, not by a walk over the doc.
        classes = numpy.flatnonzero(doc.to_array("LOWER") == doc.vocab.strings.add("class"))
        if not len(classes):
            return []
        weapons = {i for c in (*candidates, *by_class) if c.label == WEAPON
                   for i in range(c.start, c.end)}  # fmt: skip
        nouns = self.heads | self.qualified_heads | _VESSELS
        class_ends = {int(i) + 1 for i in classes}
        found = []
        for end in (int(i) + 1 for i in classes):
            bracketed = _bracketed_class_name(doc, end - 1, nouns)
            if bracketed is not None:
                # "the L-class frigates (Jacob van Heemskerk class)": a class's other name.
                name = doc[bracketed[0] : bracketed[1]]
                if not weapons.intersection(range(name.start, name.end)):
                    found.append(
                        Candidate(name.start, end, WEAPON, _normalised(name.text), Context.NONE)
                    )
                continue
            if not _is_class_suffix(doc, end):
                continue
            # "the Chungbuk-class and Cheonan-class frigates": the noun follows the last class.
            noun_from = end
            while noun_from < len(doc) and doc[noun_from].lower_ in _LIST_JOINERS:
                following = next(
                    (e for e in range(noun_from + 3, noun_from + 3 + _MAX_NAME_TOKENS)
                     if e in class_ends and _is_class_suffix(doc, e)),
                    None,
                )  # fmt: skip
                if following is None:
                    break
                noun_from = following
            after = doc[noun_from : noun_from + _CLASS_NOUN_GAP]
            noun = next(
                (t for t in takewhile(lambda t: not t.is_punct, after) if t.lower_ in nouns), None
            )
            if noun is None:
                continue
            span = _name_before(doc, end - 2)
            if span is None or _word_start(doc, span.start) < span.start:
                continue
            start = span.start
            while start < end - 2 and doc[start].lower_ in self.owners:
                start += 1
            name = doc[start : end - 2]
            # A letter names a class after its owners only: "the Belgian K-class frigates".
            owned_letter = start > span.start and len(name) == 1 and name[0].is_upper
            if (
                not name
                or self._is_liners_class(noun, name)
                or weapons.intersection(range(start, end))
                or not (owned_letter or any(t.is_alpha and len(t) > 1 for t in name))
                or name.text.lower() in _NOT_CLASS_NAMES
            ):
                continue
            found.append(Candidate(start, end, WEAPON, _normalised(name.text), Context.NONE))
        # A title-case headline runs its verb into the name ("Tonga Receives Guardian-Class
        # Patrol Boat"): a shorter name the story writes for the class is the name.
        names = {c.canonical for c in (*found, *by_class)}
        return [_shortened(doc, c, names) for c in found]

    def _named_by_expansion(self, doc: Doc, candidates: list[Candidate]) -> list[Candidate]:
        """Weapons a story names by an acronym it spells out in brackets: "Joint Stand Off
        Weapons (JSOW)" is the JSOW there and wherever the story writes JSOW again. The
        spelled-out name must say it is a weapon ("Global Positioning System (GPS)" does not);
        an acronym that is a class word ("Unmanned Aerial Vehicle (UAV)") names none."""
        # Brackets are found by their id in one array, not by a walk over the doc.
        openings = numpy.flatnonzero(doc.to_array("ORTH") == doc.vocab.strings.add("("))
        if not len(openings):
            return []
        taken = {i for c in candidates if c.label == WEAPON for i in range(c.start, c.end)}
        # "Defense Industries Systems (DIS)" is a company the rules named.
        bodies = {i for c in candidates if c.label == ORG for i in range(c.start, c.end)}
        acronyms: dict[str, tuple[int, int]] = {}
        for at in (int(i) for i in openings):
            if at == 0 or at + 2 >= len(doc) or doc[at + 2].text != ")":
                continue
            acronym = doc[at + 1].text
            if not _WEAPON_ACRONYM.match(acronym) or acronym.lower() in self.military:
                continue
            start = _spelled_out(doc, at, acronym.rstrip("s"))
            if start is None or (taken | bodies).intersection(range(start, at)):
                continue
            if doc[at - 1].lower_ not in _EXPANSION_HEADS or not any(
                token.lower_ in self.words_of_war for token in doc[start:at]
            ):
                continue
            acronyms.setdefault(acronym.rstrip("s"), (start, at))
        if not acronyms:
            return []
        found = [
            Candidate(start, end, WEAPON, acronym, Context.NONE)
            for acronym, (start, end) in acronyms.items()
        ]
        forms = [form for a in acronyms for form in (a, a + "s")]
        for i in indices_of(doc, forms, "ORTH"):
            if i not in taken:
                name = doc[i].text
                found.append(Candidate(i, i + 1, WEAPON, name.rstrip("s"), Context.NONE))
        return found

    def _runs_on(self, doc: Doc, start: int, end: int) -> bool:
        """Whether a one-word weapon name is the first word of another name, written on into a
        capitalised word that is no weapon's, with no word of war near ("the Shaurya Dal"
        cadets, "Javelin Park")."""
        if end - start != 1 or end >= len(doc) or not doc[start].is_alpha:
            return False
        after = doc[end]
        return (
            after.is_title
            and after.is_alpha
            and len(after) > _VARIANT_LENGTH
            and after.pos_ == "PROPN"
            and after.lower_ not in self.words_of_name
            and _normalised(doc[start : end + 1].text).lower() not in self.listed
            # "Patriot Advanced Capability-3 missiles": a word of war near keeps the weapon.
            and not any(
                t.lower_ in self.military
                for t in doc[max(0, start - _EQUIPMENT_WINDOW) : end + _EQUIPMENT_WINDOW]
            )
        )

    def _is_a_family_name(self, doc: Doc, start: int, end: int) -> bool:
        """Whether a one-word weapon name is written as a person's surname, after a given name:
        "Haluk Bayraktar, the company's chief" is the man, "Turkish Bayraktar drones" the
        drone."""
        if end - start != 1 or start == 0 or not doc[start].is_alpha:
            return False
        given = doc[start - 1]
        # "SAAB Abs Gripen": a word after a maker's name in capitals is no given name.
        before = doc[start - 2] if start > 1 else None
        if before is not None and before.is_upper and before.lower_ not in _EXECUTIVES:
            return False
        return (
            given.is_title
            and given.is_alpha
            and given.tag_ == "NNP"
            and given.lower_ not in self.owners
            and given.lower_ not in self.military
            and given.lower_ not in self.makers
            and given.lower_ not in self.listed
            and not (end < len(doc) and doc[end].lower_ in self.military)
        )

    def _named_by_calling(self, doc: Doc, candidates: list[Candidate]) -> list[Candidate]:
        """Weapons a story names with "called" after their class noun: "a fighter plane, to be
        called Tempest", "the missile, dubbed "Ghader"", "an interception system called
        Cheongung M-SAM II"; not "a drone maker called ..." (the noun before is the maker)."""
        # The verbs are found by their ids in one array, not by a walk over the doc.
        verbs = indices_of(doc, _CALLING)
        if not verbs:
            return []
        others = {i for c in candidates if c.label != WEAPON for i in range(c.start, c.end)}
        weapons = {i for c in candidates if c.label == WEAPON for i in range(c.start, c.end)}
        classes = self.heads | self.qualified_heads | self.equipment
        found = []
        for verb in (doc[i] for i in verbs):
            if not verb.is_lower:
                continue
            noun = verb.i - 1
            while noun > max(0, verb.i - _CALLING_GAP) and doc[noun].pos_ not in ("NOUN", "PROPN"):
                if doc[noun].is_sent_start or doc[noun].pos_ in ("VERB", "ADP"):
                    break
                noun -= 1
            # A ship "named" so is a vessel; the guideline counts only its class. A "plane" or a
            # "system" is a weapon's only after a word of war ("fighter plane", not "campaign
            # plane").
            head = doc[noun].lower_
            if (
                head not in classes
                # "a Sherman tank, named Cheyenne": the class is named; the name is one tank's.
                or (noun > 0 and (noun - 1 in weapons or self._names_the_class(doc[noun - 1])))
                or head in _VESSELS
                or doc[noun].pos_ != "NOUN"
                or (head in self.qualified_heads and not self._qualifies(doc, noun))
            ):
                continue
            start = verb.i + 1
            while start < len(doc) and (doc[start].is_quote or doc[start].lower_ == "the"):
                start += 1
            end = start
            while end < min(len(doc), start + _MAX_NAME_TOKENS) and _is_name_part(doc, end):
                end += 1
            while end > start and doc[end - 1].text in _DASHES:
                end -= 1
            name = doc[start:end]
            if (
                not name
                or not any(token.is_alpha for token in name)
                or others.intersection(range(start, end))
                or name.text.lower() in self.owners
            ):
                continue
            found.append(Candidate(start, end, WEAPON, _normalised(name.text), Context.NONE))
        return found

    def _names_the_class(self, word: Token) -> bool:
        return (
            word.is_title
            and not word.is_sent_start
            and word.lower_ not in self.owners
            and word.lower_ not in self.words_of_name
        )

    def _qualifies(self, doc: Doc, noun: int) -> bool:
        before = doc[noun - 1].lower_ if noun > 0 else ""
        return before in self.modifiers or before in self.military

    def _is_civil_aircraft(self, words: "_Words", candidate: Candidate) -> bool:
        """Whether a WEAPON candidate names, or is part of a word that names, an airliner
        ("E2" in "E190-E2")."""
        if candidate.label != WEAPON or self.civil_aircraft is None:
            return False
        return any(
            words.matches(self.civil_aircraft, a, b)
            for a, b in {(candidate.start, candidate.end), words.around(candidate)}
        )

    def _weapon_name(self, span: Span, name: str) -> str:
        """The canonical name of a gazetteer match: as written, less descriptive words at its end,
        unless it spells out the acronym it is listed under or extends the name with a nickname."""
        written = self._singular(_normalised(span.text))
        if _is_acronym(name) and written.lower() == name.lower():  # "Iris-T" is the IRIS-T
            return name
        words = written.split()
        designation, _, nickname = name.partition(" ")
        if (
            nickname
            and name not in self.nicknamed
            and _DESIGNATION.match(designation)
            and all(word.isalpha() and word.istitle() for word in nickname.split())
            and written.lower().startswith(name.lower())
        ):  # "K2 Black Panther tanks" is the K2, as "S-400 Triumf" is the S-400
            return designation
        if (
            len(words) >= 3
            and _is_acronym(name)
            # "AH-64E Apache Guardian" is the AH-64 with a variant letter and a nickname.
            and not words[0].lower().startswith(name.lower())
        ):
            # "Guided Multiple Launch Rocket System" is the GMLRS where the story also writes
            # the acronym; spelled out alone, it is named as written (as the guideline names
            # entities "as written the first time").
            return name if any(token.text == name for token in span.doc) else written
        first = written if " " in name else written.split()[0]
        if _VARIANT_LETTERS.match(first[len(name) :].lstrip("-")) and first.lower().startswith(
            name.lower()
        ):  # "Leopard 1A5" of "Leopard 1", "Iskander-M" of "Iskander", "P-8A Poseidon" of "P-8"
            return name
        if written.lower().startswith(name.lower() + " "):
            rest = [
                w
                for w in written[len(name) + 1 :].split()
                if w.lower() not in self.descriptive and not _VARIANT_LETTERS.match(w)
            ]
            # A number written after the name names a system of its own ("Tien Kung III",
            # "Arrow 3"); variant letters ("IRIS-T SLM", "Patriot PAC-3", "Hsiung Feng IIE")
            # and nicknames ("S-400 Triumf") do not: the guideline drops them.
            numbers = [_ROMAN_VARIANT.sub(r"\1", word) for word in rest]
            if numbers and all(_SPACED_VARIANT.match(number) for number in numbers):
                return f"{name} {' '.join(numbers)}"
            return name
        if written.lower().endswith(" " + name.lower()):  # "9M133 Kornet"
            return name
        if written in self.proper_names:  # "Long-Range Hypersonic Weapon" is not a "Long-Range"
            return written
        # "Hawk air defense systems" is the Hawk: a modifier left at the end in lower case names
        # no system ("Naval Strike" keeps its "Strike").
        while len(words) > 1 and (
            words[-1].lower() in self.descriptive
            or (words[-1].islower() and words[-1] in self.modifiers)
        ):
            words.pop()
        return self._singular(" ".join(words))

    def _without_kind(self, name: str) -> str:
        """A listed name less the words of its kind written in lower case at its end: the
        entry "Type 075 amphibious assault ship" is the Type 075, "Mistral-class amphibious
        assault ship" the Mistral-class (the guideline names systems without generic words)."""
        words = name.split()
        while len(words) > 1 and words[-1].islower() and words[-1] in self.kind_words:
            words.pop()
        # "PK machine gun" is no "PK machine": a kind is cut whole or not at all.
        return " ".join(words) if not words[-1].islower() else name

    def _singular(self, name: str) -> str:
        # "Rafales", "Leopard 2s" are plurals of listed names; "BrahMos" is not one of "BrahMo".
        if name.endswith("s") and name[:-1].lower() in self.listed:
            return name[:-1]
        return name

    def _is_nationality_and_listed_body(
        self, doc: Doc, start: int, end: int, listed_bodies: set[tuple[int, int]]
    ) -> bool:
        """Whether a name rule's body is a nationality and a listed firm after it: "French
        Dassault Aviation" is Dassault Aviation (while "Israel Aerospace Industries", unlisted
        as "Aerospace Industries", and "US Department of Commerce", a state's body, keep their
        country)."""
        return (
            doc[start].lower_ in self.owners
            and (start + 1, end) in listed_bodies
            and not is_state_body(doc[start + 1 : end])
        )

    def _is_a_persons_surname(self, doc: Doc, start: int, end: int) -> bool:
        # "Mikhail Kalashnikov" is the man; "manufacturer Kalashnikov" the company.
        if end - start != 1 or doc[start].lower_ not in self.surnames or start == 0:
            return False
        previous = doc[start - 1]
        return previous.tag_ == "NNP" and previous.is_title

    def _shapes(self, doc: Doc) -> list[tuple[str, int, int]]:
        """The tokens shaped like a weapon's designation, as (kind, start, end) in the order
        they end: a designation or an index, a ship's name after its prefix (the longest run of
        capitalised words wins later), a split or spaced designation."""
        found: set[tuple[str, int, int]] = set()
        for i in _digit_tokens(doc):
            text = doc[i].text
            if _DESIGNATION.match(text):
                found.add(("designation", i, i + 1))
            if _INDEX.match(text):
                found.add(("index", i, i + 1))
        for key, i, _ in self.prefixes(doc):
            kind = self.vocab.strings[key]
            token = doc[i]
            if i + 1 >= len(doc):
                continue
            if kind == "ship" and token.text in self.ship_prefixes:
                found.update(("ship", i, end) for end in _ship_name_ends(doc, i + 1))
            elif kind == "split" and token.text in self.split_prefixes and doc[i + 1].is_digit:
                found.add(("split", i, i + 2))
            elif kind == "spaced" and _SPACED_NUMBER.search(doc[i + 1].text):
                found.add(("spaced", i, i + 2))
            elif (
                kind == "roman"
                and token.text in self.roman_prefixes
                and i + 2 < len(doc)
                and doc[i + 1].text in _DASHES
                and not token.whitespace_
                and not doc[i + 1].whitespace_
                and doc[i + 2].text in _ROMAN
            ):
                found.add(("roman", i, i + 3))
            elif (
                kind == "roman"
                and token.text in self.roman_prefixes
                and token.whitespace_
                # "I" after a name is as likely the pronoun.
                and doc[i + 1].text in _ROMAN
                and doc[i + 1].text != "I"
            ):
                found.add(("roman", i, i + 2))
        return sorted(found, key=lambda shape: (shape[2], shape[1], _SHAPES.index(shape[0])))

    def _designation(self, doc: Doc, kind: str, start: int, end: int) -> Candidate | None:
        text = doc[start:end].text
        if _DASH.sub("-", text).lower() in self.negatives:
            return None
        if kind == "index":
            # A variant of a listed index ("2S19M2" of "2S19") needs no cue.
            base = _INDEX_BASE.match(text)
            listed = base is not None and base.group().lower() in self.listed
            return Candidate(start, end, WEAPON, text, Context.NONE if listed else Context.ADJACENT)
        if kind == "spaced":
            return self._spaced(doc, start, end)
        if kind == "roman":
            # Written as the makers write it, as "Ghauri-II" is beside its class noun; written
            # apart ("Shaheen IX"), an exercise's or a unit's name as often, so a cue beside it.
            prefix = self.any_number[doc[start].text.upper()].prefix
            context = Context.NEAR if end - start == 3 else Context.ADJACENT
            return Candidate(start, end, WEAPON, f"{prefix}-{doc[end - 1].text}", context)
        if kind == "split":
            prefix, number = doc[start].text.upper(), doc[start + 1].text
            family = self.numbered.get((prefix, number))
            if (
                family is None
                and len(number) <= _SPLIT_NUMBER_DIGITS
                # "An 18-year-old tank commander": a word, and an age, not the An-18.
                and not doc[start].is_sent_start
                and not doc[start].is_stop
                and not (end < len(doc) and doc[end].text in _DASHES)
            ):
                family = self.any_number.get(prefix)
            if family is None or not doc[start].whitespace_:
                return None
            name = f"{family.prefix}-{doc[start + 1].text}"
            return Candidate(start, end, WEAPON, name, Context.NEAR)
        if kind == "ship":
            # A warship by name is a vessel, not a weapon: the guideline counts its class.
            return Candidate(start, end, VESSEL, _normalised(text), Context.NONE)
        match = _DESIGNATION.match(text)
        if match is None:  # the Matcher and this module share the pattern
            return None
        prefix, number, suffix = match["prefix"], match["number"], match["suffix"]
        if _WORD_IN_SUFFIX.search(suffix):
            return None  # "L3Harris" is a firm: a variant suffix is letters, not a word
        singular = _singular(suffix)
        # "Tupolev-160" is the Tu-160, "Sukhoi-35" the Su-35: the bureau's name for its prefix,
        # as civil news writes it too ("a WFP Ilyushin-76 carrying medical supplies").
        bureau = prefix.lower() in _BUREAU_PREFIXES
        prefix = _BUREAU_PREFIXES.get(prefix.lower(), prefix)
        family = self.any_number.get(prefix.upper()) or self.numbered.get((prefix.upper(), number))
        if family is None:
            if not any(char.isupper() for char in prefix) or _after_a_letter(doc, start):
                return None
            start, end = _extend(doc, start, end)
            name = _normalised(doc[start:end].text)
            if match["dash"] and len(singular) == _VARIANT_LENGTH and singular.isupper():
                name = name.removesuffix(suffix)  # "AH-11B" is an AH-11, as "F-35A" an F-35
            # "an AH-11B Wild Lynx and a UH-12 Squirrel": a designation with its own name, in
            # a story of military equipment, is a system's.
            # Hull numbers have longer prefixes: "FFG-11 Captain Prat" is a ship by name.
            named = (
                len(prefix) <= _AIRCRAFT_PREFIX_LETTERS
                and _has_name_after(doc, end)
                and self._is_military_story(doc)
            )
            return Candidate(start, end, WEAPON, name, Context.NONE if named else Context.ADJACENT)
        joiner = family.joiner if family.joiner != " " else ""
        suffix = singular.upper() if singular.islower() else singular
        # Variant letters and block suffixes are dropped: "Su-35S" is an Su-35, "K2PL" a K2.
        if suffix[:1].isalpha():
            suffix = ""
        core = f"{family.prefix}{joiner}{number}{_DASH.sub('-', suffix)}"
        # Without its hyphen "C5" is as likely a car as an airlifter.
        needs_context = (
            bureau
            or (
                # A variant written with letters and a number ("M-109A3GN", "K9A1") is the
                # weapon's, not a motorway's or a gene's.
                family.context and not _NUMBERED_VARIANT.match(singular)
            )
            or (family.joiner == "-" and not match["dash"])
            or (family.strict_case and prefix != family.prefix)
        )
        new_start, new_end = _extend(doc, start, end)
        if _beside(doc, new_start, new_end, self.neighbours, _NEIGHBOUR_WINDOW):
            return None
        name = _normalised(doc[new_start:start].text_with_ws).replace(" ", "") + core
        context = Context.NEAR if needs_context else Context.NONE
        return Candidate(new_start, new_end, WEAPON, name, context)

    def _is_military_story(self, doc: Doc) -> bool:
        return len(indices_of(doc, self.equipment)) >= _MILITARY_STORY_CUES

    def _spaced(self, doc: Doc, start: int, end: int) -> Candidate | None:
        # "Type 209/1400" is a Type 209 of 1,400 tonnes.
        prefix, number = doc[start].text, doc[start + 1].text.partition("/")[0]
        # "Arrow III" is the Arrow 3.
        number = _ROMAN.get(number, number)
        digits = _LEADING_DIGITS.match(number)
        family = self.spaced.get((prefix.upper(), number.upper())) or (
            self.spaced.get((prefix.upper(), digits.group())) if digits else None
        )
        if family is None:
            family = self._unlisted_number(doc, prefix, end)
            if family is None:
                return None
        new_start, new_end = _extend(doc, start, end)
        # "Leopard 2A7" is a Leopard 2 and "Gripen E" a Gripen; a ship's class keeps its letter
        # ("Type 052D").
        # A number listed as a weapon of its own keeps its letters too ("Mirage F1").
        own = f"{family.prefix} {number}".lower() in self.entry_names
        kept = number if family.prefix == "Type" or own else (digits.group() if digits else "")
        name = _normalised(f"{family.prefix} {kept}").strip()
        context = Context.NEAR if family.context else Context.NONE
        return Candidate(new_start, new_end, WEAPON, name, context)

    def _unlisted_number(self, doc: Doc, prefix: str, end: int) -> Family | None:
        """The family of a number it does not list, where a word of equipment comes within a
        few words: "Type 41 submarines", "a submarine, Type 209/1400" and "Project 22350M
        frigates" name systems the list has not caught up with."""
        family = self.spaced_prefixes.get(prefix.upper())
        digits = _LEADING_DIGITS.match(doc[end - 1].text)
        # One digit is as often a mark's or a generation's ("Mk 6", "Leopard 3") as a class.
        if family is None or digits is None or len(digits.group()) < _UNLISTED_NUMBER_DIGITS:
            return None
        start = end - 2  # the prefix, then the number
        around = [
            *doc[max(0, start - _UNLISTED_NUMBER_BEFORE) : start],
            *doc[end : end + _UNLISTED_NUMBER_GAP],
        ]
        return family if any(token.lower_ in self.equipment for token in around) else None

    def _kind_noun_after(self, doc: Doc, end: int) -> Token | None:
        """The word of equipment after token `end` and the words that qualify it, however many
        tokens their hyphens make: "Meteor beyond-visual-range air-to-air missiles", "Tiger
        armed reconnaissance helicopters", "Dingo mine-protected vehicles" (a vehicle, a system
        or a gun is equipment only so qualified); None where there is none, or where it is the
        first noun of a compound ("the Buffalo plane crash", "the Phoenix drone show")."""
        for position, (word, i) in enumerate(_word_ends_after(doc, end, _MAX_MODIFIERS)):
            if word in self.equipment or (position and word in self.qualified_heads):
                following = doc[i] if i < len(doc) else None
                if following is None or following.pos_ not in ("NOUN", "PROPN"):
                    return doc[i - 1]
                if word not in self.modifiers:  # "ballistic missiles": a modifier still
                    return None
            if word in self.modifiers or _CALIBRE.match(word):
                continue
            # A mark right after the name: "Arjun Mk-1A tanks", "Centauro II tank destroyers".
            if position == 0 and (_ROMAN_NUMBER_WORD.match(word) or word.startswith("mk")):
                continue
            return None
        return None

    def _name_goes_on(self, doc: Doc, end: int) -> bool:
        """Whether the name before token `end` goes on in title case with words of a weapon's
        own name, a word of war among them or two of them: "the Patriot Air and Missile Defense
        System", "Patriot Air Defense units" (not "Patriot Air", "Javelin Park")."""
        words, of_war = 0, False
        for token in doc[end : end + _MAX_NAME_TOKENS]:
            if token.is_title and token.lower_ in self.words_of_name:
                words += 1
                of_war = of_war or token.lower_ in self.military
            elif not (words and token.lower_ in ("and", "&")):
                break
        return of_war or words >= _NAME_WORDS_AFTER

    def _fits(self, doc: Doc, candidate: Candidate, named_tokens: set[int]) -> bool:
        start, end = candidate.start, candidate.end
        around = [*doc[max(0, start - _MAKER_WINDOW) : start], *doc[end : end + _MAKER_WINDOW]]
        if any(t.lower_ in self.makers and t.i not in named_tokens for t in around):
            return False
        if end + 2 <= len(doc) and _is_class_suffix(doc, end + 2):
            # "the Type 039A-class submarine": a designation that names a class is a ship's.
            return True
        if candidate.context is Context.CLASS_NOUN:
            # Not a word of a longer name ("the K808 White Tiger wheeled vehicles", "T129 ATAK
            # helicopters").
            previous = doc[start - 1] if start > 0 else None
            noun = self._kind_noun_after(doc, end)
            return (
                noun is not None
                and not _opens_sentence(doc[start])  # "Hurricane reconnaissance aircraft flew"
                and noun.lower_ not in _PEOPLES_NOUNS  # "Fatah fighters", "Tiger fighter Khan"
            ) and (
                previous is None
                or previous.lower_ in self.owners
                or previous.like_num  # a count: "118 Arjun Mk-1A main battle tanks"
                or not (previous.is_title or previous.is_upper or _has_digit(previous.text))
            )
        if candidate.context is Context.ADJACENT:
            # "a K-55 self-propelled howitzer": a hyphenated modifier is one word; "a new cruise
            # missile, the Padasuri-6": the noun may stand before the name in apposition.
            before = start
            while (
                before > 0
                and start - before < _APPOSITION
                and doc[before - 1].lower_ in (",", "the")
            ):
                before -= 1
            window = doc[max(0, before - 1) : before].text.lower().split() + _words_after(
                doc, end, _INDEX_WINDOW
            )
            return any(word in self.equipment for word in window)
        if self._name_goes_on(doc, end) or (
            not _opens_sentence(doc[start]) and self._kind_noun_after(doc, end) is not None
        ):
            return True
        near = doc[max(0, start - _EQUIPMENT_WINDOW) : end + _EQUIPMENT_WINDOW]
        # The class noun right after the name is one in any case: "the Type 23 Frigate".
        if any(
            token.lower_ in self.equipment and (_is_cue(token) or token.i == end) for token in near
        ):
            return True
        close = doc[max(0, start - _MILITARY_WINDOW) : end + _MILITARY_WINDOW]
        return any(token.lower_ in self.military and _is_cue(token) for token in close)


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def _words_after(doc: Doc, end: int, count: int) -> list[str]:
    """The `count` words after token `end`, in lower case, a hyphenated word as one
    ("self-propelled")."""
    return [word for word, _ in _word_ends_after(doc, end, count)]


def _word_ends_after(doc: Doc, end: int, count: int) -> list[tuple[str, int]]:
    """The `count` words after token `end` as `_words_after` reads them, each with the token
    where it ends."""
    words: list[tuple[str, int]] = []
    i = end
    while i < len(doc) and len(words) < count:
        word_end = i + 1
        while (
            word_end + 1 < len(doc)
            and doc[word_end].text in _DASHES
            and not doc[word_end - 1].whitespace_
            and not doc[word_end].whitespace_
        ):
            word_end += 2
        words.append((doc[i:word_end].text.lower(), word_end))
        i = word_end
    return words


def _has_name_after(doc: Doc, end: int) -> bool:
    """Whether a name in title case follows token `end`, one or two words long, and then no
    other capitalised word ("UH-12 Squirrel.", "AF-1 Skyhawk interception aircraft")."""
    name_end = end
    while name_end < min(len(doc), end + _MAX_NAME_WORDS + 1) and doc[name_end].is_title:
        word = doc[name_end].lower_
        if not doc[name_end].is_alpha or word in _NAME_GOES_ON or word in _PLACE_NAME_HEADS:
            return False  # "M36 Mk 6": a mark, no name; "K-7 Shipyard", "N-5 Highway": places
        name_end += 1
    return end < name_end <= end + _MAX_NAME_WORDS


def _acronym_after(doc: Doc, end: int) -> str | None:
    """The acronym in brackets right after token `end` ("... helicopters (ALH)"), or None."""
    if end + 2 < len(doc) and doc[end].text == "(" and doc[end + 2].text == ")":
        acronym = doc[end + 1].text
        if _WEAPON_ACRONYM.match(acronym) or acronym.isupper():
            return acronym.rstrip("s")
    return None


_LIST_JOINERS = frozenset([",", "and", "or"])
_NUMBERED_NAME = re.compile(r"^(?P<name>.*?[A-Za-z][\s-]?)(?P<number>\d{1,4})$")


def _listed_numbers(doc: Doc, candidates: list[Candidate], cues: frozenset[str]) -> list[Candidate]:
    """The other numbers of a family listed after one of its weapons: "Fajr 3, 4 and 5 rockets"
    names the Fajr 4 and Fajr 5 too, "Hwasong-15 and -17 missiles" the Hwasong-17; the cue
    word that ends the list confirms them all. Its numbers have as many digits as the first
    ("the F-16 and 35 other jets", "F-16s and 4 tanks" list no F-35 or F-4)."""
    found: list[Candidate] = []
    for candidate in candidates:
        named = _NUMBERED_NAME.match(candidate.canonical) if candidate.label == WEAPON else None
        if named is None or not doc[candidate.end - 1].text.endswith(named["number"]):
            continue
        listed = _numbers_listed(doc, candidate.end, len(named["number"]))
        after = listed[-1] + 1 if listed else candidate.end
        if not listed or after >= len(doc) or doc[after].lower_ not in cues:
            continue
        found.append(replace(candidate, context=Context.NONE))
        found += [
            Candidate(
                at, at + 1, WEAPON, named["name"] + doc[at].text.lstrip(_DASHES), Context.NONE
            )
            for at in listed
        ]
    return found


def _numbers_listed(doc: Doc, end: int, digits: int) -> list[int]:
    """The tokens of the numbers listed from `end` (", 4 and 5", " and -17"), up to the one
    after "and" or "or"; none where the list does not close so."""
    listed: list[int] = []
    i = end
    while len(listed) < _MAX_VARIANTS and i + 1 < len(doc) and doc[i].lower_ in _LIST_JOINERS:
        number = doc[i + 1].text.lstrip(_DASHES)
        if not (number.isdigit() and len(number) == digits):
            return []
        listed.append(i + 1)
        if doc[i].lower_ != ",":
            return listed
        i += 2
    return []


def _named_in_full(candidates: list[Candidate]) -> list[Candidate]:
    """A designation that ends another weapon's name in the same story is that weapon: "TB2s"
    after "Bayraktar TB2", "XA-188" after "Pasi XA-188" (one system, not two)."""
    full_names: dict[str, str] = {}
    for candidate in candidates:
        if candidate.label == WEAPON:
            words = candidate.canonical.split()
            for first in range(1, len(words)):
                full_names.setdefault(" ".join(words[first:]).lower(), candidate.canonical)
    return [
        replace(candidate, canonical=full_names[candidate.canonical.lower()])
        if candidate.label == WEAPON
        and candidate.canonical.lower() in full_names
        and _has_digit(candidate.canonical)
        else candidate
        for candidate in candidates
    ]


def _without_makers(candidates: list[Candidate]) -> list[Candidate]:
    """Weapons written after their maker's name start after it: "Dassault Rafale" is the
    maker Dassault and the Rafale, "Embraer KC-390" Embraer and the KC-390."""
    makers = {c.start: c.end for c in candidates if c.label == ORG}
    return [
        Candidate(makers[c.start], c.end, c.label, c.canonical, c.context, c.listed)
        if c.label == WEAPON and c.start < makers.get(c.start, c.start) < c.end
        else c
        for c in candidates
    ]


def _spelled_out(doc: Doc, opening: int, acronym: str) -> int | None:
    """Where the capitalised words before `opening` start whose initials spell `acronym`
    ("Joint Stand Off Weapons" of JSOW; hyphenated words give one initial each part, small
    words such as "of" none), or None."""
    letters = acronym.upper()
    start, matched = opening, len(letters)
    while start > 0 and opening - start <= len(letters) + _SPELLING_SLACK:
        token = doc[start - 1]
        if token.text in _DASHES and not token.whitespace_:
            start -= 1
            continue
        if token.is_lower and token.lower_ in _SMALL_WORDS:
            start -= 1
            continue
        if not (token.is_title or token.is_upper) or not token.is_alpha or matched == 0:
            break
        if token.text[0].upper() != letters[matched - 1]:
            return None
        matched -= 1
        start -= 1
        if matched == 0:
            return start
    return None


def _shortened(doc: Doc, candidate: Candidate, names: set[str]) -> Candidate:
    """The "-class" candidate cut to a shorter one of `names` that ends its name, if any."""
    name_end = candidate.end - 2
    for start in range(candidate.start + 1, name_end):
        shorter = _normalised(doc[start:name_end].text)
        if shorter in names:
            return Candidate(start, candidate.end, WEAPON, shorter, candidate.context)
    return candidate


def _without_glosses(doc: Doc, candidates: list[Candidate]) -> list[Candidate]:
    """Drops a weapon's other name given in brackets right after it, when both are listed for
    the same system: "Tien Kung (Sky Bow)" is one missile, named once."""
    by_start = {c.start: c for c in candidates if c.label == WEAPON and c.listed is not None}
    glosses = set()
    for candidate in by_start.values():
        opening = candidate.end
        gloss = by_start.get(opening + 1)
        if (
            gloss is not None
            and doc[opening].text == "("
            and gloss.end < len(doc)
            and doc[gloss.end].text == ")"
            and gloss.listed == candidate.listed
        ):
            glosses.add(id(gloss))
    return [c for c in candidates if id(c) not in glosses]


# From the least to the most context a candidate needs.
_CONTEXT_ORDER = [Context.NONE, Context.NEAR, Context.ADJACENT, Context.CLASS_NOUN]


def _with_nicknames(doc: Doc, candidates: list[Candidate]) -> list[Candidate]:
    """Joins a designation and the nickname written right after it into one weapon, when the
    nickname is listed for the designation's family: "AH-64E" "Apache" is the "AH-64E Apache"
    (one helicopter, not two weapons)."""
    by_start = {c.start: c for c in candidates if c.label == WEAPON and c.listed is not None}
    joined: list[Candidate] = []
    absorbed: set[int] = set()
    for candidate in candidates:
        nickname = by_start.get(candidate.end)
        if (
            candidate.label == WEAPON
            and nickname is not None
            and nickname.listed is not None
            and candidate.listed == nickname.listed
            and nickname is not candidate
        ):
            # Two names of one entry side by side ("AIM-9X Sidewinder", "Bayraktar" "TB2"): one
            # weapon, named by its entry unless that carries a class noun ("Nirbhay missile").
            listed = candidate.listed or ""
            name = candidate.canonical if any(w.islower() for w in listed.split()) else listed
            joined.append(
                Candidate(
                    candidate.start,
                    nickname.end,
                    WEAPON,
                    name,
                    min(candidate.context, nickname.context, key=_CONTEXT_ORDER.index),
                    candidate.listed,
                )
            )
            absorbed.add(id(nickname))
        elif (
            candidate.label == WEAPON
            and candidate.listed is None
            and nickname is not None
            and nickname.listed is not None
            and candidate.canonical.lower().startswith(nickname.listed.split()[0].lower())
        ):
            # Named by its designation ("AH-64E Apache" is an AH-64), or by the listed name
            # that spells it out ("RS-28 Sarmat").
            listed = nickname.listed
            spelled = listed.lower().startswith(candidate.canonical.lower())
            name = listed if spelled else candidate.canonical
            context = min(candidate.context, nickname.context, key=_CONTEXT_ORDER.index)
            joined.append(Candidate(candidate.start, nickname.end, WEAPON, name, context))
            absorbed.add(id(nickname))
        else:
            joined.append(candidate)
    return [c for c in joined if id(c) not in absorbed]


def _listed_beside_weapons(
    doc: Doc, candidates: list[Candidate], confirmed: list[Candidate]
) -> list[Candidate]:
    """Names that need a cue, listed right beside a weapon the doc confirms: "Gepard, IRIS-T,
    Patriot", "additional Patriot and IRIS-T systems" (a list of weapons is its own cue)."""
    found: list[Candidate] = []
    waiting = [c for c in candidates if c.label == WEAPON and c.context is Context.NEAR]
    for _ in range(_MAX_LISTED_NAMES):
        starts = {c.start for c in (*confirmed, *found) if c.label == WEAPON}
        ends = {c.end for c in (*confirmed, *found) if c.label == WEAPON}
        listed = [
            c
            for c in waiting
            if c not in confirmed
            and c not in found
            and (_joined_after(doc, c.start) in ends or _joined_before(doc, c.end) in starts)
        ]
        if not listed:
            break
        found += listed
    return found


def _joined_after(doc: Doc, start: int) -> int | None:
    """Where the name before a list's joiner ends, for a name at `start` ("F-16, four
    Chinooks": a count may stand between the joiner and the name)."""
    joiner = start - 1 - (start >= 1 and doc[start - 1].like_num)
    return joiner if joiner >= 1 and doc[joiner].lower_ in _LIST_JOINERS else None


def _joined_before(doc: Doc, end: int) -> int | None:
    """Where the name after a list's joiner starts, for a name ending at `end`."""
    if end + 1 >= len(doc) or doc[end].lower_ not in _LIST_JOINERS:
        return None
    return end + 1 + (end + 2 < len(doc) and doc[end + 1].like_num)


def _with_names_after_designations(
    doc: Doc, candidates: list[Candidate], listed: frozenset[str]
) -> list[Candidate]:
    """Joins a designation and the one-word name written right after it (with its class noun):
    "an An-124-100 Ruslan heavy transport plane" is the An-124 and "RIM-66 Standard missiles"
    the RIM-66 (the guideline names "S-400 Triumf" the S-400), not two weapons each."""
    names = {
        c.start: c
        for c in candidates
        if c.label == WEAPON
        and all(token.is_lower for token in doc[c.start + 1 : c.end])
        and doc[c.start].is_alpha
        and doc[c.start].is_title
        # "RS-28 Sarmat" is listed so: the entry names it.
        and doc[c.start].lower_ not in listed
    }
    if not names:
        return candidates
    joined: list[Candidate] = []
    absorbed: set[int] = set()
    for candidate in candidates:
        name = names.get(candidate.end)
        if (
            candidate.label == WEAPON
            and name is not None
            and name is not candidate
            and doc[candidate.end - 1].whitespace_
            and _DESIGNATION.match(doc[candidate.start : candidate.end].text.replace(" ", ""))
        ):
            joined.append(replace(candidate, end=name.end))
            absorbed.add(id(name))
        else:
            joined.append(candidate)
    return [c for c in joined if id(c) not in absorbed]


def _without_variants_written_apart(doc: Doc, candidates: list[Candidate]) -> list[Candidate]:
    """Drops a short designation written apart right after a weapon's name: the "A6" of
    "Leopard2 A6 tanks" is the Leopard's variant, not an A-6 bomber."""
    ends = {c.end for c in candidates if c.label == WEAPON}
    return [
        c
        for c in candidates
        if not (
            c.label == WEAPON
            and c.listed is None
            and c.start in ends
            and doc[c.start - 1].whitespace_
            and _VARIANT_LETTERS.match(doc[c.start : c.end].text)
        )
    ]


class _Pattern(Protocol):
    def fullmatch(self, text: str) -> object | None: ...


def _civil_aircraft(patterns: list[str]) -> "_Pattern | None":
    if not patterns:
        return None
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a bad pattern is reported as a GazetteerError
    # Plurals too: "CRJ900s".
    pattern = "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")s?"
    try:
        compiled: _Pattern = re2.compile(pattern, options)
    except re2.error as error:
        raise GazetteerError(
            f"a civil_aircraft pattern of the weapon gazetteer is not valid ({error}): write it "
            "without look-arounds or back-references (RE2 syntax)."
        ) from error
    return compiled


def _digit_tokens(doc: Doc) -> list[int]:
    """The tokens with a digit, found from the text's digits."""
    digits = [match.start() for match in _DIGITS.finditer(text_of(doc))]
    if not digits:
        return []
    return sorted({int(i) for i in numpy.searchsorted(doc.to_array("IDX"), digits, "right") - 1})


_DIGITS = re.compile(r"\d+")
_SHAPES = ("designation", "index", "ship", "split", "roman", "spaced")


def _ship_name_ends(doc: Doc, start: int) -> list[int]:
    """The ends of each reading of a ship's name from `start`: one capitalised word or more
    ("Gerald R. Ford"), or such words, "of" and such words ("Prince of Wales")."""
    ends = []
    for end in range(start, len(doc)):
        if not doc[end].is_title:
            break
        ends.append(end + 1)
        if end + 2 < len(doc) and doc[end + 1].lower_ == "of":
            after = end + 2
            while after < len(doc) and doc[after].is_title:
                after += 1
                ends.append(after)
    return ends


class _Words:
    """The words of a doc as written (tokens joined without a space or a word-ending mark),
    each found once: a run of designations glued together ("F-16/Su-35-M/...") is read once,
    not once per designation in it."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self._starts: dict[int, int] = {}
        self._ends: dict[int, int] = {}
        self._matched: dict[tuple[int, int], bool] = {}

    def around(self, candidate: Candidate) -> tuple[int, int]:
        """The word the candidate's tokens are part of."""
        return self._start(candidate.start), self._end(candidate.end)

    def _start(self, start: int) -> int:
        doc, path = self.doc, []
        while start not in self._starts:
            if start > 0 and not doc[start - 1].whitespace_ and not _ends_word(doc[start - 1]):
                path.append(start)
                start -= 1
            else:
                self._starts[start] = start
        for i in path:
            self._starts[i] = self._starts[start]
        return self._starts[start]

    def _end(self, end: int) -> int:
        doc, path = self.doc, []
        while end not in self._ends:
            if end < len(doc) and not doc[end - 1].whitespace_ and not _ends_word(doc[end]):
                path.append(end)
                end += 1
            else:
                self._ends[end] = end
        for i in path:
            self._ends[i] = self._ends[end]
        return self._ends[end]

    def matches(self, pattern: "_Pattern", start: int, end: int) -> bool:
        """Whether tokens start..end, as one normalised text, match the pattern in full."""
        if (start, end) not in self._matched:
            text = _normalised(self.doc[start:end].text)
            self._matched[start, end] = pattern.fullmatch(text) is not None
        return self._matched[start, end]


def _ends_word(token: Token) -> bool:
    # Dashes and slashes join the parts of a designation; other punctuation ends it.
    return token.is_punct and token.text not in (*_DASHES, "/")


def _is_cue(token: Token) -> bool:
    # A cue is a common word or an acronym ("RAF"): "the Jets" next to "the Patriots" is a team,
    # however the tagger read it.
    if token.is_title and not token.is_sent_start:
        previous = token.doc[token.i - 1]
        if previous.lower_ == "the":
            return False
    return not (token.pos_ == "PROPN" and token.is_title)


def _beside(doc: Doc, start: int, end: int, words: frozenset[str], window: int) -> bool:
    around = [*doc[max(0, start - window) : start], *doc[end : end + window]]
    return any(token.lower_ in words for token in around)


def _is_class_suffix(doc: Doc, end: int) -> bool:
    return (
        end >= 3
        and doc[end - 1].lower_ == "class"
        and doc[end - 2].text in _DASHES
        and not doc[end - 3].whitespace_
        and not doc[end - 2].whitespace_
    )


# A mark or block after a name ("Puma M36 Mk 6" is a Puma M36), not a name of its own ("MK 8").
_MARK = re.compile(r"(?<=\S)\s+(?:mk|mark|block)\.?\s*\d+$", re.IGNORECASE)
# A variant letter after a name ("Qadr-F" is a Qadr); not a Roman number ("Agni-V").
_VARIANT_LETTER = re.compile(r"(?<=[a-z]{2})-[A-HJ-UWYZ]$")
# Verbs that give a name: "a fighter plane, to be called Tempest".
_CALLING = frozenset({"called", "named", "dubbed", "designated", "codenamed", "code-named"})
_CALLING_GAP = 5
# How many names a list before a class noun may hold ("Vidhwansak, AK-47 and INSAS rifles").
_MAX_LISTED_NAMES = 6
_LIST_JOINERS = frozenset([",", "and", "or"])
# An acronym in brackets that may name a weapon: "JSOW", "LRASMs", "PrSM".
_WEAPON_ACRONYM = re.compile(r"^[A-Z][A-Za-z]{1,5}[A-Z]s?$")
# Words of a spelled-out name that do not by themselves make it a weapon's.
_GENERIC_SYSTEM_WORDS = frozenset(
    ["system", "systems", "vehicle", "vehicles", "aircraft", "engine", "engines", "plane",
     "planes", "radar", "radars", "air", "light", "medium", "heavy", "launch", "class",
     "utility", "transport", "surveillance", "reconnaissance", "precision", "maritime"]
)  # fmt: skip
# The last word of a spelled-out weapon's name: "Joint Stand Off Weapons", "Precision Strike
# Missile", "Ground-Based Interceptor", not "Kenya Defence Forces".
_EXPANSION_HEADS = frozenset(
    ["weapon", "weapons", "missile", "missiles", "rocket", "rockets", "launcher", "launchers",
     "torpedo", "torpedoes", "bomb", "bombs", "munition", "munitions", "system", "systems",
     "vehicle", "vehicles", "interceptor", "interceptors", "gun", "guns", "howitzer",
     "howitzers", "drone", "drones", "tank", "tanks"]
)  # fmt: skip
# Small words a spelled-out name may hold that give no letter ("Chief of Staff").
_SMALL_WORDS = frozenset(["of", "and", "the", "for", "to", "on"])
_SPELLING_SLACK = 3
# Titles in capitals before a person's name: "Baykar CTO Selcuk Bayraktar".
_EXECUTIVES = frozenset(["ceo", "cto", "cfo", "coo", "mp", "mr", "dr", "gen", "gen."])
# How far the vessel or weapon noun may be after "-class" ("Ghadir-class Iranian navy submarine").
_CLASS_NOUN_GAP = 4
# Words before "-class" that grade rather than name: "world-class", "First-Class".
_NOT_CLASS_NAMES = frozenset(
    ["world", "first", "second", "third", "top", "middle", "business", "economy", "high", "low",
     "working", "upper", "lower", "premier", "elite", "master", "in", "same", "new"]
)  # fmt: skip
# Hull classification symbols: a ship's type, not its class ("a PGG missile patrol ship", "the
# SSN 774 submarines" of the Virginia class).
_TYPE_SYMBOLS = frozenset(
    ["SSN", "SSBN", "SSGN", "SSK", "DDG", "FFG", "CVN", "CG", "LHD", "LHA", "LPD", "LSD", "LST",
     "LCS", "PGG", "PG", "PC", "OPV", "MCM", "MCMV", "FAC", "FFH", "DDH", "AOR", "LCU"]
)  # fmt: skip
_CLASS_OF_FORM = re.compile(r"[\s-]class\b", re.IGNORECASE)
# Vessels of any trade: only military words around say that their class is a navy's.
_CIVIL_VESSELS = frozenset(["ship", "ships", "vessel", "vessels", "boat", "boats"])
_LINERS_WORDS = frozenset(["cruise"])  # a military word ("cruise missile") that liners use too
_NAVAL_DUTIES = frozenset(["patrol", "patrols", "amphibious", "landing", "coastguard", "guard"])
_VESSELS = _CIVIL_VESSELS | frozenset(
    ["carrier", "carriers", "frigate", "frigates", "destroyer", "destroyers", "corvette",
     "corvettes", "submarine", "submarines", "warship", "warships", "cruiser", "cruisers"]
)  # fmt: skip


def _is_ship_by_name(doc: Doc, start: int, end: int) -> bool:
    """Whether a match is a vessel noun and the capitalised name after it ("carrier Shandong",
    "flagship Moskva"), not a class ("Kilo-class submarine")."""
    noun, name = doc[start], doc[start + 1 : end]
    return (
        (noun.lower_ in _VESSELS or noun.lower_ == "flagship")
        and len(name) > 0
        and all(t.is_title or t.lower_ in _NAME_PARTICLES for t in name)
        and name[0].is_title
    )


# A single ship's noun, and the words that may stand between its name and the noun.
_SHIP_NOUNS = frozenset(
    ["carrier", "submarine", "cruiser", "frigate", "destroyer", "corvette", "warship", "ship"]
)
_SHIP_KINDS = frozenset(
    ["aircraft", "helicopter", "amphibious", "assault", "nuclear", "missile", "guided-missile",
     "battle", "attack", "-"]
)  # fmt: skip


def _ship_named_before_noun(doc: Doc, start: int, end: int) -> int:
    """Where the name ends in a match of a name written in words and one ship's noun ("the
    Liaoning aircraft carrier", "the Moskva cruiser"), else 0: one ship, not its class, which
    is written as such ("Kirov-class cruiser"), with a number ("Type 003 carrier"), in capitals
    ("FREMM frigate"), in title case ("Littoral Combat Ship"), in the plural, after an article
    other than "the" ("an Anzac frigate") or before another noun ("submarine pipeline")."""
    noun = doc[end - 1]
    if end - start < 2 or not noun.is_lower or noun.lower_ not in _SHIP_NOUNS:
        return 0  # "Littoral Combat Ship": a class's name in title case
    # "a Cassard frigate", "its Barracuda submarine", "the Scorpene submarine pipeline": a class.
    if start == 0 or doc[start - 1].lower_ not in ("the", "'s", "’s"):
        return 0
    if end < len(doc) and doc[end].pos_ in ("NOUN", "PROPN"):
        return 0
    name_end = end - 1
    while name_end > start and doc[name_end - 1].lower_ in _SHIP_KINDS:
        name_end -= 1
    name = doc[start:name_end]
    written_as_one = all(
        (t.is_title and t.is_alpha and t.lower_ not in ("class", "type"))
        or (t.lower_ in _NAME_PARTICLES and t.i > start)
        for t in name
    )
    return name_end if len(name) and written_as_one else 0


def _is_name_part(doc: Doc, i: int) -> bool:
    """Whether token `i` may be a word of a name written after "called": a word in title or
    upper case, a designation ("M-SAM"), or the hyphen inside one."""
    token = doc[i]
    if token.text in _DASHES:
        return i > 0 and not doc[i - 1].whitespace_ and not token.whitespace_
    return not token.is_punct and (
        token.is_title or token.is_upper or any(char.isupper() for char in token.text)
    )


# Small words inside a class's name after a person ("Jacob van Heemskerk", "Vasco da Gama").
_NAME_PARTICLES = frozenset(["van", "von", "der", "de", "da", "del", "di", "la", "le", "of"])


def _bracketed_class_name(doc: Doc, at: int, nouns: frozenset[str]) -> tuple[int, int] | None:
    """The name written in brackets before "class" (token `at`) right after a class noun, as
    (start, end): "frigates (Jacob van Heemskerk class)"; None where there is none."""
    if at + 1 >= len(doc) or doc[at + 1].text != ")":
        return None
    opening = at - 1
    while opening > max(0, at - 1 - _MAX_NAME_TOKENS) and doc[opening].text != "(":
        opening -= 1
    if opening < 1 or doc[opening].text != "(" or doc[opening - 1].lower_ not in nouns:
        return None
    name = doc[opening + 1 : at]
    if (
        not name
        or not name[0].is_title
        or not all(
            t.is_title or t.is_upper or t.like_num or t.lower_ in _NAME_PARTICLES for t in name
        )
    ):
        return None
    return name.start, name.end


def _names_a_class(doc: Doc, end: int) -> bool:
    """Whether the name ending at token `end` is followed by "class" ("Guardian class",
    "Guardian-class")."""
    after = end + (end < len(doc) and doc[end].text in _DASHES and not doc[end - 1].whitespace_)
    return after < len(doc) and doc[after].lower_ == "class"


def _after_a_letter(doc: Doc, start: int) -> bool:
    """Whether token `start` is written on after a single letter and a dash: "X2" of "Project
    F-X2" is a programme's, not a designation of its own."""
    return (
        start > 1
        and _word_start(doc, start) == start - 2
        and len(doc[start - 2].text) == 1
        and doc[start - 2].is_alpha
    )


def _word_start(doc: Doc, index: int) -> int:
    """The first token of the hyphenated word that token `index` ends: "surface-to-air" is
    five tokens, one word."""
    start = index
    while (
        start > 0
        and not doc[start - 1].whitespace_
        and (doc[start - 1].text in _DASHES or doc[start].text in _DASHES)
    ):
        start -= 1
    return start


def _name_before(doc: Doc, end: int) -> Span | None:
    """The capitalised name that ends at token `end`: words in title or upper case, numbers with
    letters ("TB2") and the hyphens that join them ("Agni-II"), not a sentence's first word unless
    it is a proper noun."""
    start = end
    while start > 0 and end - start < _MAX_NAME_TOKENS:
        token = doc[start - 1]
        joined = token.text in (*_DASHES, "/") and not token.whitespace_ and start - 1 > 0
        written = (
            token.is_title
            or token.is_upper
            or (_has_digit(token.text) and any(c.isupper() for c in token.text))
            # "the MK 8 main gun": a number written apart after a name in capitals ends it.
            or (start == end and start > 1 and _names_a_number(doc, start - 1))
        )
        if not (joined or (written and not token.is_punct)):
            break
        if _opens_sentence(token) and token.pos_ != "PROPN":
            break
        start -= 1
    return doc[start:end] if start < end else None


def _is_word(token: Token) -> bool:
    """Whether a token is a word of letters, or one with a Roman number in its own Unicode
    characters after it ("Cheongung-Ⅱ", one token as the tokenizer reads it)."""
    return (token.is_alpha and len(token) > 1) or bool(_UNICODE_ROMAN_NUMBERED.match(token.text))


def _is_epithet(doc: Doc, start: int) -> bool:
    """Whether the name at token `start` ends a ruler's name: "Great" of "Gwanggaeto the
    Great", "Peter the Great"."""
    return start >= 2 and doc[start - 1].text == "the" and doc[start - 2].is_title


def _is_titled_class(doc: Doc, name: Span, head: int) -> bool:
    """Whether a class in title case names the one word before it: "the ISPR said Babar Cruise
    Missile ...", not a headline's or a spelled-out name's words ("Indigenous Technology Cruise
    Missile", "Army Tests New Missile")."""
    before = doc[name.start - 1] if name.start > 0 else None
    return (
        len(name) == 1
        and name[0].is_alpha
        and not name[0].is_sent_start
        and name.end < head
        and all(token.is_title for token in doc[name.end : head])
        and (before is None or not (before.is_title or before.is_upper))
    )


def _names_a_number(doc: Doc, i: int) -> bool:
    before = doc[i - 1]
    return (
        doc[i].is_digit
        and bool(_SPACED_VARIANT.match(doc[i].text))
        and before.whitespace_ == " "
        and before.is_alpha
        # In capitals or a mark: "Ariane 5", "Falcon 9" before "launcher" are space rockets'.
        and (before.is_upper or before.lower_ in _NAME_GOES_ON)
        and not before.is_sent_start
    )


def _opens_sentence(token: Token) -> bool:
    """Whether a token starts a sentence, by the parse, by the line break before it (the parse
    may run a headline with no full stop on into the first words of the body) or by a
    dateline's colon ("BANGKOK (AFP): Fewer tanks patrolled")."""
    if token.is_sent_start or token.i == 0:
        return True
    before = token.doc[token.i - 1]
    return "\n" in before.text_with_ws or _ends_dateline(token.doc, token.i - 1)


def _ends_dateline(doc: Doc, i: int) -> bool:
    """Whether token `i` is a dateline's colon: after a place in capitals or an agency's bracket
    ("NEW DELHI:", "BANGKOK (AFP):"), not a list's ("the package includes: Vampire launchers")."""
    if not doc[i].text.endswith(":"):
        return False
    before = doc[i - 1] if doc[i].text == ":" and i > 0 else doc[i]
    return before.text.rstrip(":").endswith(")") or (before.is_upper and before.is_alpha)


def _roman_number(doc: Doc, name_end: int, end: int) -> str:
    """The Roman number a listed name's extension gives it ("-II" of "Prithvi-II", and of the
    plural "Prithvi-IIs"), else ""."""
    if end - name_end != 2 or doc[name_end].text not in _DASHES:
        return ""
    number = doc[name_end + 1].text
    number = number[:-1] if number.endswith("s") else number
    return f"-{number}" if number in _ROMAN else ""


def _singular(suffix: str) -> str:
    # "MiG-29s", "F-16s", "F-16Vs" are plurals; "Su-35S" is a variant.
    if suffix.endswith("s") and (len(suffix) == 1 or not suffix[-2].islower()):
        return suffix[:-1]
    return suffix


def _normalised(text: str) -> str:
    return _DASH.sub("-", " ".join(text.split()))


def _system_number(word: str) -> str:
    """The number naming a system, less its variant letters: "2" of "2B", "II" of "IIE"."""
    return _DIGIT_VARIANT.sub(r"\1", _ROMAN_VARIANT.sub(r"\1", word))


def _numbered_after(doc: Doc, end: int) -> bool:
    """Whether a number written apart after a name is part of it ("Sky Bow III", "Hyunmoo 4"):
    a Roman one always, a digit unless it counts the plural after it ("12 Hawk 2 jets" may be
    two jets; a Roman numeral counts nothing)."""
    if end >= len(doc) or not doc[end - 1].whitespace_:
        return False
    if not _SPACED_VARIANT.match(_system_number(doc[end].text)):
        return False
    if not doc[end].text.isdigit():
        return True
    return end + 1 >= len(doc) or doc[end + 1].tag_ != "NNS"


def _extend(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Widens a designation over variant letters attached to it ("Iskander-M", "F/A-18"), at
    most _MAX_VARIANTS of them: past that it is a run of designations glued together, and
    widening each over the whole run would cost the square of its length."""
    variants = 0
    while (
        variants < _MAX_VARIANTS
        and end + 1 < len(doc)
        and not doc[end - 1].whitespace_
        and doc[end].text in ("/", *_DASHES)
        and not doc[end].whitespace_
        and _VARIANT.match(doc[end + 1].text)
    ):
        end += 2
        variants += 1
    if end < len(doc) and not doc[end - 1].whitespace_ and _TAIL.match(doc[end].text):
        end += 1
    if (
        start >= 2
        and doc[start - 1].text == "/"
        and not doc[start - 2].whitespace_
        and not doc[start - 1].whitespace_
        and _VARIANT.match(doc[start - 2].text)
    ):
        start -= 2
    return start, end


class EntityCleanup:
    """Relabels one-word ORG/GPE mentions that are the surname of a PERSON in the same doc, and
    capitals the model read as a person or an organisation ("sent tanks to Kyiv") as GPE."""

    def __init__(
        self, capitals: Iterable[str] = (), artefacts: ArtefactRules | None = None
    ) -> None:
        self.capitals = frozenset(name.casefold() for name in capitals)
        self.artefacts = artefacts

    def __call__(self, doc: Doc) -> Doc:
        self._relabel(doc, capitals=True)
        if self.artefacts is not None:
            doc.ents = self.artefacts(doc)
            # A person the corrections named whole ("Foreign Ministers Murat Nurtleu" is Murat
            # Nurtleu) makes the model's "Nurtleu" elsewhere that person too.
            self._relabel(doc, capitals=False)
        drop_uncapitalised_names(doc)
        correct_bodies_read_as_people_or_places(doc)
        if self.artefacts is not None:
            split_coordinated_places(doc, self.artefacts.is_country)
        split_coordinated_services(doc)
        relabel_places_named_so(doc)
        extend_places_to_their_kind(doc)
        return doc

    def _relabel(self, doc: Doc, *, capitals: bool) -> None:
        # doc.ents makes every span anew: read once.
        ents = list(doc.ents)
        # As written: "UN" is not the "Un" of "Kim Jong Un".
        surnames = {ent[-1].text for ent in ents if ent.label_ == PERSON and len(ent) > 1}
        changed = False
        for i, ent in enumerate(ents):
            if ent.id_:
                continue
            name = _without_possessive(ent)
            if ent.label_ in ("ORG", "GPE", "NORP") and name in surnames:
                ents[i] = Span(doc, ent.start, ent.end, label=PERSON)
                changed = True
            elif capitals and ent.label_ in (PERSON, ORG) and name.casefold() in self.capitals:
                ents[i] = Span(doc, ent.start, ent.end, label="GPE")
                changed = True
        if changed:
            doc.ents = ents


# Entities that are names only when written as names: places and people.
_PROPER_LABELS = frozenset({PERSON, "GPE", "LOC", "FAC"})


def drop_uncapitalised_names(doc: Doc) -> None:
    """Removes places and people written without a capital letter: the model's "kingdom" of
    "the kingdom of Saudi Arabia", "south east", "east coast", "bush"; a place or a person is
    named with one ("west Africa" keeps it). Organisations are left: "defence ministry" is one."""
    ents = list(doc.ents)
    kept = [
        ent
        for ent in ents
        if ent.label_ not in _PROPER_LABELS or any(char.isupper() for char in ent.text)
    ]
    if len(kept) < len(ents):
        doc.ents = kept


# Words that name a body and are nobody's name ("Court", "Wing" and "Fleet" are surnames too).
_BODY_WORDS = frozenset(
    ["agency", "army", "battalion", "brigade", "command", "commission", "committee", "corps",
     "council", "department", "directorate", "division", "embassy", "federation", "forces",
     "group", "headquarters", "institute", "laboratory", "marines", "military", "ministry",
     "mission", "navy", "office", "organisation", "organization", "police", "regiment",
     "secretariat", "squadron", "staff", "university"]
)  # fmt: skip


# Nor is a meeting of them anyone's name: "Defence Ministers Meeting".
_NO_PERSON_WORDS = _BODY_WORDS | {"ministers", "meeting", "summit", "conference", "forum"}
# Of the body's words, those that name no place either ("Russian Federation", "Council Bluffs" and
# "University Park" are places).
_BODY_NOT_PLACE_WORDS = _BODY_WORDS - {"federation", "council", "university", "group", "office",
                                       "mission", "division", "military"}  # fmt: skip


def correct_bodies_read_as_people_or_places(doc: Doc) -> None:
    """Removes people whose name holds a body's word: the model's "General Staff", "Keeping
    Mission" (of "Peace Keeping Mission"), "Headquarters", "County Police"; makes places whose
    name holds one bodies ("Headquarters NAVCENT", "Indo-Pacific Command"); removes "the
    General Headquarters" of any army, which names no one body."""
    ents = list(doc.ents)
    corrected = []
    for ent in ents:
        words = {token.lower_ for token in ent}
        if ent.label_ == PERSON and words & _NO_PERSON_WORDS:
            continue
        if ent.label_ == ORG and is_general_headquarters(ent):
            continue
        if ent.label_ in ("GPE", "LOC") and not ent.id_ and words & _BODY_NOT_PLACE_WORDS:
            ent = Span(doc, ent.start, ent.end, label=ORG)
        corrected.append(ent)
    if corrected != ents:
        doc.ents = corrected


def drop_headline_artefacts(doc: Doc, title_end: int) -> None:
    """Removes entities of a title-case headline that the body writes as common words.

    "Russian Military Officials in Venezuela" reads to the model as an organisation; the body's
    "Russian military officials" shows it is not a name. `title_end` is the character offset
    where the title ends in `doc`."""
    body = text_of(doc)[title_end:]
    kept = [ent for ent in doc.ents if not _is_headline_artefact(ent, title_end, body)]
    if len(kept) < len(doc.ents):
        doc.ents = kept


# A headline is in title case where most of its longer words are capitalised.
_TITLE_CASE_SHARE = 0.7
_TITLE_CASE_WORDS = 3
_LONG_WORD = 4
# Labels of names a title-case headline runs on into its verb.
_HEADLINE_NAME_LABELS = frozenset({ORG, PERSON, "GPE", "LOC", "FAC", "NORP", "EVENT"})


def cut_headline_verbs(
    doc: Doc,
    title_end: int,
    tag: Callable[[str], Doc],
    is_country: Callable[[str], bool],
) -> None:
    """Ends the names of a title-case headline at the verb that follows them: "IMF Approves
    Loan" is the IMF, "Pacific Command Launches Relief Effort" the command, read with the tags
    of the lower-cased headline (in title case every word looks like a name); and drops a slug
    in capitals before the headline ("AIRSHOW-", "EARLY FRIDAY BOX OFFICE:").

    `tag` parses a text with a tagger; `title_end` is where the title ends in `doc`."""
    # Rules' names too: a slug is no dateline's city ("EARLY FRIDAY BOX OFFICE:"), a body's
    # name read from title-case words may run on ("First US Troops Begin").
    ents = _title_ents(doc, title_end)
    if not ents:
        return
    title = text_of(doc)[:title_end]
    slug_end = _slug_end(title)
    # Tagging the headline again costs as much as a short article: only where a name of two
    # words or more, or a slug, may need it.
    if not slug_end and all(
        len(ent) < 2 or ent.label_ not in _HEADLINE_NAME_LABELS for ent in ents
    ):
        return
    verbs: set[int] = set()
    if _is_title_case(title):
        lowered = tag(title.lower())
        # Lower-casing that moved the offsets leaves nothing to align.
        if len(lowered.text) == len(title):
            verbs = {token.idx for token in lowered if token.tag_.startswith("VB")}
    dropped: set[int] = set()
    replaced: dict[int, Span] = {}
    for ent in ents:
        # "PAF-PLAAF Starts Drill" names the PAF that the body names again.
        if (
            ent.end_char <= slug_end
            and not is_country(ent.text)
            and ent.text not in text_of(doc)[title_end:]
        ):
            dropped.add(ent.start)
            continue
        # The model may run a name on over the blank line into the body.
        cut = next(
            (t.i for t in ent[1:] if t.idx >= title_end or (t.idx in verbs and t.is_title)), None
        )
        if cut is None or ent.label_ not in _HEADLINE_NAME_LABELS:
            continue
        name = doc[ent.start : cut]
        label = "GPE" if is_country(name.text) else ent.label_
        replaced[ent.start] = Span(doc, name.start, name.end, label=label)
    if dropped or replaced:
        doc.ents = [replaced.get(ent.start, ent) for ent in doc.ents if ent.start not in dropped]


def _title_ents(doc: Doc, title_end: int) -> list[Span]:
    """The entities that start in the title, read from the title's tokens (`doc.ents` makes a
    span of every entity of the doc)."""
    ents: list[Span] = []
    for token in doc:
        if token.idx >= title_end:
            break
        if token.ent_iob_ == "B":
            end = token.i + 1
            while end < len(doc) and doc[end].ent_iob_ == "I":
                end += 1
            ents.append(Span(doc, token.i, end, label=token.ent_type_, span_id=token.ent_id_))
    return ents


def _is_title_case(title: str) -> bool:
    words = [word for word in title.split() if len(word) >= _LONG_WORD and word[0].isalpha()]
    capitalised = sum(word[0].isupper() for word in words)
    return capitalised >= _TITLE_CASE_WORDS and capitalised >= _TITLE_CASE_SHARE * len(words)


# A slug in capitals at the start of a headline: "AIRSHOW-", "RPT-", "EARLY FRIDAY BOX OFFICE:".
_SLUG = re.compile(r"^[A-Z][A-Z ]{1,40}[-:]")


def _slug_end(title: str) -> int:
    slug = _SLUG.match(title)
    return slug.end() if slug is not None else 0


def _is_headline_artefact(ent: Span, title_end: int, body: str) -> bool:
    if ent.end_char > title_end or ent.id_ or len(ent) < 2:
        return False
    spellings = {found.group() for found in re.finditer(re.escape(ent.text), body, re.IGNORECASE)}
    return bool(spellings) and ent.text not in spellings


def _without_possessive(span: Span) -> str:
    tokens = [token for token in span if token.lower_ not in ("'s", "’s", "'", "’")]
    return " ".join(token.text for token in tokens) if len(tokens) == 1 else ""


@Language.factory(
    RULES_COMPONENT,
    default_config={
        "weapons_path": str(WEAPONS_PATH),
        "organizations_path": str(ORGANIZATIONS_PATH),
        "countries_path": str(COUNTRIES_PATH),
    },
)
def make_entity_rules(
    nlp: Language, name: str, weapons_path: str, organizations_path: str, countries_path: str
) -> EntityRules:
    """The rules component, from the weapon, organisation and country gazetteers at the given
    paths."""
    return EntityRules(
        nlp,
        load(Path(weapons_path), WeaponData),
        load(Path(organizations_path), OrganizationData),
        load(Path(countries_path), CountryData),
    )


@Language.factory(
    CLEANUP_COMPONENT,
    default_config={"countries_path": str(COUNTRIES_PATH), "weapons_path": str(WEAPONS_PATH)},
)
def make_entity_cleanup(
    nlp: Language, name: str, countries_path: str, weapons_path: str
) -> EntityCleanup:
    """The component that makes surname mentions of a person into PERSON entities, capitals of
    the countries file into GPE ones, and corrects the model's other artefacts (ArtefactRules)."""
    countries = load(Path(countries_path), CountryData)
    weapons = load(Path(weapons_path), WeaponData)
    names = CountryNames(countries)
    aliases = {alias.casefold() for alias in countries.aliases}

    # Bounded: news names new people and places every day, and each one asked about stayed for
    # the life of the process (per-article growth); the countries named often stay cached.
    @lru_cache(maxsize=COUNTRY_CACHE_SIZE)
    def is_country(text: str) -> bool:
        # An acronym names a country only as news writes it ("UK", "UAE"), not as an ISO code:
        # "MDA" is the Missile Defense Agency, not Moldova.
        acronym = text.isupper() and len(text) <= 3 and text.casefold() not in aliases
        return not acronym and names.code(text) is not None

    forms = [form for entry in weapons.weapons for text in entry.forms() for form in _forms(text)]

    # Bounded for the same reason as is_country.
    @lru_cache(maxsize=COUNTRY_CACHE_SIZE)
    def country_of(text: str) -> str | None:
        bare = _without_possessive_text(text)
        return names.code(bare) or names.code_of_people(bare)

    artefacts = ArtefactRules(is_country, countries.regions, forms, _provinces(), country_of)
    return EntityCleanup(countries.capitals, artefacts)


# Subdivisions of these kinds are named in news as places of their own ("Punjab", "Zambales");
# districts and municipalities are too many, and too often a common word, to be listed.
_PROVINCE_KINDS = (
    "state", "province", "region", "prefecture", "governorate", "oblast", "territory",
)  # fmt: skip
# Subdivisions named by a common word: "Central" (Ghana), "Eastern" (Rwanda), "Capital".
_NOT_PROVINCES = frozenset(
    ["central", "eastern", "western", "northern", "southern", "north", "south", "east", "west",
     "capital", "coast", "coastal", "upper", "lower", "middle", "interior", "islands", "lakes",
     "mountains"]
)  # fmt: skip


def _without_possessive_text(text: str) -> str:
    return re.sub(r"['’]s?$", "", text)


def _provinces() -> list[tuple[str, str]]:
    """Names of the states, provinces and regions of the world (ISO 3166-2), each with its
    country's code."""
    return [
        (subdivision.name, subdivision.country_code)
        for subdivision in pycountry.subdivisions
        if any(kind in subdivision.type.casefold() for kind in _PROVINCE_KINDS)
        and not set(subdivision.name.casefold().split()) <= _NOT_PROVINCES
    ]


def _country_names(countries: CountryData) -> list[str]:
    """Names of countries, not their demonyms, without ISO's inverted forms ("Korea, Republic
    of")."""
    names = [*countries.names.values(), *countries.aliases]
    for country in pycountry.countries:
        names += [country.name, getattr(country, "common_name", country.name)]
    return [name for name in names if "," not in name and "(" not in name]


def _country_words(countries: CountryData) -> list[str]:
    """Names and demonyms of countries, as news writes them before a body ("Indian Navy")."""
    names = [*countries.names.values(), *countries.aliases, *countries.demonyms]
    for country in pycountry.countries:
        names += [country.name, getattr(country, "common_name", country.name)]
    return names


def add_entity_rules(
    nlp: Language,
    weapons_path: Path,
    organizations_path: Path,
    countries_path: Path = COUNTRIES_PATH,
) -> None:
    """Adds the rules before `ner` and the clean-up after it (without `ner`: both at the end)."""
    config = {
        "weapons_path": str(weapons_path),
        "organizations_path": str(organizations_path),
        "countries_path": str(countries_path),
    }
    cleanup = {"countries_path": str(countries_path), "weapons_path": str(weapons_path)}
    if "ner" in nlp.pipe_names:
        nlp.add_pipe(RULES_COMPONENT, before="ner", config=config)
        nlp.add_pipe(CLEANUP_COMPONENT, after="ner", config=cleanup)
    else:
        nlp.add_pipe(RULES_COMPONENT, config=config)
        nlp.add_pipe(CLEANUP_COMPONENT, config=cleanup)
