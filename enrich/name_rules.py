"""Rules over the parse for organisations, places and people that the statistical model misses
or mislabels (pure: spaCy docs in, spans out).

Two passes, each linear in the doc (matchers and one walk over `doc.ents`):

- `NameRules`, before `ner`: organisations by their shape, not only by list ("Russian Defence
  Ministry", "Indian Navy", "PLA Eastern Theater Command", "BrahMos Aerospace Private Limited",
  "Tullow Oil"), regions ("the Indo-Pacific"), and the city and agency of a dateline
  ("GENEVA (AP) —").
- `ArtefactRules`, after `ner`: the model's artefacts corrected with the parse and the gazetteers.
  A country or base read as a person becomes a place, an exercise name ("Malabar") is no place,
  a bare ministry word ("Defense" of "Defense Minister") is no organisation, a title is no part of
  a name ("Gen Juniti Saito"), the person after a portfolio is no organisation ("Secretary of
  Defense Lloyd Austin"), and a weapon ("Tomahawks") is no person.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise, takewhile

import numpy
from spacy.matcher import Matcher, PhraseMatcher
from spacy.parts_of_speech import IDS as PARTS_OF_SPEECH  # type: ignore[import-not-found]
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

from enrich.doc_arrays import indices_of, text_of
from enrich.facets import STATE_HEADS
from enrich.source_names import sources

ORG = "ORG"
LOC = "LOC"
GPE = "GPE"
FAC = "FAC"
PERSON = "PERSON"
EVENT = "EVENT"
# One ship by its name ("the frigate Admiral Grigorovich"): no weapon, its class is.
VESSEL = "VESSEL"
# A place of either label, GPE or LOC, when names are counted by kind.
PLACE = "PLACE"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _letters(case: Callable[[str], bool]) -> str:
    # Python's `re` has no class of capitals: the Latin letters of either case as one, so that
    # "Łukasz Kowalski" and "Ömer Çelik" are names as "John Smith" is.
    return "".join(chr(code) for code in range(0x250) if case(chr(code)))


_UPPER = _letters(str.isupper)
_LOWER = _letters(str.islower)


_DASHES = ["-", "–", "—", "‐", "‑", "--"]
_POSSESSIVES = ["'s", "’s"]

# What an organisation of a country is called after its demonym or name: "Indian Navy",
# "Russia's defence ministry", "U.S. Department of Defense". Lower case too: news writes "the
# Egyptian army".
_BODIES = [
    "defence ministry", "defense ministry", "ministry of defence", "ministry of defense",
    "ministry of national defence", "ministry of national defense", "foreign ministry",
    "ministry of foreign affairs", "interior ministry", "ministry of interior",
    "ministry of the interior", "commerce ministry", "ministry of commerce", "finance ministry",
    "ministry of finance", "defence department", "defense department", "department of defense",
    "department of defence", "state department", "department of state", "commerce department",
    "department of commerce", "treasury department", "department of the treasury",
    "justice department", "department of justice", "navy", "army", "air force", "armed forces",
    "coast guard", "marine corps", "marines", "air self-defense force", "air self-defence force",
    "ground self-defense force", "ground self-defence force", "maritime self-defense force",
    "maritime self-defence force", "national guard", "defence forces", "defense forces",
    "self-defense forces", "self-defence forces", "self defense forces", "self defence forces",
    "special forces", "ground forces", "aerospace forces", "space force", "rocket force",
    "rocket forces", "strategic command", "joint chiefs of staff", "general staff", "embassy",
    "foreign office", "defence intelligence", "military intelligence", "army radio",
    "trade ministry", "ministry of trade", "economy ministry", "ministry of economy",
    "energy ministry", "ministry of energy", "industry ministry", "ministry of industry",
    "information ministry", "ministry of information", "high command", "defence headquarters",
    "defense headquarters", "navy headquarters", "army headquarters",
]  # fmt: skip
_COMMAND_AREAS = _words(
    "Europe Pacific Africa Asia Japan Korea Afghanistan Iraq Central North South Northern Southern"
)
# A body named by its own capitalised words and ending in one of these ("Eastern Theater
# Command", "Seventh Fleet", "Southern Military District").
_HEADS = [
    "command", "fleet", "corps", "ministry", "agency", "department", "directorate", "forces",
    "force", "guard", "district", "brigade", "division", "regiment", "battalion", "squadron",
    "wing", "group", "police", "committee", "council", "federation", "laboratory", "movement",
    "organization", "organisation", "fund", "unit", "headquarters",
]  # fmt: skip
_ARMED_HEADS = frozenset(
    [*_HEADS, "navy", "army", "force", "military", "marines", "guard", "ministry"]
)
# A body named by its head and what it is of: "Ministry of Peshmerga", "Armed Forces of Ukraine",
# "Office of the National Security Adviser", "Presidency of Defence Industries".
_OF_HEADS = _words(
    """ministry department office presidency board commission council committee agency bureau
    directorate institute academy university federation association organisation organization
    embassy mission representation staff forces court secretariat authority administration
    corps society chamber league chiefs laboratory movement fund foundation unit service services
    police"""
)
_OF_NAMED_HEADS = _OF_HEADS | STATE_HEADS
# What joins a body's head to what it is of or for: "Agency for International Development",
# "Committee on Foreign Relations".
_AFTER_HEAD = ["of", "for", "on"]
_OF_JOINERS = _words("and for of on &")
# Inner connectors of a name read leftwards from its head: "Justice and Equality Movement".
_INNER_JOINERS = frozenset(["and", "&"])
_OF_WORDS = 8
# Words of an organisation's name, never of a person's.
_ORG_WORDS = frozenset(
    [*_ARMED_HEADS, "agency", "cooperation", "security", "council", "office", "bureau",
     "committee", "institute", "organisation", "organization", "administration", "service"]
)  # fmt: skip
# The word before a person's name: a title, or the last word of a portfolio.
_TITLE_ENDS = _words(
    """minister ministers secretary president pm premier chancellor general gen gen. admiral
    adm adm. nsa envoy ambassador spokesman spokeswoman spokesperson counterpart chief commander
    defence defense forces affairs staff lawmaker legislator ayatollah imam cleric marshal
    colonel lieutenant brigadier commodore captain sergeant undersecretary professor
    patrolman"""
)
# The last word of a portfolio that is a common word too: a title's end only when capitalised
# ("Minister for Defence Industry Christopher Pyne", not "the defence industry Lockheed").
_PORTFOLIO_WORDS = _words("industry industries production procurement")
# Lower-case words inside a name: "Mohammed bin Salman", "Ursula von der Leyen".
_PARTICLES = sorted(_words("bin al de da del dos von van der le la"))
# Legal and trade suffixes of a company: "Hindustan Aeronautics Limited", "Tullow Oil",
# "BrahMos Aerospace Private Limited".
_COMPANY_SUFFIXES = [
    "limited", "ltd", "ltd.", "inc", "inc.", "corp", "corp.", "corporation", "co", "co.",
    "company", "llc", "plc", "gmbh", "ag", "s.a.", "spa", "s.p.a.", "ab", "asa", "pvt", "pvt.",
    "private", "holdings", "industries", "technologies", "aerospace", "shipbuilding",
    "shipyard", "airlines", "airways", "oil", "petroleum", "energy", "motors", "dynamics",
    "software", "labs", "studios", "electronics",
    "systems", "group", "concern", "news", "newsradio", "incorporated", "aviation",
]  # fmt: skip
# Common nouns that introduce a firm's name: "Spanish shipyard Cardama", "Portuguese oil and
# gas explorer Galp Energia", "defence company Republikor". Not nouns that also introduce a
# person ("drone operator", "film producer", "contractor") or a ship ("aircraft carrier").
_FIRM_NOUNS = _words(
    """company firm corporation conglomerate shipyard shipbuilder manufacturer maker carmaker
    automaker planemaker explorer miner supplier provider subsidiary telco airline
    lender bank insurer retailer startup start-up giant"""
)
# An officer's title after a firm's noun: "airline CEO David Cush".
_EXECUTIVES = _words("ceo cto cfo coo md chairman chairwoman chair founder boss chief head")
# Legal forms written in capitals only ("Dassault Aviation SA", "Kongsberg Gruppen ASA"): in
# lower or title case they are words ("sa", "Ag").
_LEGAL_FORMS = [
    "SA", "S.A.", "SAS", "NV", "N.V.", "BV", "B.V.", "AS", "A/S", "ASA", "AB", "AG", "KG",
    "OY", "OYJ", "KK", "K.K.", "JSC", "PJSC", "OJSC", "BHD", "BHD.", "TBK", "PTE", "SE",
    "SPA", "S.P.A.", "SRL", "S.R.L.", "LTD", "LTD.", "INC", "INC.", "PLC", "LLC",
]  # fmt: skip
# Trade words that end a company's name only joined to a suffix: "Chariot Oil & Gas" (alone,
# "Natural Gas" is no company).
_JOINED_SUFFIXES = ["gas", "chemicals", "minerals", "mining", "defence", "defense", "space"]
# Words that end a company's name only after another suffix ("Private Limited").
_LEADING_SUFFIXES = {"private", "pvt", "pvt."}

# One-word (and a few two-word) mentions the model reads as an organisation that are the
# generic word of a title or a sentence: "Defense" of "Defense Minister", "State" of "Secretary
# of State", "the Army".
_GENERIC_ORGS = _words(
    """defense defence state council commerce commission group coalition embassy government
    ministry military presidents exercise interior justice finance foreign dr mou moa loi m/s
    messrs"""
)
# Titles before a name: "Gen Juniti Saito", "Crown Prince Mohammed bin Salman".
_TITLES = _words(
    """gen gen. general lt lt. lieut lieut. lieutenant col col. colonel maj maj. major adm adm.
    admiral rear vice brig brig. brigadier capt capt. captain cmdr cmdr. commander sgt sgt. dr
    dr. mr mr. mrs mrs. ms ms. prof prof. president prime minister pm secretary crown prince
    king queen sheikh sir dame lord hon hon. honourable honorable rank shri sri smt shrimati
    alhaji alhaja air marshal
    chief field marshal ambassador senator sen sen. rep rep. gov gov. governor mayor chancellor
    premier commodore constable superintendent inspector corporal commissioner cdr cdr. ceo cfo
    cto coo ayatollah imam cleric lawmaker legislator professor patrolman undersecretary"""
)


def is_general_headquarters(name: Span) -> bool:
    """Whether the name is a title and "Headquarters" ("the General Headquarters"): the
    headquarters of any army, no one body."""
    return len(name) == 2 and name[-1].lower_ == "headquarters" and name[0].lower_ in _TITLES


_DATE_WORDS = _words(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december"""
)
# Words that are never part of a person's name after a title.
_NOT_NAMES = (
    frozenset([*_COMPANY_SUFFIXES, *_ORG_WORDS, *_GENERIC_ORGS, *_TITLE_ENDS, "of", "for", "and"])
    | _PORTFOLIO_WORDS
    | _words(
        """officer executive director time roadmap operations development industrial dialogue
        meeting meetings summit conference forum talks plus"""
    )
    | _DATE_WORDS
)
# Words a portfolio ends on, after which a name is a person: "Secretary of Defense Lloyd
# Austin", "Minister of the Armed Forces Florence Parly".
_PORTFOLIO_ENDS = _words(
    """defence defense forces affairs state interior finance minister pm secretary president
    commerce treasury justice trade ministers constable superintendent inspector corporal
    sergeant commissioner"""
)
# The last word of a place the model reads as a person or an organisation.
_PLACE_HEADS = _words(
    """base airbase atoll island islands airport cosmodrome spaceport centre center range
    sea strait peninsula province prefecture region lake valley bay gulf desert"""
)
WEAPON = "WEAPON"
_CLASS = re.compile(r"[\s-]class$", re.IGNORECASE)
# Entities the model gives a weapon's name: "Bogdana" (PERSON), "Mersad" (ORG), "Skyranger"
# (PRODUCT), "Cheng Kung-class" (PERSON).
_EQUIPMENT_NAMERS = frozenset({PERSON, ORG, "PRODUCT", FAC, "WORK_OF_ART"})
_EQUIPMENT_GAP = 4
_EQUIPMENT_NOUNS = _words(
    """missile missiles launcher launchers fighter fighters bomber bombers interceptor
    interceptors helicopter helicopters drone drones tank tanks howitzer howitzers frigate
    frigates destroyer destroyers corvette corvettes submarine submarines warship warships
    cruiser cruisers rifle rifles torpedo torpedoes vehicle vehicles radar radars gun guns
    rounds icbm icbms warplane warplanes gunship gunships"""
)
# Common nouns never part of a person's name.
_NOT_NAME_NOUNS = (_EQUIPMENT_NOUNS | _words("systems weapons")) - _words(
    "gun guns rounds tank fighter"
)
# Acronyms the model reads as bodies that name a class of equipment or a time zone.
_NO_BODY_ACRONYMS = _words("UAV UAS UCAV APC IFV MRAP ICBM SLBM IRBM MANPADS SAM GMT UTC")


def _singular_acronym(text: str) -> str:
    # "UAVs" is the plural of "UAV"; "MANPADS" is no plural.
    return text[:-1] if len(text) > 2 and text.endswith("s") and text[:-1].isupper() else text


# Nouns that name equipment only after a modifier: "air defense systems", "laser weapon".
_SYSTEM_NOUNS = _words("system systems weapon weapons ship ships")
# Common words after an organisation's name that describe it.
_DESCRIPTIONS = (
    _words("news agency wire service newspaper daily television tv broadcaster") | _EQUIPMENT_NOUNS
)
_PLACE_PREPOSITIONS = _words("in at near outside around into across towards")
_PLACE_PHRASES = ("line of actual control", "line of control")
# Words around an exercise's name: "the Malabar naval exercise", "Exercise Talisman Sabre".
_EXERCISE_WORDS = _words("exercise exercises drill drills wargame wargames manoeuvres maneuvers")
_EXERCISE_MODIFIERS = _words(
    """naval military joint multinational annual trilateral bilateral air maritime combined
    army war field live-fire amphibious command-post large-scale"""
)


def _lowered(phrases: Iterable[str]) -> list[str]:
    # With typographic apostrophes (U+2019) too: the tokenizer cuts "d'Ivoire" and its
    # typographic spelling apart differently.
    lowered = {phrase.lower() for phrase in phrases}
    return sorted(lowered | {phrase.replace("'", "’") for phrase in lowered})


def _with_abbreviations(phrases: Iterable[str]) -> list[str]:
    """The phrases in lower case, and those with full stops in capitals too: the tokenizer
    keeps "U.S." whole but cuts "u.s." into "u.s" and ".", so a pattern made from the lower
    case alone would never match the capitals news writes."""
    lowered = _lowered(phrases)
    return [*lowered, *(phrase.upper() for phrase in lowered if "." in phrase)]


@dataclass(frozen=True, slots=True)
class Found:
    """A span a rule found: its tokens and label."""

    start: int
    end: int
    label: str
    # The name as written where the tokens carry more than it ("EFE).-" of a dateline).
    name: str | None = None


class NameRules:
    """Finds organisations by shape, regions and datelines in a tagged doc (before `ner`)."""

    def __init__(
        self,
        vocab: Vocab,
        make_doc: Callable[[str], Doc],
        countries: Iterable[str],
        regions: Iterable[str],
        cities: Iterable[str] = (),
        country_names: Iterable[str] = (),
    ) -> None:
        countries, cities, country_names = list(countries), list(cities), list(country_names)
        regions = list(regions)
        self.prefixes = PhraseMatcher(vocab, attr="LOWER")
        # As written: "Male" and "Nice" are words too.
        self.cities = PhraseMatcher(vocab, attr="ORTH")
        self.cities.add("city", [make_doc(city) for city in sorted(set(cities))])
        self.place_names = frozenset(
            name.casefold() for names in (cities, country_names, countries) for name in names
        )
        # "Papua" of "Papua New Guinea" after a dateline's comma.
        self.place_first_words = frozenset(name.split()[0] for name in self.place_names if name)
        # Countries by name, not by demonym: a place wherever written as a name, alone.
        self.country_names = PhraseMatcher(vocab, attr="LOWER")
        self.country_names.add("country", [make_doc(name) for name in _lowered(country_names)])
        # A base named after one of these is in that place ("Alexandria naval base").
        self.known_places = self.place_names | {region.casefold() for region in regions}
        self.prefixes.add("country", [make_doc(name) for name in _with_abbreviations(countries)])
        self.bodies = PhraseMatcher(vocab, attr="LOWER")
        self.bodies.add("body", [make_doc(body) for body in _BODIES])
        self.regions = PhraseMatcher(vocab, attr="LOWER")
        self.regions.add("region", [make_doc(region) for region in _lowered(regions)])
        # The words the shapes below start from, found in one pass: a spaCy Matcher calls
        # Python for its set predicates at every token, and most tokens start no shape.
        self.anchors = PhraseMatcher(vocab, attr="LOWER")
        for kind, anchor_words in _ANCHORS.items():
            self.anchors.add(kind, [Doc(vocab, words=[word]) for word in sorted(anchor_words)])
        # Datelines open the text or a paragraph: the matcher walks only the first tokens there.
        self.shapes = Matcher(vocab)
        words = {"IS_ALPHA": True, "IS_LOWER": False, "OP": "{1,3}"}
        # "KUALA LUMPUR, Feb 27 (KUNA) --": the date may stand between the city and the agency.
        date: list[dict[str, object]] = [{"IS_ALPHA": True, "IS_TITLE": True}, {"IS_DIGIT": True}]
        agency: list[dict[str, object]] = [
            {"ORTH": "("}, {"IS_ALPHA": True, "OP": "{1,3}"}, {"ORTH": ")"},
            {"ORTH": {"IN": _DASHES}},
        ]  # fmt: skip
        self.shapes.add(
            "dateline",
            [
                [words, *agency],
                [words, {"ORTH": ","}, words, *agency],
                [words, {"ORTH": ","}, *date, *agency],
            ],
        )  # fmt: skip
        # "PARIS —", "CAPE CANAVERAL, Fla. —": a dateline with no agency, in capitals.
        # The city's first word has three letters at least; the words after it may be
        # particles ("RIO DE JANEIRO", "DAR ES SALAAM").
        first = {"IS_UPPER": True, "IS_ALPHA": True, "LENGTH": {">=": 3}}
        rest = {"IS_UPPER": True, "IS_ALPHA": True, "LENGTH": {">=": 2}, "OP": "{0,3}"}
        region = {"TEXT": {"REGEX": r"^[A-Z][A-Za-z.]*$"}, "OP": "{1,2}"}
        # "ISLAMABAD:", "MUMBAI:": South Asian and Gulf outlets end the dateline with a colon.
        self.shapes.add(
            "bare_dateline",
            [[first, rest, {"ORTH": {"IN": [*_DASHES, ":"]}}],
             [first, rest, {"ORTH": ","}, region, {"ORTH": {"IN": _DASHES}}]],
        )  # fmt: skip
        # "ADDIS ABABA, Ethiopia": a feed may drop the dash; the country after the comma
        # still says it is a dateline.
        self.shapes.add("dateline_country", [[first, rest, {"ORTH": ","}, {"IS_TITLE": True}]])

    def __call__(self, doc: Doc) -> list[Found]:
        """The organisations, regions and dateline places of `doc`."""
        found = [
            Found(source.start, source.end, ORG, source.name)
            for source in sources(doc, lambda name: name.casefold() in self.place_names)
        ]
        bodies: dict[int, int] = {}
        for _, start, end in self.bodies(doc):
            bodies[start] = max(end, bodies.get(start, end))
        country_matches = self.prefixes(doc)
        for _, start, end in country_matches:
            # Written as a name ("US Navy"), not a pronoun ("told us military ...").
            if doc[start].is_lower:
                continue
            if end in bodies and _is_name_start(doc, start) and _is_body(doc, bodies[end]):
                # "Royal Thai Army", "Royal Netherlands Navy": the crown is part of the name.
                royal = start > 0 and doc[start - 1].text == "Royal"
                # "U.S. Army Europe", "US Forces Korea": a command named by its area.
                area = bodies[end] < len(doc) and doc[bodies[end]].text in _COMMAND_AREAS
                found.append(Found(start - royal, bodies[end] + area, ORG))
            elif (
                end + 1 in bodies
                and doc[end].text == "Royal"
                and _is_name_start(doc, start)
                and _is_body(doc, bodies[end + 1])
            ):
                # "Tongan Royal Navy", "Saudi Royal Air Force".
                found.append(Found(start, bodies[end + 1], ORG))
            elif (
                end + 1 in bodies
                and doc[end].text in _POSSESSIVES
                and _is_body(doc, bodies[end + 1])
            ):
                # "Russia's defence ministry": the ministry; Russia stays a place.
                found.append(Found(end + 1, bodies[end + 1], ORG))
        region_matches = self.regions(doc)
        for _, start, end in region_matches:
            found.append(Found(start, end, LOC))
        countries_at = {start: end for _, start, end in country_matches}
        for _, start, end in self.cities(doc):
            if _stands_alone(doc, start, end):
                found.append(Found(start, end, GPE))
            # "Seoul's defense ministry": a capital stands for its state; a body of more than
            # one word, not "Moscow's army" (the city's own, or a figure of speech).
            if (
                end + 1 in bodies
                and doc[end].text in _POSSESSIVES
                and bodies[end + 1] - end > 2
                and not _modifies_noun(doc, bodies[end + 1])
            ):
                found.append(Found(end + 1, bodies[end + 1], ORG))
        anchors: dict[str, list[int]] = {kind: [] for kind in _ANCHORS}
        for key, start, _ in self.anchors(doc):
            anchors[doc.vocab.strings[key]].append(start)
        for holder in anchors["office"]:
            if _is_office(doc, holder):
                found.extend(_office(doc, holder, countries_at))
        country_names = self.country_names(doc)
        for _, start, end in country_names:
            if not doc[start].is_lower and _stands_alone(doc, start, end):
                found.append(Found(start, end, GPE))
        region_ends = {end for _, _, end in region_matches}
        for head in anchors["place"]:
            # "Romanian Black Sea" is the Black Sea; "Black Sea Straits" a place of its own.
            # "Minot AFB": the air force base as the US services abbreviate it.
            if (
                doc[head].is_title or doc[head].lower_ == "airport" or doc[head].text == "AFB"
            ) and (head + 1 not in region_ends):
                found.extend(_place_headed(doc, head))
        countries = countries_at
        for shape, start, end in _ends(doc, anchors):
            if shape == "headed":
                found.extend(_headed(doc, start, countries))
            elif shape == "of_named":
                found.extend(_of_named(doc, start, countries))
            elif shape == "base":
                found.extend(_base_named(doc, start, self.known_places))
            elif shape == "firm":
                found.extend(_firm_named(doc, end, self.place_names))
            else:
                found.extend(_company(doc, start, end))
        for kind, start, end in self._datelines(doc):
            if kind == "dateline":
                found.extend(_dateline(doc, start, end))
            elif kind == "bare_dateline" or doc[end - 1].text.casefold() in self.place_first_words:
                comma = next((i for i in range(start, end) if doc[i].text == ","), end - 1)
                found.append(Found(start, comma, GPE))
        if doc.has_annotation("POS"):
            titles = [
                *(
                    title
                    for title in anchors["title_end"]
                    if doc[title].lower_ not in _PORTFOLIO_WORDS or doc[title].is_title
                ),
                # "Ambassador to Korea Colin Crooks", "Undersecretary for Defence Industries
                # of Turkey Ismail Demir": the name after the country the post is of.
                *(end - 1 for _, start, end in country_names if _follows_a_post(doc, start)),
                # "Secretary of the National Security and Defense Council (NSDC) Oleksandr
                # Turchynov": the name after the acronym of the post's body.
                *_acronyms_after_posts(doc),
            ]
            for start, end in _titled_names(doc, sorted(titles)):
                # The whole name ("Ng Eng Hen", not "Ng Eng"), and a person's, not a body's
                # ("General Atomics Aeronautical Systems").
                name = doc[start + 1 : end]
                titled = not any(t.lower_ in _NOT_NAMES or t.lower_ in _TITLES for t in name)
                # "Glyn T." of "Glyn T. Davies": a name does not end at an initial.
                whole = not _runs_on(doc, end) and not _name_goes_on(doc, end)
                if titled and whole and not _INITIAL.match(doc[end - 1].text):
                    found.append(Found(start + 1, end, PERSON))
        found.extend(_sovereigns(doc))
        found = [part for one in found for part in _coordinated_bodies(doc, one)]
        return [*found, *opening_datelines(doc)]

    def _datelines(self, doc: Doc) -> list[tuple[str, int, int]]:
        """The dateline shapes that start the text or a paragraph, as (kind, start, end)."""
        found = []
        orth = doc.to_array("ORTH")
        bracket = doc.vocab.strings.add("(")
        for start in _line_starts(doc):
            # Every shape opens with a word in capitals or has its agency's bracket: most
            # paragraphs are asked no more.
            end = min(len(doc), start + _DATELINE_TOKENS)
            if not doc[start].is_upper and not (orth[start:end] == bracket).any():
                continue
            window = doc[start:end]
            for key, begin, end in self.shapes(window):
                if begin == 0:
                    found.append((doc.vocab.strings[key], start, start + end))
        return found


def _line_starts(doc: Doc) -> list[int]:
    """The first token of the text and of each line after it: the tokens after those that hold
    a line break, found from the text's line breaks rather than by a walk over every token."""
    if not len(doc):
        return []
    breaks = [match.start() for match in _LINE_BREAK.finditer(text_of(doc))]
    holders = numpy.searchsorted(doc.to_array("IDX"), breaks, side="right") - 1
    return [0, *sorted({int(holder) + 1 for holder in holders if holder + 1 < len(doc)})]


_LINE_BREAK = re.compile("\n")
# The longest dateline shape: three words, a comma, three words and "(AFP) -".
_DATELINE_TOKENS = 13


# Capitalised words and the hyphens between them ("Anti-Doping"), and what may come first: an
# ordinal ("101st Airborne Division") or an acronym ("PLA Eastern Theater Command").
_CAPITALISED = re.compile(rf"^(?:[{_UPPER}][\w'’.&]*|-)$")
_FIRST = re.compile(r"^(?:\d+(?:st|nd|rd|th)|[A-Z][A-Z.]+)$")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
# "Destroyer Squadron 24", "Task Group 52/1": a unit's number and its sub-unit's.
_UNIT_NUMBER = re.compile(r"^\d{1,3}(?:/\d{1,2})?$")
# A company's own words: "BrahMos", "Tullow", "BAE", "&"; not "NEW YORK" of a dateline.
_PROPER = re.compile(rf"^(?:[{_UPPER}][{_LOWER}][\w'’.-]*|[A-Z]{{2,3}}|&)$")
_NAME_WORDS = 5


def _headed(doc: Doc, head: int, countries: dict[int, int] | None = None) -> list[Found]:
    """A body named by capitalised words before its head: "Eastern Theater Command", "Defence
    Science and Technology Laboratory"; not two countries' forces ("US and Iraqi Forces")."""
    countries = countries or {}
    start = head
    while start > max(0, head - _NAME_WORDS):
        before = doc[start - 1]
        if (
            before.lower_ in _INNER_JOINERS
            and start < head
            and start - 1 > 0
            and _is_name_word(doc, start - 2)
            and start not in countries
            and start - 1 not in countries.values()
            and doc[start - 2].lower_ not in _HEAD_WORDS
        ):
            start -= 1
            continue
        # "US Agency for International Development": "US" is a stop word, and a country.
        if not _is_name_word(doc, start - 1) and countries.get(start - 1) != start:
            break
        start -= 1
    if doc[start].lower_ in _INNER_JOINERS:  # the name's words ran out after "and"
        start += 1
    if start == head or doc[start].text == "-":
        return []
    # "101st Airborne Division"; not "the 5th Kenya Defence Forces celebrations" (an ordinal
    # before a country counts the anniversary, but a division's: "76th Russian Airborne division").
    # Not a corps: "the 250th US Marine Corps birthday".
    numbered_unit = doc[head].lower_ in _NUMBERED_UNIT_HEADS and doc[head].lower_ != "corps"
    if start > 0 and (
        (_FIRST.match(doc[start - 1].text) and (start not in countries or numbered_unit))
        or _is_unit_count(doc, start - 1, head)
    ):
        start -= 1
    # The unit it belongs to before it: "2nd Squadron, 14th Cavalry Regiment".
    if doc[head].lower_ in _UNIT_HEADS:
        start = _with_parent_unit(doc, start)
    end = head + 1
    # A unit's number after its head: "Destroyer Squadron 24", "Carrier Strike Group 11".
    if end < len(doc) and _UNIT_NUMBER.match(doc[end].text):
        end += 1
    elif doc[head].lower_ in _AREA_COMMAND_HEADS:
        end = _with_command_area(doc, end)
    if not _is_name_start(doc, start) or _runs_on(doc, end):
        return []
    if is_general_headquarters(doc[start : head + 1]):  # of any army
        return []
    return [Found(start, end, ORG)]


# Heads of units that armies number: "43 Mechanised Brigade", "1 Strike Corps".
_UNIT_HEADS = _words(
    "brigade division regiment battalion squadron wing corps unit group company force fleet"
)
_ORDINAL_WORDS = _words(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
)
# Heads a bare number may belong to ("43 Mechanised Brigade", "1 Strike Corps"); before an
# "Air Force" or a "Wagner Group" a number counts.
_NUMBERED_UNIT_HEADS = _words("brigade division regiment battalion squadron wing corps")
# Words before a number that make it a date, a time or an estimate, not a unit's number.
_BEFORE_COUNTS = _words(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec at on about some around than least nearly
    almost over under roughly approximately"""
)
# After a counted body, what counts people or parts, not units: "300 Marine Corps troops".
_COUNTED_AFTER = _words(
    """troops soldiers personnel members officers men women sailors marines airmen staff
    paratroopers troopers servicemen engineers instructors units jets aircraft vehicles
    companies battalions platoons"""
)


def _is_unit_count(doc: Doc, i: int, head: int) -> bool:
    """Whether token `i` is the number of the unit whose head is at `head`: a number of up to
    three digits or a capitalised ordinal word ("Third Armored Brigade"), where no people are
    counted after the head ("300 Marine Corps troops")."""
    if doc[head].lower_ not in _UNIT_HEADS:
        return False
    token = doc[i]
    ordinal = token.is_title and token.lower_ in _ORDINAL_WORDS
    numbered = (
        bool(_UNIT_NUMBER.match(token.text))
        and doc[head].lower_ in _NUMBERED_UNIT_HEADS
        # "On March 12 Air Force officials", "about 40 Army Regiment commanders"
        and not (i > 0 and (doc[i - 1].lower_ in _BEFORE_COUNTS or doc[i - 1].like_num))
    )
    after = doc[head + 1] if head + 1 < len(doc) else None
    # "3 Air Force squadrons", "200 Wagner Group mercenaries": a count of what follows.
    counts = after is not None and (
        after.lower_ in _COUNTED_AFTER or (after.is_lower and after.pos_ == "NOUN")
    )
    return (numbered or ordinal) and not counts


_ARMY_UNIT_HEADS = _words("brigade regiment battalion")
_ARMS_OF_SERVICE = _words(
    """airborne infantry guards armoured armored mechanised mechanized tank paratrooper
    paratroopers marine marines artillery rifle rifles motorised motorized assault mountain
    cavalry commando special engineer engineers naval air fighter bomber reconnaissance signals
    logistics army arms missile"""
)


def _is_numbered_units_head(doc: Doc, head: int) -> bool:
    """Whether a unit's head written in lower case ends the name of a numbered unit: "the 76th
    Guards Air Assault division", "the 82nd Airborne brigade" (not "the 3rd division", which
    names none, nor "the 27th engineering battalion")."""
    if not doc[head].is_lower or doc[head].lower_ not in _NUMBERED_UNIT_HEADS:
        return False
    start = head
    while start > max(0, head - _NAME_WORDS) and doc[start - 1].is_title:
        start -= 1
    name = doc[start:head]
    # A division, wing or squadron of a firm or a league ("the 21st Century Fox division") is
    # named without the words of an arm of service.
    return (
        start < head
        and start > 0
        and bool(_ORDINAL.match(doc[start - 1].text))
        and (
            doc[head].lower_ in _ARMY_UNIT_HEADS or any(t.lower_ in _ARMS_OF_SERVICE for t in name)
        )
    )


def _with_parent_unit(doc: Doc, start: int) -> int:
    """`start` moved back over the numbered unit written before the one starting there, with or
    without a comma: "2nd Squadron, 14th Cavalry Regiment", "1st Battalion 40th Field
    Artillery"."""
    if not _ORDINAL.match(doc[start].text):
        return start
    before = start - 1 if start > 0 and doc[start - 1].text == "," else start
    if (
        before >= 2
        and doc[before - 1].lower_ in _UNIT_HEADS
        and doc[before - 1].is_title
        and _ORDINAL.match(doc[before - 2].text)
    ):
        return before - 2
    return start


# A component command is named by its forces and the area it serves, after a comma too: "U.S.
# Marine Corps Forces Pacific", "US Marine Corps Forces, Pacific", "Maritime Forces Atlantic".
_AREA_COMMAND_HEADS = _words("forces command fleet")
_OCEAN_AREAS = _words("Pacific Atlantic")
_COMMAND_AREA_WORDS = _COMMAND_AREAS | _OCEAN_AREAS


def _with_command_area(doc: Doc, end: int) -> int:
    """`end` moved past the area that names the command ending there, if one follows, and a
    second area joined to it ("U.S. Naval Forces Europe-Africa", "U.S. Army Europe and
    Africa")."""
    if (
        end < len(doc)
        and doc[end].text in _COMMAND_AREA_WORDS
        and not _runs_on(doc, end + 1)
        and not (end + 1 < len(doc) and doc[end + 1].lower_ == "of")  # "Forces North of Kyiv"
    ):
        end += 1
        if (
            end + 1 < len(doc)
            and (doc[end].text in _DASHES or doc[end].lower_ == "and")
            and doc[end + 1].text in _COMMAND_AREAS
            and not _runs_on(doc, end + 2)
        ):
            end += 2
        return end
    # After a comma only an ocean: "Forces, Japan" may start a list of countries.
    if (
        end + 1 < len(doc)
        and doc[end].text == ","
        and doc[end + 1].text in _OCEAN_AREAS
        and not _runs_on(doc, end + 2)
    ):
        return end + 2
    return end


# Who holds an office that is named after the post: "the Prime Minister's Office".
_OFFICE_HOLDERS = _words(
    """minister president attorney commissioner auditor ombudsman prosecutor governor mayor
    chancellor secretary general controller comptroller registrar inspector premier speaker"""
)


def _office(doc: Doc, holder: int, countries: dict[int, int]) -> list[Found]:
    """An office named after its holder's post, with the post's other capitalised words and a
    country before them: "UK Information Commissioner's Office", "Prime Minister's Office"."""
    start = holder
    while start > max(0, holder - 3) and (
        _is_name_word(doc, start - 1) or countries.get(start - 1) == start
    ):
        start -= 1
    return [Found(start, holder + 3, ORG)]


def _stands_alone(doc: Doc, start: int, end: int) -> bool:
    """Whether a name has no capitalised word beside it that would make it part of another:
    "Washington Sundar", "Kyiv Post", "Charles Darwin", "University of Toronto"."""
    before = doc[start - 1] if start > 0 else None
    if before is not None and before.is_title and not (before.is_sent_start and before.is_stop):
        return False
    if before is not None and before.lower_ == "the" and start > 1:
        before = doc[start - 2]  # "Armed Forces of the Philippines"
        start -= 1
    if before is not None and before.lower_ == "of" and start > 1 and doc[start - 2].is_title:
        return False
    if end + 1 < len(doc) and doc[end].text == "," and _is_state_code(doc[end + 1].text):
        return False  # "Washington, DC", "Portland, Ore."
    return end >= len(doc) or not (doc[end].is_title or doc[end].is_upper)


def _is_state_code(text: str) -> bool:
    return (len(text) == 2 and text.isupper()) or (text.endswith(".") and len(text) <= 6)


# The last word of a place's own name: "Mediterranean Sea", "Black Sea Straits", "East and
# South China Seas", "Devonport Naval Base", "Goma airport" (the only one also in lower case).
_WATER_HEADS = _words("sea seas strait straits ocean")
# "Inkomo Barracks", "Lincoln Memorial", "Tin Can Island Port", "Al-Yamamah Palace", "Kagoshima
# Prefecture" (a prefecture is named with its head word; a province, more often without).
_PLACE_NAME_HEADS = _WATER_HEADS | _words(
    "base airport airbase harbour harbor barracks memorial palace port wharf island prefecture afb"
)
_PLACE_WORDS = 5

# The words that start a shape of a name, by the shape: a name ending in a head ("Eastern
# Theater Command") or a company's suffix ("Tullow Oil", "Dassault Aviation SA") is read
# leftwards from that word; "Group of Seven", "Working Group on Arms Control" from the head
# and what it is of; "Jiupeng military base" from the base; "shipbuilder Damen" from the noun
# that says what the firm is; "the Prime Minister's Office" from the post; "Defense Minister
# Lloyd Austin" from the title; "Mediterranean Sea", "Goma airport" from the place's head.
_ANCHORS: dict[str, frozenset[str]] = {
    "headed": frozenset(_HEADS),
    "company": frozenset([*_COMPANY_SUFFIXES, *(form.lower() for form in _LEGAL_FORMS)]),
    "of_named": _OF_NAMED_HEADS | {"group"},
    "base": frozenset(["base", "airbase"]),
    "firm": _FIRM_NOUNS,
    "office": _OFFICE_HOLDERS,
    "title_end": _TITLE_ENDS | _PORTFOLIO_WORDS,
    "place": _PLACE_NAME_HEADS | {"airport"},
}
_END_SHAPES = ("headed", "company", "of_named", "base", "firm")


def _ends(doc: Doc, anchors: dict[str, list[int]]) -> list[tuple[str, int, int]]:
    """The shapes found from the last word of a name, as (shape, start, end), in the order
    they end."""
    found = []
    for i in anchors["headed"]:
        if doc[i].is_title or _is_numbered_units_head(doc, i):
            found.append(("headed", i, i + 1))
    for i in anchors["company"]:
        token = doc[i]
        suffix = token.lower_ in _COMPANY_SUFFIX_SET and not token.is_lower
        if suffix or token.text in _LEGAL_FORM_SET:
            found.append(("company", i, i + 1))
        # "Chariot Oil & Gas": a trade word ends a name only joined to a suffix.
        if (
            suffix
            and i + 2 < len(doc)
            and doc[i + 1].lower_ in ("&", "and")
            and doc[i + 2].lower_ in _JOINED_SUFFIXES
            and doc[i + 2].is_title
        ):
            found.append(("company", i, i + 3))
    for i in anchors["of_named"]:
        token = doc[i]
        if not token.is_title or i + 1 >= len(doc):
            continue
        after = doc[i + 1].lower_
        # A "Group for" is a firm's name and a purpose ("Naval Group for the French navy").
        if (
            (token.lower_ in _OF_HEADS and after in _AFTER_HEAD)
            or (token.lower_ in STATE_HEADS and after == "of")
            or (token.lower_ == "group" and after in ("of", "on"))
        ):
            found.append(("of_named", i, i + 2))
    for kind in ("base", "firm"):
        found += [(kind, i, i + 1) for i in anchors[kind] if doc[i].is_lower]
    return sorted(found, key=lambda match: (match[2], match[1], _END_SHAPES.index(match[0])))


_COMPANY_SUFFIX_SET = frozenset(_COMPANY_SUFFIXES)
_NAME_PARTICLES = frozenset(_words("de del do da dos das di della dello du des"))
# The suffixes that say a firm's trade rather than its legal form, and other trades.
_TRADE_WORDS = frozenset(_JOINED_SUFFIXES) | _words(
    """technologies aerospace shipbuilding oil petroleum energy dynamics software electronics
    aviation offshore engineering marine heavy informatics telecommunications"""
)
_LEGAL_FORM_SET = frozenset(_LEGAL_FORMS)


def _is_office(doc: Doc, holder: int) -> bool:
    """ "the Prime Minister's Office", "U.S. Attorney's Office"."""
    return (
        doc[holder].is_title
        and holder + 2 < len(doc)
        and doc[holder + 1].text in _POSSESSIVES
        and doc[holder + 2].text == "Office"
    )


def _titled_names(doc: Doc, titles: list[int]) -> list[tuple[int, int]]:
    """The title and name after it, as (start, end), of every reading: "Defense Minister
    Lloyd Austin", "Secretary of Defense Jim Mattis", "NSA Ajit Doval", "Crown Prince Mohammed
    bin Salman"; two to four given names with a particle between the first two. The model
    often leaves such names untagged."""
    found = set()
    for title in titles:
        if not _is_given(doc, title + 1):
            continue
        seconds = [title + 2]
        if title + 2 < len(doc) and doc[title + 2].lower_ in _PARTICLES:
            seconds.append(title + 3)
        for second in seconds:
            end = second
            while (
                end < len(doc)
                and end - second < 3
                and _is_given(doc, end)
                and doc[end].text not in _POST_NOMINALS
            ):
                end += 1
                found.add((title, end))
    return sorted(found, key=lambda match: (match[1], match[0]))


# How far before a country or a body's acronym the post it belongs to may begin.
_POST_WORDS = 12
_POST_JOINERS = _words("of to")


_POSTS = _OFFICE_HOLDERS | _words("ambassador envoy undersecretary chairman chairwoman chief")


def _is_post(token: Token) -> bool:
    return token.lower_ in _POSTS


def _follows_a_post(doc: Doc, start: int) -> bool:
    """Whether a country is the one a post is of or to: "Minister of Foreign Affairs of
    Pakistan", "Ambassador to Korea"."""
    if start < 2 or doc[start - 1].lower_ not in _POST_JOINERS:
        return False
    return any(_is_post(token) for token in doc[max(0, start - _POST_WORDS) : start - 1])


def _acronyms_after_posts(doc: Doc) -> list[int]:
    """The closing brackets of the acronyms of a post's body: the ")" of "Secretary of the
    National Security and Defense Council (NSDC)"."""
    # Only at the closing brackets, read in one array: not a Token made for every word.
    return [
        i
        for i in indices_of(doc, [")"], attr="ORTH")
        if i >= 2
        and doc[i - 2].text == "("
        and doc[i - 1].is_upper
        and len(doc[i - 1]) > 1
        and any(_is_post(token) for token in doc[max(0, i - _POST_WORDS) : i - 2])
    ]


def _is_given(doc: Doc, i: int) -> bool:
    return i < len(doc) and doc[i].pos_ == "PROPN" and bool(_GIVEN.search(doc[i].text))


_GIVEN = re.compile(rf"^[{_UPPER}][\w'’.-]*$")


def _place_headed(doc: Doc, head: int) -> list[Found]:
    """A place named by capitalised words before its head word, joined over "and"."""
    start = head
    while start > max(0, head - _PLACE_WORDS):
        before = doc[start - 1]
        if (
            before.lower_ == "and"
            and start < head
            and start > 1
            and _is_name_word(doc, start - 2)
            # "Okinawa Prefecture and Kagoshima Prefecture" are two places.
            and doc[start - 2].lower_ not in _PLACE_NAME_HEADS
        ):
            start -= 1
            continue
        if not _is_name_word(doc, start - 1):
            break
        start -= 1
    if doc[start].lower_ == "and":
        start += 1
    if start == head or not doc[start].is_title:
        return []
    if _runs_on(doc, head + 1):
        return _service_base(doc, start, head)
    if doc[head].is_lower and start < head - 1:
        return []  # "Goma airport", not "Federal Aviation Administration airport"
    label = LOC if doc[head].lower_ in _WATER_HEADS else FAC
    if doc[head].lower_ == "prefecture":
        label = GPE
    return [Found(start, head + 1, label)]


# "Marine Corps Base Hawaii", "Naval Base San Diego", "Joint Base Pearl Harbor-Hickam": a base
# named by its service before "Base" and by its place after it.
_SERVICE_WORDS = _words("marine corps naval air force space army joint royal")
_BASE_PLACE_WORDS = 4


def _service_base(doc: Doc, start: int, head: int) -> list[Found]:
    if doc[head].lower_ != "base" or any(t.lower_ not in _SERVICE_WORDS for t in doc[start:head]):
        return []
    end = head + 1
    while end < min(len(doc), head + 1 + _BASE_PLACE_WORDS):
        if doc[end].is_title and doc[end].pos_ == "PROPN":
            end += 1
        elif (
            doc[end].text in _DASHES
            and not doc[end].whitespace_
            and not doc[end - 1].whitespace_
            and end + 1 < len(doc)
            and doc[end + 1].is_title
        ):
            end += 2  # "Pearl Harbor-Hickam"
        else:
            break
    return [Found(start, end, FAC)]


def _is_name_word(doc: Doc, i: int) -> bool:
    return (
        bool(_CAPITALISED.match(doc[i].text))
        and not doc[i].is_stop
        and not _is_dateline_dash(doc, i)
    ) or _is_plural_possessive(doc, i)


def _is_plural_possessive(doc: Doc, i: int) -> bool:
    # "Workers' Party", "Peoples' Defence Forces": the apostrophe of a capitalised plural, glued
    # to it, inside a name that goes on; not a body's own ("Marine Corps' Coastal Regiment" is
    # the regiment of the corps).
    return (
        doc[i].text in ("'", "’")
        and 0 < i < len(doc) - 1
        and not doc[i - 1].whitespace_
        and doc[i - 1].is_title
        and doc[i - 1].lower_.endswith("s")
        and doc[i - 1].lower_ not in _HEAD_WORDS
        and doc[i - 1].lower_ not in _ARMED_HEADS
        and doc[i + 1].is_title
    )


def _of_named(doc: Doc, head: int, countries: dict[int, int]) -> list[Found]:
    """A body named by its head, "of" and capitalised words: "Ministry of Peshmerga", "U.S.
    Department of Commerce", "Armed Forces of Ukraine"; without the minister named after the
    portfolio ("Department of Defense Lloyd Austin"), and none where a country named only there
    would be lost inside it."""
    headed = _headed(doc, head, countries)
    if not headed and doc[head].lower_ == "police":
        return []  # "Chief of Police of Lagos": a post; "National Police of Peru" names a force
    start = headed[0].start if headed else head
    first = head + 2
    if first < len(doc) and doc[first].lower_ == "the":
        first += 1
    end = first
    while end < min(len(doc), first + _OF_WORDS) and not doc[end].is_sent_start:
        token = doc[end]
        if token.lower_ in _DATE_WORDS:  # "the Council on Monday"
            break
        if token.lower_ in _INNER_JOINERS and _names_an_officer(doc, end + 1):
            break  # "Joint Chiefs of Staff and Colonel-General Altnybayev"
        if end > first and _officer_named_at(doc, end):
            break  # "Office of Foreign Assets Control Director Andrea M. Gacki"
        joins = end + 1 < len(doc) and (
            (token.lower_ in _OF_JOINERS and doc[end + 1].is_title)
            # "Military-Technical Cooperation", "India-UK Partnership"
            or (
                token.text in _DASHES
                and not token.whitespace_
                and not doc[end - 1].whitespace_
                and (doc[end + 1].is_title or doc[end + 1].is_upper)
            )
        )
        if not (
            token.is_title
            or (token.is_upper and token.is_alpha)
            or (joins and end > first)
            or _is_plural_possessive(doc, end)
        ):
            break
        end += 1
    while end > first and doc[end - 1].lower_ in _OF_JOINERS:  # "of Commerce on" Thursday
        end -= 1
    if end == first:
        return []
    tail = doc[first:end]
    # "Presidency of Defence Industries Mustafa Murat": the name ends at its last body word, or
    # at the country it is of ("Department of Defence of Australia Steven Moore").
    country_ends = [
        e - 1 - first
        for at, e in countries.items()
        if first < at and e <= end and doc[at - 1].lower_ == "of"
    ]
    last = max(
        [*(i for i, t in enumerate(tail) if t.lower_ in _OF_TAIL_ENDS), *country_ends],
        default=-1,
    )
    person = tail[last + 1 :]
    if last >= 0 and len(person) > 1 and all(t.pos_ == "PROPN" for t in person):
        end = first + last + 1
    if doc[head].lower_ in STATE_HEADS:
        # "Armed Forces of Paraguay": the state's own body, which its name ends ("Government of
        # Argentina on Defence" is the government).
        state_ends = [
            e
            for at, e in countries.items()
            # The country ends the name: "Government of Niger State", "of Mexico City", "of
            # India Mint" are longer names (a person after it is cut above; "of Argentina on
            # Defence" is the government's).
            if first <= at < end
            and doc[at - 1].lower_ in ("of", "the")
            and (e >= len(doc) or doc[e].lower_ not in _NAMES_AFTER_A_COUNTRY)
        ]
        if state_ends:
            return [Found(start, min(state_ends), ORG)]
    for at, country_end in countries.items():
        # A country's name, not a word before another ("of British Jews").
        named = country_end >= end or not doc[country_end].is_title
        if first <= at < end and named and text_of(doc).count(doc[at:country_end].text) < 2:
            # "Central Committee of the Workers' Party of Vietnam": the body before the
            # country's "of" is still named; the country stays a place.
            of = at - 1 if doc[at - 1].lower_ != "the" else at - 2
            if of > first + 1 and doc[of].lower_ == "of" and country_end >= end:
                return [Found(start, of, ORG)]
            return []
    return [Found(start, end, ORG)]


_HEAD_WORDS = frozenset(_HEADS) | _OF_HEADS
_BODY_ENDS = _PORTFOLIO_ENDS | _ORG_WORDS | frozenset(_COMPANY_SUFFIXES)
# "Joint Chiefs of Staff Gen. Mark Milley": the body ends at "Staff", its officer follows.
_OF_TAIL_ENDS = _BODY_ENDS | _words("staff chiefs")


def _names_an_officer(doc: Doc, start: int) -> bool:
    """Whether an officer's title starts at `start`, after the "and" that ends a body's name:
    "and Colonel-General Altnybayev" (not "and Rural Development", "and Human Services")."""
    if start >= len(doc):
        return False
    first = doc[start]
    return first.is_title and all(part in _TITLES for part in first.lower_.split("-"))


# Posts whose holder is named after a body's name, beside the titles, and the words that
# qualify a post ("Official Spokesperson", "Principal Deputy Spokesperson", "Joint Secretary").
_POSTS = _TITLES | _words(
    "director spokesman spokeswoman spokesperson chairman chairwoman administrator deputy"
)
_POST_QUALIFIERS = _words(
    """official principal senior acting press joint permanent additional assistant special
    executive chief"""
)


def _officer_named_at(doc: Doc, start: int) -> bool:
    """Whether a post and its holder's name of two words or more start at `start`: "Director
    Andrea M. Gacki", "Official Spokesperson Randhir Jaiswal" (not "Director General" alone)."""
    i = start
    posts = 0
    while i < len(doc) and doc[i].is_title:
        parts = doc[i].lower_.split("-")
        if all(part in _POSTS for part in parts):
            posts += 1
        elif not all(part in _POST_QUALIFIERS for part in parts):
            break
        i += 1
    name = 0
    while i + name < len(doc) and doc[i + name].pos_ == "PROPN" and doc[i + name].is_title:
        name += 1
    return posts > 0 and name >= 2


# What a base is of: "Jiupeng military base", "Rafiqui air base", "Itaguaí naval base".
_BASE_KINDS = _words("military air naval army navy missile marine")
_BASE_NAME_WORDS = 4


def _base_named(doc: Doc, base: int, known: frozenset[str]) -> list[Found]:
    """A base by the capitalised words before "base" ("Kossei base", "Tariq bin Ziyad military
    base"), named whole; none where they are a city, a country, a people or a region the story
    places it in ("Alexandria naval base" is in Alexandria, "Turkish military base")."""
    kind = base - (base > 0 and doc[base - 1].lower_ in _BASE_KINDS)
    start = kind
    while start > max(0, kind - _BASE_NAME_WORDS):
        before = doc[start - 1]
        particle = before.lower_ in _PARTICLES and start < kind and start - 1 > 0
        if not (particle or _is_name_word(doc, start - 1)):
            break
        if before.is_sent_start and before.pos_ != "PROPN":
            break
        start -= 1
    if start == kind or doc[start].lower_ in _PARTICLES:
        return []
    name = doc[start:kind]
    if name.text.casefold() in known or any(t.lower_ in _ORG_WORDS for t in name):
        return []
    return [Found(start, base + 1, FAC)]


def _with_hyphenated_surnames(doc: Doc, ents: list[Span]) -> list[Span]:
    """A person's name run on into the hyphenated surname the model labelled apart: "Alix Didier"
    and "Fils-Aimé" are one person."""
    merged: list[Span] = []
    for ent in ents:
        before = merged[-1] if merged else None
        if (
            before is not None
            and before.label_ == PERSON
            and before.end == ent.start
            and ent.label_ != PERSON
            and not ent.id_
            and _is_hyphenated_name(ent)
        ):
            merged[-1] = Span(doc, before.start, ent.end, label=PERSON)
            continue
        merged.append(ent)
    return merged


def _is_hyphenated_name(ent: Span) -> bool:
    """Whether a span is one word of capitalised parts joined by hyphens ("Fils-Aimé")."""
    if len(ent) != _HYPHENATED_PARTS or ent[1].text not in _DASHES:
        return False
    first, dash, second = ent
    return (
        not first.whitespace_
        and not dash.whitespace_
        and _is_person_word(first.text)
        and _is_person_word(second.text)
    )


_HYPHENATED_PARTS = 3


def _as_named_bodies(doc: Doc, ents: list[Span]) -> list[Span]:
    """The model's one-word person or place that a rule named as a body elsewhere in the doc is
    that body: "shipbuilder Damen ... according to Damen" (the model reads one-word firms as
    people)."""
    bodies = {ent.text for ent in ents if ent.label_ == ORG and ent.id_ and len(ent) == 1}
    if not bodies:
        return ents
    return [
        Span(doc, ent.start, ent.end, label=ORG, span_id=name)
        if ent.label_ in (PERSON, GPE) and not ent.id_ and (name := _unowned(ent)) in bodies
        else ent
        for ent in ents
    ]


def _unowned(ent: Span) -> str:
    """The one-word name without its possessive ("Galp" of "Galp's"); "" for longer ones."""
    words = [token.text for token in ent if token.text not in _POSSESSIVES]
    return words[0] if len(words) == 1 else ""


def _firm_named(doc: Doc, start: int, place_names: frozenset[str]) -> list[Found]:
    """The firm a common noun introduces: "shipbuilder Damen", "oil and gas explorer Galp
    Energia", "the Spanish corporation Atento"; not a title, a date or a place after the noun
    ("the company President", "the firm Monday", "the Asian giant China")."""
    end = start
    while end < min(len(doc), start + _NAME_WORDS) and _PROPER.match(doc[end].text):
        end += 1
    if end == start:
        return []
    name = doc[start:end]
    if (
        doc[start].lower_ in _TITLES
        or doc[start].lower_ in _EXECUTIVES
        or doc[start].lower_ in _DATE_WORDS
        or doc[start].lower_ in _NOT_NAMES
        or name.text.casefold() in place_names
        or doc[start].text == "&"
        or _runs_on(doc, end)
    ):
        return []
    return [Found(start, end, ORG)]


def _company(doc: Doc, suffix: int, end: int) -> list[Found]:
    """A company named by its own words and a suffix: "Tullow Oil", "BrahMos Aerospace Private
    Limited", "Chariot Oil & Gas" (its suffixes are tokens `suffix` to `end`); the whole name,
    not "BrahMos Aerospace" of it nor "U.S. Energy" of "U.S. Energy Secretary"."""
    if doc[suffix].lower_ in _LEADING_SUFFIXES or _runs_on(doc, end):
        return []
    start = suffix
    while start > max(0, suffix - 3):
        before = doc[start - 1]
        if before.text == "." and start > 1 and not doc[start - 2].whitespace_:
            # "Pvt. Ltd.": the tokenizer cut the abbreviation's full stop off.
            before = doc[start - 2]
        elif before.text == "," and start > 1 and _is_company_suffix(doc[start - 2]):
            # "Co., Ltd.", "Holdings, Inc.": a legal form after a comma ends the same name.
            before = doc[start - 2]
        if not _is_company_suffix(before):
            break
        start = before.i
    first = start
    while start > max(0, first - _NAME_WORDS):
        if _PROPER.match(doc[start - 1].text):
            start -= 1
        elif (
            start < first
            and start > 1
            and doc[start - 1].text in _NAME_PARTICLES
            and _PROPER.match(doc[start - 2].text)
        ):
            # "Petroleos de Venezuela SA", "Banco do Brasil SA": the particle of a
            # Romance-language name.
            start -= 2
        else:
            break
    if start == first:
        return []
    # "2nd Signal Company": a unit the army names as a company.
    if start > 0 and _ORDINAL.match(doc[start - 1].text) and doc[suffix].lower_ == "company":
        start -= 1
    # "China Shipbuilding and Offshore International Co": trade words on both sides of the
    # connector are one firm's trades; not two firms ("Hanwha Aerospace and Hyundai Rotem Co").
    if (
        start > 2
        and doc[start - 1].lower_ in _INNER_JOINERS
        and doc[start].lower_ in _TRADE_WORDS
        and _is_company_suffix(doc[start - 2])
        and doc[start - 2].lower_ in _TRADE_WORDS
    ):
        start -= 2
        while start > max(0, first - _NAME_WORDS - 2) and _PROPER.match(doc[start - 1].text):
            start -= 1
    return [Found(start, end, ORG)]


def _is_company_suffix(token: Token) -> bool:
    return not token.is_lower and (token.lower_ in _COMPANY_SUFFIXES or token.text in _LEGAL_FORMS)


def _is_dateline_dash(doc: Doc, i: int) -> bool:
    # "MOGADISHU-Anadolu Agency": a city in capitals, then the agency, is a dateline's dash.
    return doc[i].text in _DASHES and i > 0 and doc[i - 1].is_upper and len(doc[i - 1]) > 2


def _is_body(doc: Doc, end: int) -> bool:
    # "The Venezuelan military said" names a body; "Russian military officials" does not.
    return doc[end - 1].lower_ != "military" or doc[end - 1].pos_ == "NOUN"


def _modifies_noun(doc: Doc, end: int) -> bool:
    # "Brasilia's air force base": the base, not the air force.
    return end < len(doc) and doc[end].is_lower and doc[end].pos_ == "NOUN"


def _runs_on(doc: Doc, end: int) -> bool:
    return end < len(doc) and doc[end].is_title and doc[end].pos_ == "PROPN"


def _name_goes_on(doc: Doc, end: int) -> bool:
    # "Lee Jae" of "Lee Jae-myung", "Abdel Fattah" of "Abdel Fattah al-Sisi".
    if end >= len(doc):
        return False
    after = doc[end]
    return (after.text in _DASHES and not doc[end - 1].whitespace_) or after.lower_ in _PARTICLES


def _is_name_start(doc: Doc, start: int) -> bool:
    # "The Eastern Theater Command" starts at "Eastern"; a headline's "Defence Ministry Says"
    # still reads as a body, and the title's other words are left alone.
    return start == 0 or doc[start - 1].lower_ != "of"


def _dateline(doc: Doc, start: int, end: int) -> list[Found]:
    """The city and agency of "GENEVA (AP) —" or "KHARTOUM, Sudan (Reuters) -" at the start of
    the text or of a paragraph."""
    if start > 0 and "\n" not in doc[start - 1].text_with_ws:
        return []
    open_at = next(i for i in range(start, end) if doc[i].text == "(")
    comma = next((i for i in range(start, open_at) if doc[i].text == ","), open_at)
    found = [Found(start, comma, GPE), Found(open_at + 1, end - 2, ORG)]
    if comma < open_at and not doc[open_at - 1].is_digit:
        found.append(Found(comma + 1, open_at, GPE))
    return found


# Words of a body's name or a portfolio, never of a place's.
_NOT_PLACE_WORDS = (
    _ORG_WORDS
    | _OF_HEADS
    | _TITLE_ENDS
    | frozenset(_HEADS)
    | frozenset(_COMPANY_SUFFIXES)
    | _words("research development science technology engineering relations information")
)
# Month names as datelines write them ("Oct.", "Sept", "February").
_MONTHS = _words(
    """jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june
    july august september october november december"""
)
_DATELINE_WORDS = 4
_LINE_START = re.compile(r"^[^\S\n]*(?=\S)", re.MULTILINE)


def opening_datelines(doc: Doc) -> list[Found]:
    """The cities of datelines that open a paragraph in shapes the matchers' patterns leave out:
    a date or a bracketed credit after the city in capitals ("SEOUL, Feb 12 —", "TEHRAN, Oct.
    29 (MNA) —", "BOGOTA, (PNA/Xinhua) —", "LONDON Oct 1"), and a city with its state in
    brackets and a colon ("Bhopal (Madhya Pradesh):"). Only paragraph starts are read."""
    found: list[Found] = []
    for start in _paragraph_starts(doc):
        found.extend(_capitals_dateline(doc, start) or _bracketed_state_dateline(doc, start))
    return found


def _paragraph_starts(doc: Doc) -> list[int]:
    # One pass over the text: each line's first character after its indent.
    starts: set[int] = set()
    for line in _LINE_START.finditer(text_of(doc)):
        first = line.end()
        span = doc.char_span(first, first + 1, alignment_mode="expand")
        if span is not None:
            starts.add(span.start)
    return sorted(starts)


def _is_place_word(token: Token) -> bool:
    # "The Ministry (Defence):" names a body, not a city and its state.
    return (
        token.is_title
        and not token.is_stop
        and token.lower_ not in _ORG_WORDS
        and token.lower_ not in _OF_HEADS
    )


def _capitals_dateline(doc: Doc, start: int) -> list[Found]:
    # "(BRUSSELS) -": some outlets bracket the city instead of the agency.
    bracketed = doc[start].text == "("
    first = start + bracketed
    end = _city_end(doc, first, lambda token: token.is_upper)
    if end == first:
        # "Port Elizabeth, Sep 11 (PTI)": in title case, a date and a credit both follow.
        end = _city_end(doc, first, lambda token: token.is_title)
        titled = not bracketed and end > first
        return [Found(start, end, GPE)] if titled and _dated_credit(doc, end) else []
    if end + 2 >= len(doc):
        return []
    if bracketed:
        closed = doc[end].text in _CREDIT_CLOSES or (
            doc[end].text == ")" and doc[end + 1].text in _DATELINE_ENDS
        )
        return [Found(start + 1, end, GPE)] if closed else []
    # "SEOUL, Feb 12", "YEKATERINBURG. Dec 25": a comma or a full stop before the date.
    separated = doc[end].text in (",", ".")
    after = doc[end + separated]
    dated = after.lower_.rstrip(".") in _MONTHS and doc[end + separated + 1].like_num
    credited = after.text == "(" and (doc[end].text == "," or _closes_credit(doc, after.i))
    # "EVANSVILLE, Ind. (WEHT) -": a state's abbreviation between the city and the credit.
    region = doc[end].text == "," and _STATE_ABBREVIATION.match(after.text)
    credited = credited or bool(
        region and doc[end + 2].text == "(" and _closes_credit(doc, end + 2)
    )
    return [Found(start, end, GPE)] if dated or credited else []


def _city_end(doc: Doc, first: int, written: Callable[[Token], bool]) -> int:
    end = first
    while (
        end < min(len(doc), first + _DATELINE_WORDS)
        and written(doc[end])
        and doc[end].is_alpha
        and len(doc[end]) >= (3 if end == first else 2)
    ):
        end += 1
    return end


def _dated_credit(doc: Doc, end: int) -> bool:
    # ", Sep 11 (PTI)": a comma, a month, its day and an agency's bracket.
    if end + 4 >= len(doc) or doc[end].text != ",":
        return False
    month, day, bracket = doc[end + 1 : end + 4]
    return month.lower_.rstrip(".") in _MONTHS and day.like_num and bracket.text == "("


# "Ind.", "Fla.", "Calif.": a US state as datelines abbreviate it.
_STATE_ABBREVIATION = re.compile(r"^[A-Z][a-z]{1,4}\.$")


def _closes_credit(doc: Doc, open_at: int) -> bool:
    """Whether the bracket at token `open_at` is a credit's."""
    # "YEKATERINBURG (TASS):", "PUNE (Interfax-AVN) -": the agency's bracket closes within a few
    # words and a dash or a colon follows it, as a body's acronym in brackets never is.
    for at in range(open_at + 1, min(len(doc), open_at + _DATELINE_WORDS + 2)):
        if doc[at].text in _CREDIT_CLOSES:
            return True
        if doc[at].text == ")":
            return at + 1 < len(doc) and doc[at + 1].text in _DATELINE_ENDS
    return False


# What ends a dateline after its bracket: a dash or a colon, apart or glued to the bracket.
_DATELINE_ENDS = frozenset({*_DASHES, ":"})
_CREDIT_CLOSES = frozenset({"):", ")-", ")–", ")—"})


def _bracketed_state_dateline(doc: Doc, start: int) -> list[Found]:
    end = start
    while end < min(len(doc), start + _DATELINE_WORDS) and _is_place_word(doc[end]):
        end += 1
    if end == start or end >= len(doc) or doc[end].text != "(":
        return []
    close = end + 1
    while close < min(len(doc), end + 1 + _DATELINE_WORDS) and _is_place_word(doc[close]):
        close += 1
    # The tokenizer may keep the bracket and the colon together ("):").
    closing = doc[close : close + 2].text.replace(" ", "") if close < len(doc) else ""
    if close == end + 1 or not closing.startswith("):"):
        return []
    return [Found(start, end, GPE), Found(end + 1, close, GPE)]


# Words before two places joined by "and" ("the cities of A and B", "especially A and B").
_PLACE_CUES = _words("in of at near especially from between around outside across")
_COORDINATED_LABELS = frozenset({ORG, FAC, PERSON, "NORP", "WORK_OF_ART", "PRODUCT", EVENT, "LAW"})
_COORDINATED_WORDS = 3


def split_coordinated_places(doc: Doc, is_country: Callable[[str], bool]) -> None:
    """Splits two places joined by "and" that the model read as one name of another kind
    ("the cities of Hamidieh and Dasht-e-Azadegan", "Gurdaspur's Makaura Pattan and Adalatgarh",
    "in Ohio, Pennsylvania and Rhode Island") into two places. Left whole: a body's name ("Justice
    and Equality Movement", "Minister of Defence and Military Veterans"), a country's ("Trinidad
    and Tobago"), and a pair with no place word before it ("Stars and Stripes")."""

    def joiner(ent: Span, previous: Span | None) -> int | None:
        # "U.S. Customs and Border Patrol" ends in a body's head: one body, no places.
        if ent.label_ not in _COORDINATED_LABELS or (
            ent.label_ == ORG and ent[-1].lower_ in _CONTINUATION_HEADS
        ):
            return None
        at = _coordinated_pair(ent, is_country)
        return at if at is not None and _after_place_cue(doc, ent.start, previous) else None

    _split_pairs(doc, joiner, GPE)


def split_coordinated_services(doc: Doc) -> None:
    """Splits two armed services joined by "and" that the model read as one body ("the Navy and
    Marine Corps", "Indian Army and Air Force") into two. Left whole: a body named after both
    ("Army and Air Force Exchange Service")."""
    _split_pairs(doc, lambda ent, _: _services_joined(ent) if ent.label_ == ORG else None, ORG)


def _split_pairs(
    doc: Doc, joiner_of: Callable[[Span, Span | None], int | None], label: str
) -> None:
    """Splits each entity at the token `joiner_of` gives it (and the entity before it) into the
    two names either side, with `label`; entities it gives None stay as they are."""
    ents = list(doc.ents)
    split: list[Span] = []
    for i, ent in enumerate(ents):
        joiner = joiner_of(ent, ents[i - 1] if i > 0 else None)
        if joiner is None:
            split.append(ent)
            continue
        # Each named as written: the whole's canonical name is neither's.
        split += [
            Span(doc, start, end, label=label, span_id=doc[start:end].text)
            for start, end in ((ent.start, joiner), (joiner + 1, ent.end))
        ]
    if len(split) > len(ents):
        doc.ents = split


def _services_joined(ent: Span) -> int | None:
    """The "and" between two armed services that make up `ent`, or None. The first may come
    after its country ("U.S. Navy"), the second stands alone."""
    joiners = [token.i for token in ent if token.lower_ in ("and", "&")]
    if len(joiners) != 1:
        return None
    joiner = joiners[0]
    first, second = ent.doc[ent.start : joiner], ent.doc[joiner + 1 : ent.end]
    if second.text.casefold() not in _SERVICES:
        return None
    owner = next(
        (cut for cut in range(len(first)) if first[cut:].text.casefold() in _SERVICES), None
    )
    if owner is None or not all(token.text[0].isupper() for token in first[:owner]):
        return None
    return joiner


# Armed services by the words news names them with.
_SERVICES = frozenset(
    ["navy", "army", "air force", "marine corps", "marines", "coast guard", "national guard",
     "space force", "special forces", "air self-defense force", "ground self-defense force",
     "maritime self-defense force", "rocket force", "border guard", "gendarmerie"]
)  # fmt: skip


def _coordinated_pair(ent: Span, is_country: Callable[[str], bool]) -> int | None:
    """The token joining the two names of `ent`, when it is two short capitalised names."""
    joiners = [token.i for token in ent if token.lower_ in ("and", "&")]
    if len(joiners) != 1 or is_country(ent.text.replace("&", "and")):
        return None
    joiner = joiners[0]
    sides = (ent.doc[ent.start : joiner], ent.doc[joiner + 1 : ent.end])
    for side in sides:
        # "Dasht-e-Azadegan": a particle between hyphens is no word of its own.
        words = [token for token in side if token.text not in _DASHES and not _is_hyphened(token)]
        if not 0 < len(words) <= _COORDINATED_WORDS or not all(
            _is_place_word(token) and token.lower_ not in _NOT_PLACE_WORDS for token in words
        ):
            return None
    return joiner


def _is_hyphened(token: Token) -> bool:
    before = token.doc[token.i - 1] if token.i > 0 else None
    return (
        token.is_lower and before is not None and before.text in _DASHES and not before.whitespace_
    )


def _after_place_cue(doc: Doc, start: int, previous: Span | None) -> bool:
    before = start - 1
    if before >= 0 and doc[before].lower_ == "the":
        before -= 1
    if before < 0:
        return False
    word = doc[before]
    if word.text in _POSSESSIVES:
        return True
    if word.text == ",":
        # A list of places: "in Ohio, Pennsylvania and Rhode Island".
        return previous is not None and previous.end == before and previous.label_ in (GPE, LOC)
    if word.lower_ == "of":
        # "the cities of", not "Minister of" or "Director of".
        return before > 0 and doc[before - 1].is_lower
    return word.lower_ in _PLACE_CUES


# "the town of X": a place's kind before its name ("state" is not one: "heads of state of").
_PLACE_KINDS = _words("town city village district province region port island county municipality")
# Words of a body's name ("Central Bank"), never of a place's.
_BODY_WORDS = _ORG_WORDS | _OF_HEADS | frozenset(_COMPANY_SUFFIXES) | _FIRM_NOUNS
# What the model reads as a place and names none.
_NO_PLACES = _words("north south east west earth world")
# Office-holders of a place, before "of" and its name.
_PLACE_OFFICES = _words("mayor governor prince emir sultan")
# "Fort Bliss", "Camp Lemonnier": a base named by its first word.
_BASE_FIRST_WORDS = frozenset(["Fort", "Camp"])
_MISREAD_PLACE_LABELS = frozenset({PERSON, "NORP", "WORK_OF_ART", "PRODUCT"})
# What is named after a place and is none: "Camp David Accords".
_NAMED_AFTER_PLACES = _words("accords accord agreement agreements treaty declaration summit talks")
_BASE_WORDS = 3


def relabel_places_named_so(doc: Doc) -> None:
    """Places the model read as people, peoples or products, though their words say what they
    are: a name after a place's kind and "of" ("the town of Agadir", "the village of Java") and
    a base named "Fort" or "Camp" ("Fort Bliss soldiers", "Camp Lemonnier")."""
    ents = list(doc.ents)
    changed = False
    for i, ent in enumerate(ents):
        if ent.label_ not in _MISREAD_PLACE_LABELS and ent.label_ != ORG:
            continue
        after_of = ent.start >= 2 and doc[ent.start - 1].lower_ == "of"
        before_of = doc[ent.start - 2] if after_of else None
        after_kind = before_of is not None and (
            (before_of.lower_ in _PLACE_KINDS and before_of.is_lower)
            # "the mayor of Melitopol", "Crown Prince of Abu Dhabi": a place's office-holder.
            # Not a longer person's name: "the mayor of Kyiv Vitali Klitschko" is both.
            or (before_of.lower_ in _PLACE_OFFICES and (ent.label_ != PERSON or len(ent) == 1))
        )
        if ent.label_ == ORG:
            # A body the model read well is named with a body's words ("the governor of the
            # Central Bank"); a place's name has none.
            after_kind = (
                after_kind
                and len(ent) <= _BASE_WORDS
                and not any(token.is_lower or token.lower_ in _BODY_WORDS for token in ent)
            )
            if not after_kind:
                continue
        base = (
            ent[0].text in _BASE_FIRST_WORDS
            and 2 <= len(ent) <= _BASE_WORDS
            and all(token.is_title for token in ent)
            and ent[-1].lower_ not in _NAMED_AFTER_PLACES
        )
        if after_kind or base:
            ents[i] = Span(doc, ent.start, ent.end, label=GPE if after_kind else FAC)
            changed = True
    if changed:
        doc.ents = ents


# The kind of place a name may end with when written with a capital ("Sinai Peninsula", "Otero
# County", "Homs Province"), and "airport" either way ("Don Mueang airport"): the labels hold the
# whole name, where they leave out a lower-case "province" or "region" half the time.
_PLACE_TAILS = _words(
    "Peninsula Airport County Island Islands Province Region District Prefecture Oblast Governorate"
)
_LOWER_PLACE_TAILS = _words("airport")
_NAMED_PLACE_LABELS = frozenset({GPE, "LOC", FAC})


def extend_places_to_their_kind(doc: Doc) -> None:
    """Ends a place at the word for its kind that the model left after it: "Sinai" of "the Sinai
    Peninsula" is the peninsula, "Don Mueang" of "Don Mueang airport" the airport."""
    ents = list(doc.ents)
    changed = False
    for i, ent in enumerate(ents):
        end = ent.end
        if (
            ent.label_ not in _NAMED_PLACE_LABELS
            or end >= len(doc)
            or doc[end].ent_iob_ != "O"
            or not ent[-1].whitespace_
            or (doc[end].text not in _PLACE_TAILS and doc[end].text not in _LOWER_PLACE_TAILS)
            # "Taiwan Island Chain", "Nagorno-Karabakh Region Council": the tail opens a name.
            or (end + 1 < len(doc) and doc[end + 1].is_title and doc[end + 1].pos_ == "PROPN")
        ):
            continue
        # A name of its own: not the listed place's ("Sinai Peninsula", not "Sinai").
        name = doc.vocab.strings.add(doc[ent.start : end + 1].text)
        ents[i] = Span(doc, ent.start, end + 1, label=ent.label_, span_id=name)
        changed = True
    if changed:
        doc.ents = ents


class ArtefactRules:
    """Corrects the model's entities with the parse and the gazetteers (after `ner`)."""

    def __init__(
        self,
        is_country: Callable[[str], bool],
        regions: Iterable[str],
        weapons: Iterable[str],
        provinces: Iterable[tuple[str, str]] = (),
        country_of: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        self.is_country = is_country
        self.regions = frozenset(region.casefold() for region in regions)
        self.weapons = frozenset(weapon.casefold() for weapon in weapons)
        # A province's country, by name: "Falcón" is a state of Venezuela, and a "Falcon" in a
        # story that names no Venezuela is something else.
        self.provinces: dict[str, set[str]] = {}
        for province, country in provinces:
            self.provinces.setdefault(plain_name(province), set()).add(country)
        self.country_of = country_of

    def __call__(self, doc: Doc) -> list[Span]:
        """The doc's entities, corrected; those that are no entity are left out."""
        _close_brackets(doc)
        self._split_country_pairs(doc)
        exercises = _exercise_names(doc, self.is_country)
        surnames = {ent[-1].lower_ for ent in doc.ents if ent.label_ == PERSON and len(ent) > 1}
        # Longest first: a name made whole replaces the pieces the model cut it into.
        repaired = [
            *_whole_names(doc, self.is_country),
            *_acronyms(doc, self.weapons),
            *_joined_institutions(doc),
            *_continued_bodies(doc),
            *self._owned_bodies(doc),
        ]
        # The doc's countries are looked up only if a one-word province needs them (a lookup
        # of a new name reads all of pycountry's).
        named = cache(
            lambda: {self.country_of(ent.text) for ent in doc.ents if ent.label_ in (GPE, "NORP")}
        )
        ents: list[Span] = []
        for ent in filter_spans([*repaired, *doc.ents]) if repaired else doc.ents:
            if ent.id_ and ent.label_ not in (ORG, LOC, GPE):
                ents.append(ent)
                continue
            parts = [ent]
            if ent.label_ == ORG:
                ent = _with_legal_form(doc, ent)
                ent = _without_description(doc, _without_trailing_titles(doc, ent))
                parts = _bodies_within(doc, _without_leading_titles(doc, ent))
            for part in parts:
                ents.extend(self._corrected(doc, part, exercises, surnames, named))
        ents = _by_list_mates(doc, _without_instrument_acronyms(doc, ents), surnames)
        ents = _by_role(doc, _with_missions_place(doc, self._teams(doc, ents, surnames)))
        return _as_named_bodies(doc, _with_hyphenated_surnames(doc, ents))

    def _owned_bodies(self, doc: Doc) -> list[Span]:
        """A body the model cut from the people's name before it, which it read as a body of
        its own ("the Iranian" + "Revolutionary Guards"): one name with its people's. A unit
        named by its number is named without them ("French 35th Infantry Regiment")."""
        owned = []
        for owner, body in pairwise(doc.ents):
            people = owner[owner[0].lower_ == "the" :]
            if (
                owner.label_ == ORG
                and body.label_ == ORG
                and body.start == owner.end
                and not _ORDINAL.match(body[0].text)
                and len(people) == 1
                and people[0].is_title
                and not self.is_country(people.text)
                and self.country_of(people.text) is not None
            ):
                name = doc[people.start : body.end]
                owned.append(Span(doc, name.start, name.end, label=ORG, span_id=name.text))
        return owned

    def _teams(self, doc: Doc, ents: list[Span], surnames: set[str]) -> list[Span]:
        """Clubs named beside a result ("Everton pipped Brentford 1-0", "Leeds and Brighton drew
        2-2", "a 3-1 win over Nottingham Forest"): a city or a name the model read as a place
        or a person is the team, an organisation; a country stays a place (its national side
        is written as the country)."""
        # The dashes are found by their ids in one array, not by a walk over the doc.
        dashes = indices_of(doc, _DASHES, "ORTH")
        scores = [i for i in dashes if 0 < i < len(doc) - 1 and _is_score(doc, i)]
        if not scores:
            return ents
        near = {i for score in scores for i in range(score - _SCORE_GAP, score + _SCORE_GAP)}
        result_words = {
            t.i for t in doc if t.lower_ in _RESULT_WORDS and (t.i in near or t.i - 1 in near)
        }
        around_results = {
            i for word in result_words for i in range(word - _RESULT_GAP, word + _RESULT_GAP + 1)
        }
        teams = []
        for ent in ents:
            if (
                # A site the place rules named ("Crystal Palace") may be a club too.
                (not ent.id_ or ent.label_ == FAC)
                and ent.label_ in (PERSON, GPE, LOC, FAC, ORG)
                and (ent.start in around_results or ent.end - 1 in around_results)
                and _is_team_shaped(ent, surnames)
                and not self.is_country(_bare(ent))
            ):
                end = ent.end
                while end > ent.start + 1 and (doc[end - 1].like_num or doc[end - 1].is_punct):
                    end -= 1  # "Brentford 1-0": the model ran the name on into the score
                ent = Span(doc, ent.start, end, label=ORG, span_id=doc[ent.start : end].text)
            teams.append(ent)
        # A name the model left untagged between a result's verb and the score: "beat Swindon
        # 2-1"; not a headline's "Held To Draw 2-2".
        tagged = {i for ent in ents for i in range(ent.start, ent.end)}
        for score in scores:
            name = score - 2
            if (
                name >= 1
                and name not in tagged
                and (
                    name - 1 in result_words
                    or (name >= 2 and doc[name - 1].lower_ == "the" and name - 2 in result_words)
                )
                and doc[name].lower_ not in _RESULT_WORDS
                and doc[name].is_title
                and doc[name].is_alpha
                and not doc[name].is_stop
                and not self.is_country(doc[name].text)
            ):
                teams.append(Span(doc, name, name + 1, label=ORG, span_id=doc[name].text))
        return sorted(teams, key=lambda ent: ent.start)

    def _split_country_pairs(self, doc: Doc) -> None:
        """Countries joined by a hyphen ("China-Thailand drills", "the India-Pakistan Test") are
        places each, whatever the model made of the pair; a rule's name around them stays."""
        # The dashes are found by their ids in one array (a walk over every token costs more
        # than the rest of this pass).
        dashes = indices_of(doc, _DASHES, "ORTH")
        pairs = [
            (dash.i - 1, dash.i + 1)
            for dash in (doc[i] for i in dashes if 0 < i < len(doc) - 1)
            if not dash.whitespace_
            and not doc[dash.i - 1].whitespace_
            and all(doc[i].is_title or doc[i].is_upper for i in (dash.i - 1, dash.i + 1))
            and self.is_country(doc[dash.i - 1].text)
            and self.is_country(doc[dash.i + 1].text)
        ]
        if not pairs:
            return
        covered = {i: ent for ent in doc.ents for i in range(ent.start, ent.end)}
        dropped: set[int] = set()
        added = []
        for first, second in pairs:
            around = {covered.get(first), covered.get(second)} - {None}
            if any(ent.id_ for ent in around if ent is not None):
                continue
            dropped.update(ent.start for ent in around if ent is not None)
            added += [Span(doc, i, i + 1, label=GPE) for i in (first, second)]
        kept = [ent for ent in doc.ents if ent.start not in dropped]
        doc.ents = filter_spans([*added, *kept])

    def _corrected(
        self,
        doc: Doc,
        ent: Span,
        exercises: frozenset[str],
        surnames: set[str],
        countries: Callable[[], set[str | None]],
    ) -> list[Span]:
        text = _bare(ent)
        folded = text.casefold()
        label = ent.label_
        if label not in (PERSON, ORG, GPE, LOC, FAC, "NORP", "PRODUCT", "WORK_OF_ART"):
            return [ent]
        if folded in exercises and not ent.id_:
            return [Span(doc, ent.start, ent.end, label=EVENT)]
        if label in (GPE, LOC) and not ent.id_:
            if folded in _NO_PLACES:
                # "the North", "the West", "Earth": a direction or the world, no place named.
                return []
            if any(token.lower_ == "day" and token.is_title for token in ent):
                # "Republic Day", "Anzac Day": a day named after a place or a people.
                return [Span(doc, ent.start, ent.end, label=EVENT)]
            if len(ent) == 1 and not self.is_country(text) and self.country_of(text):
                # "Ukrainian" alone: a people's name, not their country's (and "AI" an ISO
                # code news never writes for Anguilla).
                return [Span(doc, ent.start, ent.end, label="NORP")]
        if label in (PERSON, ORG, GPE) and not ent.id_:
            split = self._place_then_person(doc, ent)
            if split:
                return split
        if label == PERSON and not ent.id_ and _follows_a_ship_noun(doc, ent):
            # "the naval destroyer Wang Geon": ships are named after people.
            return [Span(doc, ent.start, ent.end, label=VESSEL)]
        if label == PERSON and not ent.id_ and _is_attributive(doc, ent):
            # "the Harlan administration", "the Varga regime": a surname that names what
            # the person leads, not the person.
            return []
        if label == ORG and not ent.id_ and _singular_acronym(text) in _NO_BODY_ACRONYMS:
            # "UAVs", "GMT": a class of equipment or a time zone in capitals, no body.
            return []
        if label in (ORG, PERSON) and not ent.id_ and _is_titles_only(ent):
            # "Air Commodore", "Major-General": a rank whose holder is not named.
            return []
        if label == ORG and not ent.id_ and ent[-1].lower_ in _INSTRUMENT_HEADS:
            # "Reciprocal Access Agreement", "Extended Fund Facility": what bodies sign or
            # hold, not a body.
            return [Span(doc, ent.start, ent.end, label=_INSTRUMENT_HEADS[ent[-1].lower_])]
        if (
            label == ORG
            and len(ent) == 1
            and not ent.id_
            # "BA", "PN" are bodies' acronyms as well as ISO codes of countries.
            and ent[0].is_title
            and not self.is_country(text)
            and self.country_of(text) is not None
        ):
            # "French" alone: a people's or a language's name, no body.
            return [Span(doc, ent.start, ent.end, label="NORP")]
        if (
            label in (PERSON, ORG, "NORP", "PRODUCT")
            and folded in self.weapons
            and folded not in surnames
        ):
            return []
        if label in (PERSON, ORG) and (folded in self.regions or self.is_country(text)):
            return [Span(doc, ent.start, ent.end, label=LOC if folded in self.regions else GPE)]
        if (
            label in (PERSON, ORG, "NORP")
            and not ent.id_
            and folded not in surnames
            and (
                self._is_province(doc, ent, text, countries)
                or (label == PERSON and self._is_located(doc, ent))
                or (label == ORG and _is_named_place(doc, ent))
            )
        ):
            # "Himachal Pradesh", "Haryana", "Manaus, Brazil": a province or a town in one.
            return [Span(doc, ent.start, ent.end, label=GPE)]
        if label in (ORG, FAC) and _is_working_centre(folded):
            return [Span(doc, ent.start, ent.end, label=ORG)]
        if label in (PERSON, ORG) and _is_place(folded):
            return [Span(doc, ent.start, ent.end, label=FAC)]
        if label == PERSON and folded not in surnames and _is_where(doc, ent):
            return [Span(doc, ent.start, ent.end, label=GPE)]
        if label in (ORG, GPE, "NORP") and not ent.id_ and len(ent) == 3 and ent[1].text in "-–":
            # "the U.S.-Mexico border": two countries.
            pair = [Span(doc, i, i + 1, label=GPE) for i in (ent.start, ent.end - 1)]
            if all(self.is_country(part.text) for part in pair):
                return pair
        if label == ORG and folded in _GENERIC_ORGS:
            return []
        if (
            label in (ORG, "PRODUCT")
            and not ent.id_
            and len(ent) > 1
            and all(t.lower_ in _CLASS_WORDS or t.text == "-" for t in ent)
        ):
            # "Ballistic Missile Defence System": a kind of equipment, no body's name.
            return []
        named = _named_with_class(doc, ent)
        if (
            named is not None
            and not self.is_country(named.text)
            and self.country_of(named.text) is None
        ):
            # "Tayfun Short-Range Ballistic Missile System": the name before the class words.
            return [Span(doc, named.start, named.end, label=WEAPON, span_id=named.text)]
        if _names_equipment(doc, ent) and not self.is_country(text):
            # "two Bergepanzer armored recovery vehicles", "Cheng Kung-class frigate"; a people
            # before the name owns the class ("the Dutch L-class frigates" are L-class).
            start = ent.start
            while start < ent.end - 1 and self.country_of(doc[start].text) is not None:
                start += 1
            name = _CLASS.sub("", doc[start : ent.end].text)
            return [Span(doc, start, ent.end, label=WEAPON, span_id=name)]
        if label == PERSON and not ent.id_ and any(t.lower_ in _NOT_NAME_NOUNS for t in ent):
            # "Cruise Missile", "Amphibious Warships" of a headline in title case: equipment,
            # no person.
            return []
        if (
            label in (ORG, GPE)
            and not ent.id_
            and _is_regnal_name(ent)
            and not self.is_country(text)
        ):
            # "Edward VII": a sovereign's name and numeral.
            return [Span(doc, ent.start, ent.end, label=PERSON)]
        if label == ORG:
            return [_titled_person(doc, ent) or _person_after_portfolio(doc, ent)]
        if label == PERSON and not ent.id_ and _has_acronym(doc, ent):
            # "JCSC", "NASDAQ OMX PHLX": a name in capitals among words in lower case is a
            # body's acronym, no person's.
            return [Span(doc, ent.start, ent.end, label=ORG)]
        if label == PERSON:
            return _without_titles(doc, ent)
        return [ent]

    def _place_then_person(self, doc: Doc, ent: Span) -> list[Span]:
        """A country and the person named after it, which the model read as one name: "the
        Ambassador to Laos Jiang Zaidong", "the President of Nigeria Muhammadu Buhari" (a
        portfolio's country, then its holder); [] where the entity is not so."""
        if ent.start == 0 or doc[ent.start - 1].lower_ not in _PORTFOLIO_JOINS:
            return []
        for country_words in (1, 2):
            person = ent[country_words:]
            if not _NAME_PARTS - 1 <= len(person) <= _NAME_PARTS + 1 or not all(
                _is_person_word(t.text)
                and t.lower_ not in _NOT_NAMES
                and t.lower_ not in _HEAD_WORDS
                and t.lower_ not in _NOT_PERSON_WORDS
                for t in person
            ):
                continue
            if self.is_country(ent[:country_words].text):
                country = Span(doc, ent.start, person.start, label=GPE)
                return [country, Span(doc, person.start, ent.end, label=PERSON)]
        return []

    def _is_province(
        self, doc: Doc, ent: Span, text: str, countries: Callable[[], set[str | None]]
    ) -> bool:
        """Whether a name is a province's: one of two words or more ("Uttar Pradesh"), or of
        one word where the doc names its country or writes it as a place ("in Punjab",
        "Capas, Tarlac"); "Falcon" is a Venezuelan state only in a story of Venezuela."""
        owners = self.provinces.get(plain_name(text))
        if not owners:
            return False
        before = doc[ent.start - 1] if ent.start > 0 else None
        placed = before is not None and (
            before.lower_ in _PLACE_PREPOSITIONS
            or (before.text == "," and before.i > 0 and doc[before.i - 1].ent_type_ == GPE)
        )
        return len(text.split()) > 1 or placed or not owners.isdisjoint(countries())

    def _is_located(self, doc: Doc, ent: Span) -> bool:
        """Whether a name the model gave a person is a place by what is written around it: its
        country or province after it ("Goma, Congo", "Leticia (Colombia)"), or a word for a
        place before or after it ("the city of Cartagena", "Jiupeng military base", "Amritsar
        sectors")."""
        if len(ent) > 2:
            return False
        if _is_named_place(doc, ent):
            return True
        after = doc[ent.end : ent.end + 3]
        nouns = list(takewhile(lambda token: token.is_lower, after[:2]))
        if nouns and (nouns[0].lower_ in _PLACE_NOUNS or nouns[-1].lower_ in _PLACE_NOUNS):
            # "Jiupeng military base": at most one modifier between, and it is no verb.
            return all(t.pos_ in ("NOUN", "ADJ") for t in nouns)
        if len(ent) > 1 or len(after) < 2 or after[0].text not in (",", "("):
            return False
        where = after[1]
        two_words = doc[where.i : where.i + 2].text
        return (
            self.is_country(where.text)
            or plain_name(where.text) in self.provinces
            or plain_name(two_words) in self.provinces
        )


def _close_brackets(doc: Doc) -> None:
    """Ends a name the model ran on into an open bracket at the bracket ("Joint Information
    Center (JIC" is the center, and the acronym in brackets is then read as its own), or into a
    preposition."""
    # Found from the token arrays first: reading every entity's text costs more than the rest
    # of this pass.
    iob, pos, orth = doc.to_array(["ENT_IOB", "POS", "ORTH"]).T
    inside = (iob == _IOB_INSIDE) | (iob == _IOB_BEGIN)
    last = inside & (numpy.append(iob[1:], _IOB_OUTSIDE) != _IOB_INSIDE)
    brackets = (orth == doc.vocab.strings.add("(")) | (orth == doc.vocab.strings.add("["))
    suspect = (last & (pos == _ADP)) | (inside & brackets)
    if not suspect.any():
        return
    ents = list(doc.ents)
    changed = False
    for i, ent in enumerate(ents):
        if not suspect[ent.start : ent.end].any():
            continue
        end = ent.end
        text = ent.text
        if ("(" in text and ")" not in text) or ("[" in text and "]" not in text):
            end = next((t.i for t in ent if t.text in ("(", "[")), end)
        # "Great Hall of the People in" before a place the rules tagged first.
        while end > ent.start + 1 and doc[end - 1].is_lower and doc[end - 1].pos_ == "ADP":
            end -= 1
        if end == ent.end:
            continue
        changed = True
        ents[i] = Span(doc, ent.start, end, label=ent.label_, span_id=ent.id_)
    if changed:
        doc.ents = [ent for ent in ents if len(ent)]


# spaCy's codes of IOB tags (Token.ent_iob) and of the adposition part of speech.
_IOB_INSIDE, _IOB_OUTSIDE, _IOB_BEGIN = 1, 2, 3
_ADP: int = PARTS_OF_SPEECH["ADP"]


def _is_named_place(doc: Doc, ent: Span) -> bool:
    """Whether a name comes after "the city of", "the port of" ...: a place's."""
    before = doc[max(0, ent.start - 2) : ent.start]
    return len(before) == 2 and before[1].lower_ == "of" and before[0].lower_ in _PLACE_NOUNS


# Lower-case words for a place, before ("the city of") or after ("military base") its name.
_PLACE_NOUNS = _words(
    """city town village port ports airport base sector sectors territory district province
    county region area border township wharf"""
)


def plain_name(name: str) -> str:
    """A place's name compared without case or accents: "Pará" is "para"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _whole_names(doc: Doc, is_country: Callable[[str], bool]) -> list[Span]:
    """People's names the model cut or ran on: "Yoon Suk" of "Yoon Suk-yeol", "Ursula von der"
    of "Ursula von der Leyen", and a headline's "Zimbabwe Zhou Ding" without the country."""
    whole = []
    for ent in doc.ents:
        if ent.label_ != PERSON or ent.id_:
            continue
        start, end = ent.start, ent.end
        for _ in range(_NAME_PARTS):
            if end + 1 < len(doc) and _joins_name(doc, end):
                end += 2
            elif (
                end < len(doc)
                and doc[end - 1].lower_ in _PARTICLES
                and (doc[end].is_title or doc[end].lower_ in _PARTICLES)
            ):
                end += 1
            else:
                break
        while end > ent.end and doc[end - 1].lower_ in _PARTICLES:
            # A particle the name never reached: "von" of "Ursula von", with no "Leyen".
            end -= 1
        if end - start > 2 and is_country(doc[start].text):
            start += 1
        if (start, end) != (ent.start, ent.end):
            whole.append(Span(doc, start, end, label=PERSON))
    return whole


_NAME_PARTS = 3
# What joins a portfolio to its country: "Ambassador to Laos", "President of Nigeria".
_PORTFOLIO_JOINS = _words("of to in for")
# Words of a body's or a paper's name after a country ("US Federal Register"), no person's.
_NOT_PERSON_WORDS = _words(
    """federal register national central general united international republic news times post
    daily gazette herald tribune journal bank reserve airport university"""
)


def _is_person_word(text: str) -> bool:
    """Whether a word is written as a name is, in any script: "Zaidong", "Aimé", "O'Neil"."""
    letters = text.replace("'", "").replace("’", "")
    return text[:1].isupper() and letters.isalpha() and not letters.isupper()


def _joins_name(doc: Doc, end: int) -> bool:
    # A hyphen written inside the name, between letters: "Suk-yeol", "Fils-Aimé".
    return (
        doc[end].text in _DASHES
        and not doc[end - 1].whitespace_
        and not doc[end].whitespace_
        and doc[end + 1].is_alpha
    )


# Services named after a body's acronym: "People's Liberation Army (PLA) Navy".
_SERVICE_AFTER_ACRONYM = _words("navy army force forces guard corps marines")


def _acronyms(doc: Doc, weapons: frozenset[str]) -> list[Span]:
    """An acronym written in brackets after the name it abbreviates ("Royal Saudi Land Forces
    (RSLF)", "Democratic Republic of the Congo (DRC)") is that organisation or place wherever
    the doc writes it; a service named after the brackets ("(PLA) Navy") is part of the name."""
    kinds: dict[str, str] = {}
    found: list[Span] = []
    for ent in doc.ents:
        if ent.label_ not in (ORG, GPE, LOC):
            continue
        at = ent.end + (ent.end < len(doc) and doc[ent.end].text in _POSSESSIVES)
        if at + 2 >= len(doc) or doc[at].text not in "([" or doc[at + 2].text not in ")]":
            continue
        acronym = doc[at + 1].text
        # "intercontinental ballistic missile (ICBM)" is equipment, whatever the model says.
        folded = acronym.casefold()
        if not _abbreviates(acronym, ent) or folded in weapons or folded in _EQUIPMENT_NOUNS:
            continue
        kinds.setdefault(acronym, ent.label_)
        service = at + 3
        if (
            ent.label_ == ORG
            and service < len(doc)
            and doc[service].is_title
            and doc[service].lower_ in _SERVICE_AFTER_ACRONYM
        ):
            name = doc[ent.start + (ent[0].lower_ == "the") : service + 1]
            found.append(Span(doc, name.start, name.end, label=ORG, span_id=name.text))
    for ent in doc.ents:
        # "JEM" after "Justice and Equality Movement", with no brackets between.
        initials = _initials(ent) if ent.label_ == ORG else ""
        if len(initials) >= _MIN_INITIALS:
            kinds.setdefault(initials, ORG)
    if not kinds:
        return found
    tagged = {token.i: ent for ent in doc.ents for token in ent}
    for i in indices_of(doc, kinds, "ORTH"):
        token = doc[i]
        kind = kinds[token.text]
        around = tagged.get(token.i)
        if around is None or (len(around) == 1 and not around.id_ and around.label_ != kind):
            found.append(Span(doc, token.i, token.i + 1, label=kind))
    return found


_MIN_INITIALS = 3


# The head of an institution whose name joins two fields with "and": "Defence Science and
# Technology Research Center", "Institute of Physical Education and Sports University".
_INSTITUTION_HEADS = _words("center centre university institute college academy laboratory school")


def _joined_institutions(doc: Doc) -> list[Span]:
    """An institution the model cut at its "and" into two bodies ("Defense Technology" and
    "Science Research Center"): one name, where the first part is no body of its own (it ends
    in no head word)."""
    ents = [ent for ent in doc.ents if ent.label_ == ORG]
    joined = []
    for whole, second in pairwise(ents):
        # The model may take the "and" in, and an article before.
        first = doc[
            whole.start + (whole[0].lower_ == "the") : whole.end - (whole[-1].lower_ == "and")
        ]
        if (
            len(first) > 1
            and second.start == first.end + 1
            and doc[first.end].lower_ == "and"
            and second[-1].lower_ in _INSTITUTION_HEADS
            and all(token.is_title for token in first)
            and first[-1].lower_ not in _HEAD_WORDS | _ARMED_HEADS | _BODY_ENDS
            and not whole.id_
        ):
            name = doc[first.start : second.end]
            joined.append(Span(doc, name.start, name.end, label=ORG, span_id=name.text))
    return joined


# The last word of a body's name that the model left out after the words it took: "Department
# of Homeland" + "Security", "People's Liberation Army" + "Rocket Force", "U.S. Customs" + "and
# Border Patrol".
_CONTINUATION_HEADS = frozenset(_HEADS) | _words(
    """security industry industries patrol enterprise gallery society institute academy bureau
    commission authority administration service office bank"""
)
_CONTINUATION_WORDS = 3
# Units named by a number after their head; "Air Force One" is an aircraft, and a service
# alone takes no number.
_NUMBERED_HEADS = _words("group squadron fleet force wing flotilla")
_UNIT_NUMBER_DIGITS = 3
_CONTINUATION_POS = frozenset(PARTS_OF_SPEECH[pos] for pos in ("PROPN", "NOUN", "ADJ"))


def _continued_bodies(doc: Doc) -> list[Span]:
    """Organisations the model ended before the last words of their name: a run of capitalised
    words that no entity holds and that ends in a body's head ("Department of Homeland
    Security", "Presidency of Defense Industry", "Royal Army First Battalion"), after the name
    itself, after "and" where the name is no body of its own yet ("U.S. Customs and Border
    Patrol"), or after a dash joined to both ("ITAR-TASS", "PLA-Air Force", whose second part
    may be an organisation the model tagged)."""
    ents = [ent for ent in doc.ents if ent.label_ == ORG]
    if not ents:
        return []
    starts = {ent.start: ent for ent in doc.ents}
    continued = []
    for ent in ents:
        end = _continued_end(doc, ent, starts)
        if end is not None:
            name = doc[ent.start : end]
            continued.append(Span(doc, name.start, name.end, label=ORG, span_id=name.text))
    return continued


def _continued_end(doc: Doc, ent: Span, starts: dict[int, Span]) -> int | None:
    """Where the name of `ent` really ends, or None where the model's end stands."""
    at = ent.end
    if ent[-1].text in _DASHES and not ent[-1].whitespace_ and len(ent) > 1:
        after = starts.get(at)
        return after.end if after is not None and after.label_ == ORG else _continuation(doc, at)
    if at == len(doc):
        return None
    if doc[at].lower_ in _INNER_JOINERS:
        complete = ent[-1].lower_ in _HEAD_WORDS | _ARMED_HEADS
        return None if complete else _continuation(doc, at + 1)
    if doc[at].text in _DASHES:
        after = starts.get(at + 1)
        # Only a service joins its owner so: "Airbus-Boeing", "PAF-PLAAF" stay two.
        tight = not doc[at - 1].whitespace_ and not doc[at].whitespace_
        if tight and after is not None and after.text.casefold() in _SERVICES:
            return after.end if after.label_ == ORG else None
        return None
    if (
        ent[-1].lower_ in _NUMBERED_HEADS
        and ent.text.casefold() not in _SERVICES
        and _is_unit_number(doc[at])
    ):
        # "Carrier Strike Group Nine", "Task Force 76": the number names the unit.
        return at + 1
    return _continuation(doc, at)


def _is_unit_number(token: Token) -> bool:
    """Whether a token is a unit's number: "24", "Nine" (not "2,000", "1990", "nine")."""
    if token.is_digit:
        return len(token.text) <= _UNIT_NUMBER_DIGITS
    return token.like_num and token.is_title


def _continuation(doc: Doc, start: int) -> int | None:
    """The end of the run of capitalised words from `start` that no entity holds, where it
    ends in a body's head and is the whole run; else None."""
    end = start
    while (
        end < len(doc)
        and end - start <= _CONTINUATION_WORDS
        and doc[end].ent_iob_ == "O"
        and not doc[end].is_sent_start
        and (doc[end].is_title or (doc[end].is_upper and doc[end].is_alpha))
        and doc[end].pos in _CONTINUATION_POS
        and doc[end].lower_ not in _TITLES
    ):
        end += 1
    if (
        end == start
        or end - start > _CONTINUATION_WORDS
        or doc[end - 1].lower_ not in _CONTINUATION_HEADS
        # The run goes on in words the rule does not take ("Security Policy"); a title after
        # it starts the name of a person ("IRGC Naval Force Rear Admiral Ali Fadavi").
        or (
            end < len(doc)
            and (doc[end].is_title or doc[end].is_upper)
            and doc[end].is_alpha
            and doc[end].lower_ not in _TITLES
        )
    ):
        return None
    return end


def _initials(ent: Span) -> str:
    """The initials of a name of capitalised words ("Justice and Equality Movement": "JEM"),
    or "" where a word of it is neither capitalised nor a joiner."""
    words = [t for t in ent if t.lower_ not in _OF_JOINERS and t.lower_ != "the"]
    if len(words) < _MIN_INITIALS or not all(t.is_title and t.is_alpha for t in words):
        return ""
    return "".join(t.text[0] for t in words)


def _abbreviates(acronym: str, ent: Span) -> bool:
    """Whether `acronym` may be the initials of `ent`: capitals (and digits), starting with
    the initial of its first word, no longer than its words allow; dots between its letters
    ("E.U.", "U.N.") are how some outlets write it."""
    words = [t for t in ent if t.is_alpha and t.lower_ != "the"]
    letters = acronym.replace(".", "") if _DOTTED_INITIALS.match(acronym) else acronym
    return (
        2 <= len(letters) <= len(words) + 2
        and letters[0].isupper()
        and all(c.isupper() or c.isdigit() for c in letters)
        and bool(words)
        and words[0].text[0] == letters[0]
    )


# "E.U." is "EU"; only a dot after each letter, so that "E.U" or "EU." are left alone.
_DOTTED_INITIALS = re.compile(r"^(?:([A-Z])\.)+$")


def _bare(ent: Span) -> str:
    """The entity's text without a leading "the" or a trailing possessive."""
    tokens = [t for t in ent if t.text not in _POSSESSIVES and t.text not in ("'", "’")]
    if tokens and tokens[0].lower_ == "the":
        tokens = tokens[1:]
    return "".join(t.text_with_ws for t in tokens).strip()


# Titles the model runs an organisation on into: "Eastern Fleet Rear" of "Eastern Fleet Rear
# Admiral Sanjay Bhalla", "Defense Ministry Spokesperson".
_CONNECTORS = _words("the a an of for and in at to")
_TRAILING_TITLES = _words(
    """rear vice admiral adm adm. lt lt. col col. colonel commander cmdr capt capt. brigadier
    brig brig. spokesperson spokesman spokeswoman officer officers"""
)


def _without_trailing_titles(doc: Doc, ent: Span) -> Span:
    """An organisation without the title of a person after it ("Eastern Fleet Rear"), the
    article or connector it ran on into ("Directorate of the") or a share price's change
    ("CVX 1.25%")."""
    end = ent.end
    while end > ent.start + 1 and (
        doc[end - 1].lower_ in _TRAILING_TITLES
        or (doc[end - 1].is_lower and doc[end - 1].lower_ in _CONNECTORS)
        # "CVX 1.25%": a ticker and its share price's change
        or doc[end - 1].text.endswith("%")
        or (doc[end - 1].like_num and end < ent.end and doc[end].text == "%")
    ):
        end -= 1
    if end == ent.end:
        return ent
    if not ent.id_:
        return Span(doc, ent.start, end, label=ORG)
    # A rule's name is named anew: its tokens keep the id of the longer name.
    return Span(doc, ent.start, end, label=ORG, span_id=_bare(doc[ent.start : end]))


# A firm's legal form after its name: "BAE Systems plc", "Fincantieri S.p.A.", "Austal Pty Ltd".
_FORMS_AFTER_NAMES = frozenset(form.lower() for form in _LEGAL_FORMS) | _words(
    "limited pty gmbh corp corp. a.s. a.ş."
)
# Legal forms news writes in lower case too; the others only so written are words ("se").
_LOWER_LEGAL_FORMS = _words("plc ltd ltd. gmbh")


def _with_legal_form(doc: Doc, ent: Span) -> Span:
    """An organisation with the legal form written right after it, which the model left out."""
    end = ent.end
    while end < len(doc) and end - ent.end < 2:
        token = doc[end]
        if (
            token.lower_ not in _FORMS_AFTER_NAMES
            or token.ent_type_
            or doc[end - 1].whitespace_ == ""
        ):
            break
        if token.is_lower and token.lower_ not in _LOWER_LEGAL_FORMS:
            break
        end += 1
    if end == ent.end:
        return ent
    return Span(doc, ent.start, end, label=ORG, span_id=doc[ent.start : end].text)


# Words after a country that make a longer name of it: "Government of Niger State", "of Mexico
# City", "of the Hong Kong Special Administrative Region", "of India Mint", "of Ireland Act".
_NAMES_AFTER_A_COUNTRY = _words(
    """city state province region special administrative territory territories islands antilles
    act mint gazette investment corporation authority beach"""
)
# A firm's trade written before its name, never a word of it ("Bank Rossiya" is a bank's name).
_TRADES_BEFORE_NAMES = _words(
    "shipbuilder planemaker carmaker automaker gunmaker manufacturer contractor chipmaker"
)
# Words before a body's name that are no part of it: a person's title ("Director General
# Strategic Plans Division"), the "M/s" or "Messrs" of Indian and West African notices.
_LEADING_TITLES = _words("director chairman chairperson dig m/s messrs messrs. first")


def _without_leading_titles(doc: Doc, ent: Span) -> Span:
    """An organisation without the titles or "M/s" written before its name."""
    start = ent.start
    # "Shipbuilder Austal Ltd" opening a sentence: the trade is no part of the name.
    opens = start == 0 or doc[start].is_sent_start or "\n" in doc[start - 1].text
    if doc[start].is_title and opens and doc[start].lower_ in _TRADES_BEFORE_NAMES:
        start += 1
    while start < ent.end - 1 and doc[start].lower_ in _LEADING_TITLES:
        start += 1
        if doc[start - 1].lower_ == "director" and doc[start].lower_ == "general":
            start += 1
    if start > ent.start and doc[start].text in _DASHES:
        start += 1
    if start == ent.start or start >= ent.end:
        return ent
    return Span(doc, start, ent.end, label=ORG, span_id=doc[start : ent.end].text)


# The part of a body a name may be of ("Executive Board of the International Monetary Fund",
# "General Staff of the Belarusian Armed Forces"), and the words of a part that names none of
# its own: news names the body, and the labels hold the body.
_PART_HEADS = _words(
    "board directors staff agency directorate secretariat division unit committee group"
)
_PART_WORDS = _words(
    "executive board directors governors general staff supervisory governing of the"
)
# Words that make what follows "of" a body of its own: "the Indonesian Ministry of Defence",
# "Bank Rossiya", "the International Monetary Fund".
_PARENT_WORDS = _words(
    "ministry department fund bank forces army navy union nations corporation command"
)


def _bodies_within(doc: Doc, ent: Span) -> list[Span]:
    """The bodies a name the model ran together holds: a part and the body it is part of
    ("Executive Board of the International Monetary Fund": the fund; "Defence Facilities
    Agency of the Indonesian Ministry of Defence": both), or two bodies joined by "and"
    ("Indian Army and Border Security Force"); else the name as it is."""
    if ent.id_ and ent.id_ != ent.text:
        return [ent]
    for token in ent[1:-1]:
        if token.lower_ == "of" and doc[token.i - 1].lower_ in _PART_HEADS:
            parent = token.i + 1 + (doc[token.i + 1].lower_ == "the")
            named = doc[parent : ent.end]
            if (
                parent < ent.end
                and named[0].is_title
                and named[0].lower_ not in _PART_WORDS
                and any(t.lower_ in _PARENT_WORDS for t in named)
            ):
                part = doc[ent.start : token.i]
                own = (
                    [_body(part)]
                    if len(part) > 1 and any(t.lower_ not in _PART_WORDS for t in part)
                    else []
                )
                return [*own, _body(named)]
        if token.lower_ == "and" and token.i - ent.start > 1 and ent.end - token.i > 2:
            first, second = doc[ent.start : token.i], doc[token.i + 1 : ent.end]
            if (
                first[-1].lower_ in _ARMED_HEADS | _HEAD_WORDS
                and second[-1].lower_ in _ARMED_HEADS | _HEAD_WORDS
                and second[0].is_title
            ):
                return [_body(first), _body(second)]
    return [ent]


def _body(span: Span) -> Span:
    # The tokens keep the id of the name they were cut from: the part is named anew.
    return Span(span.doc, span.start, span.end, label=ORG, span_id=span.text)


_CENTRES = _words("center centre")
# What a centre that is a site is for: "Kennedy Space Center", "Satellite Launch Center",
# "Trafford Shopping Centre"; others are bodies ("Joint Information Center", "National
# Counter Terrorism Centre", "Youth Detention Center").
_SITE_WORDS = _words(
    """space launch satellite shopping convention exhibition trade sports aquatic city town
    visitor visitors conference"""
)


def _is_working_centre(folded: str) -> bool:
    """Whether a name of three words or more ends in a centre that is a body, not a site."""
    words = folded.split()
    return len(words) > 2 and words[-1] in _CENTRES and words[-2] not in _SITE_WORDS


def _is_place(folded: str) -> bool:
    words = folded.split()
    return len(words) > 1 and (words[-1] in _PLACE_HEADS or folded in _PLACE_PHRASES)


def _without_description(doc: Doc, ent: Span) -> Span:
    """An organisation without the common words after its name: "Xinhua news agency" is
    Xinhua, "Airbus helicopters" is Airbus."""
    end = ent.end
    while end > ent.start + 1 and doc[end - 1].is_lower and doc[end - 1].lower_ in _DESCRIPTIONS:
        end -= 1
    if end == ent.end:
        return ent
    if not ent.id_:
        return Span(doc, ent.start, end, label=ORG)
    # A rule's name is named anew: its tokens keep the id of the longer name.
    return Span(doc, ent.start, end, label=ORG, span_id=_bare(doc[ent.start : end]))


# The last words of a body that owns or makes equipment named after it, not its name.
_OWNERS_AND_MAKERS = _ARMED_HEADS | _COMPANY_SUFFIX_SET


def _names_equipment(doc: Doc, ent: Span) -> bool:
    """Whether a name the model read as a person, a body or a product is the name of the
    equipment noun after it, with at most a few modifiers between ("Stormer anti-aircraft
    systems"): a weapon. Bodies of the gazetteer and armed services are left alone ("Raytheon
    missiles", "Navy ships")."""
    if ent.id_ or ent.label_ not in _EQUIPMENT_NAMERS or len(ent) > 4:
        return False
    # A person's full name is a person's ("Keanu Reeves guns"); a name is written as one.
    if (ent.label_ == PERSON and len(ent) > 1 and not _CLASS.search(ent.text)) or not all(
        token.is_alpha or token.like_num or token.text in _DASHES for token in ent
    ):
        return False
    if ent.label_ == ORG and ent[-1].lower_ in _OWNERS_AND_MAKERS:
        return False  # "Navy ships", "British Aerospace Gripen fighters": the owner, the maker
    if len(ent) == 1 and ent[0].is_upper and _spelled_out_as_service(doc, ent.text):
        return False  # "the MSDF destroyer" after "Maritime Self-Defense Force": its owner
    # A title-case headline's verb runs into the words after it ("China to Sell Saudi Arabia
    # Drones"): a name does not start with a verb.
    if ent[0].pos_ in ("VERB", "AUX"):
        return False
    named = ent.start > 0 and doc[ent.start - 1].lower_ == "the"
    for gap, token in enumerate(doc[ent.end : ent.end + _EQUIPMENT_GAP + 1]):
        if token.lower_ in _EQUIPMENT_NOUNS or (gap and token.lower_ in _SYSTEM_NOUNS):
            # A "think tank" is none; one item of a kind ("a restored Spitfire fighter plane")
            # may be a museum piece: a name counts before a plural, a class or after "the".
            plural = token.lower_.endswith("s") or token.lower_ == "artillery"
            thought = token.i > 0 and doc[token.i - 1].lower_ == "think"
            return not thought and (plural or named or bool(_CLASS.search(ent.text)))
        if token.pos_ not in ("ADJ", "NOUN", "PROPN", "NUM") and token.text not in _DASHES:
            return False
    return False


def _spelled_out_as_service(doc: Doc, acronym: str) -> bool:
    """Whether the story writes an acronym's words out as an armed service's name ("Maritime
    Self-Defense Force" for "MSDF")."""
    for index in indices_of(doc, _ARMED_HEADS):
        head = doc[index]
        if not head.is_title:
            continue
        initials = ""
        i = head.i
        while (
            i >= 0 and len(initials) < len(acronym) and (doc[i].is_title or doc[i].text in _DASHES)
        ):
            initials = ("" if doc[i].text in _DASHES else doc[i].text[0]) + initials
            i -= 1
        if initials == acronym:
            return True
    return False


# Words of a class written in title case after a weapon's name: "Short-Range Ballistic Missile
# System", "Main Battle Tank".
_CLASS_WORDS = (
    _EQUIPMENT_NOUNS
    | _SYSTEM_NOUNS
    | _words(
        """short range medium long intermediate ballistic cruise hypersonic supersonic air defence
    defense surface to anti ship tank aircraft main battle unmanned aerial combat attack
    multiple launch rocket guided self propelled loitering munition"""
    )
)


_MIN_CLASS_WORDS = 3


# A sovereign's numeral: "II" to "XX" ("I" is the pronoun, "V" and "X" name models as often).
_REGNAL_NUMERALS = _words("ii iii iv vi vii viii ix xi xii xiii xiv xv xvi xvii xviii xix xx")


# Sovereigns and popes by their title, or by the names they reign under: not "Title IX",
# "Apollo XI", "Pillar II" or "Chapter VII".
_REGNAL_TITLES = _words(
    "king queen pope emperor empress tsar czar sultan shah kaiser emir prince princess"
)
_REGNAL_NAMES = _words(
    """edward george henry louis charles william james elizabeth mary richard john leo pius
    benedict gregory innocent clement alexander nicholas peter frederick philip ferdinand
    felipe carl gustaf harald olav haakon christian frederik rama mohammed abdullah hussein
    farouk fuad constantine paul ivan wilhelm ludwig umberto alfonso pedro manuel selim mehmed
    murad victoria anne willem"""
)


def _sovereigns(doc: Doc) -> list[Found]:
    """Sovereigns and popes named after their title with their numeral, which the model often
    leaves untagged: "King Charles III", "Pope Leo XIV" (the name and numeral, without the
    title); not what is named after them ("King Charles III Coronation Medal")."""
    numerals = indices_of(doc, [word.upper() for word in _REGNAL_NUMERALS], "ORTH")
    return [
        Found(i - 1, i + 1, PERSON)
        for i in numerals
        if i >= 2
        and doc[i - 2].lower_ in _REGNAL_TITLES
        and doc[i - 2].is_title
        and _is_regnal_name(doc[i - 1 : i + 1])
    ]


def _is_regnal_name(ent: Span) -> bool:
    """Whether the entity is a sovereign's name and numeral: "Edward VII", "(King) Charles
    III"."""
    if not (len(ent) == 2 and ent[1].is_upper and ent[1].lower_ in _REGNAL_NUMERALS):
        return False
    doc = ent.doc
    titled = ent.start > 0 and doc[ent.start - 1].lower_ in _REGNAL_TITLES
    # "Charles III Foundation", "George VI Sound", "John Paul II": a longer name.
    goes_on = ent.end < len(doc) and doc[ent.end].is_title
    after_a_name = ent.start > 0 and doc[ent.start - 1].is_title and not titled
    return (
        ent[0].is_title
        and (titled or ent[0].lower_ in _REGNAL_NAMES)
        and not goes_on
        and not after_a_name
    )


def _named_with_class(doc: Doc, ent: Span) -> Span | None:
    """The one-word name at the start of an entity the model ran on into the title-case class words
    after it ("Tayfun Short-Range Ballistic Missile System", "Kestrel Main Battle Tank"), or
    None. Read as a place too: three class words after a name are no place's."""
    if ent.id_ or ent.label_ not in _EQUIPMENT_NAMERS | _PLACE_LABELS or len(ent) < 3:
        return None
    end = ent.end
    while end > ent.start + 1 and (doc[end - 1].lower_ in _CLASS_WORDS or doc[end - 1].text == "-"):
        end -= 1
    last = ent[-1].lower_
    # One word: "Multi Tube Missile Launch Vehicle" is a description, not a name.
    if (
        end == ent.end
        or end - ent.start > 1
        or not (last in _EQUIPMENT_NOUNS or last in _SYSTEM_NOUNS)
    ):
        return None
    name = doc[ent.start : end]
    # Three class words at least: "Intercontinental Ballistic Missile", "Toyota Land Cruisers"
    # and "Army Aviation Helicopters" hold one or two after a word that is no name.
    class_words = sum(1 for token in doc[end : ent.end] if token.text != "-")
    # "Ballistic Missile Defence System" is class words only: no name before them.
    if class_words < _MIN_CLASS_WORDS or not all(
        token.is_title
        and token.is_alpha
        # "Very Short-Range Air Defence System": a common word opens the class, names nothing.
        and not token.is_stop
        and token.lower_ not in _ORG_WORDS
        and token.lower_ not in _CLASS_WORDS
        for token in name
    ):
        return None
    return name


# Words of a match's result, and the last words of clubs' names ("Nottingham Forest").
_RESULT_WORDS = _words(
    """beat beats pipped edged thrashed defeated drew draw lost lose prevailed routed hammered
    downed stunned win won victory defeat loss over"""
)
_CLUB_WORDS = _words(
    """fc united city forest wanderers rovers athletic albion villa hotspur county town palace
    strikers knights rangers celtic"""
)
_RESULT_GAP = 4
# "a comfortable 2-0 Premier League home win over ...".
_SCORE_GAP = 6


def _is_score(doc: Doc, i: int) -> bool:
    """Whether token `i` is the dash of a result written "2-1" (a figure each side, no
    spaces)."""
    before, dash, after = doc[i - 1], doc[i], doc[i + 1]
    return (
        dash.text in _DASHES
        and not before.whitespace_
        and not dash.whitespace_
        and before.is_digit
        and after.is_digit
        and len(before) <= 2
        and len(after) <= 2
    )


def _is_team_shaped(ent: Span, surnames: set[str]) -> bool:
    words = [t for t in ent if not (t.like_num or t.is_punct)]
    if not words or len(words) > 3 or not all(t.is_title for t in words):
        return False
    if ent.label_ != PERSON:
        return True
    # A person's name is a club's only as one word no one in the story has as a surname
    # ("Everton"), or with a club's word ("Wolverhampton Wanderers").
    return (len(words) == 1 and words[0].lower_ not in surnames) or words[-1].lower_ in _CLUB_WORDS


_PLACE_NAME_WORDS = 4


def _with_missions_place(doc: Doc, ents: list[Span]) -> list[Span]:
    """A mission with the place it serves, which is part of its name ("African Union Mission
    in Somalia", "Stabilization Mission in the Central African Republic", the "Mission" after
    a body the model named alone), and so an embassy named by its country ("Embassy of Peru in
    Kenya", while the "Peruvian Embassy in Kenya" is the "Peruvian Embassy"); the place is then
    no entity of its own."""
    extended: dict[int, Span] = {}
    # A tagged place ends where its entity does ("in Sri Lanka Senior Colonel Zhou").
    place_ends = {ent.start: ent.end for ent in ents if ent.label_ in (GPE, LOC)}
    for ent in ents:
        if ent.label_ != ORG:
            continue
        mission_end = ent.end + (ent.end < len(doc) and doc[ent.end].text == "Mission")
        if mission_end + 1 >= len(doc) or doc[mission_end].lower_ != "in":
            continue
        if doc[mission_end - 1].lower_ != "mission" and not _is_embassy_of(ent):
            continue
        start = mission_end + 1 + (doc[mission_end + 1].lower_ == "the")
        end = place_ends.get(start, start)
        while start not in place_ends and end < min(len(doc), start + _PLACE_NAME_WORDS):
            if not doc[end].is_title:
                break
            end += 1
        if end > start:
            extended[ent.start] = Span(
                doc, ent.start, end, label=ORG, span_id=doc[ent.start : end].text
            )
    if not extended:
        return ents
    covered = {i for span in extended.values() for i in range(span.start, span.end)}
    return [
        extended.get(ent.start, ent)
        for ent in ents
        if ent.start in extended or not covered.intersection(range(ent.start, ent.end))
    ]


def _is_embassy_of(ent: Span) -> bool:
    first = ent.start + (ent[0].lower_ == "the")
    return (
        ent.end - first > 2
        and ent.doc[first].lower_ in _EMBASSY_WORDS
        and (ent.doc[first + 1].lower_ == "of")
    )


_EMBASSY_WORDS = _words("embassy consulate consulate-general")
_ACRONYM_LETTERS = 3
# "Edward VII" is a king; "USS Ashford" and "ENS Anwar El Sadat" are ships, left to the weapon
# rules.
_ROMAN_NUMERAL = re.compile(r"^[IVXLC]+$")
_SHIP_PREFIXES = frozenset(
    [
        "USS",
        "HMS",
        "INS",
        "ENS",
        "HMAS",
        "HMCS",
        "HMNZS",
        "PNS",
        "KRI",
        "BRP",
        "ROKS",
        "TCG",
        "RFS",
        "NRP",
        "ARA",
        "BAP",
    ]
)


def _has_acronym(doc: Doc, ent: Span) -> bool:
    """Whether a name holds a word of three capitals or more in a sentence written in mixed
    case (a headline in capitals names people in capitals too)."""
    if ent[0].text in _SHIP_PREFIXES or not any(
        t.is_upper
        and t.is_alpha
        and len(t) >= _ACRONYM_LETTERS
        and not _ROMAN_NUMERAL.match(t.text)
        and t.text not in _POST_NOMINALS
        for t in ent
    ):
        return False
    sentence = ent.sent if doc.has_annotation("SENT_START") else doc[:]
    return any(t.is_lower and t.is_alpha for t in sentence)


def _is_where(doc: Doc, ent: Span) -> bool:
    """Whether a short name is the object of a preposition of place ("in Renton", "near
    Makurdi") and no one's possessor: a place the model read as a person."""
    before = doc[ent.start - 1] if ent.start > 0 else None
    after = doc[ent.end].text if ent.end < len(doc) else ""
    return (
        before is not None
        and before.lower_ in _PLACE_PREPOSITIONS
        and before.dep_ == "prep"
        and len(ent) <= 3
        and after not in _POSSESSIVES
    )


def _person_after_portfolio(doc: Doc, ent: Span) -> Span:
    """An organisation that runs on into the name of its minister ("Armed Forces Florence Parly",
    "Defense Lloyd Austin") is that minister: the name after the portfolio's last word."""
    last = max((i for i, t in enumerate(ent) if t.lower_ in _PORTFOLIO_ENDS), default=-1)
    tail = ent[last + 1 :]
    if (
        ent.id_
        or last < 0
        or not 1 < len(tail) <= 4
        # "McKay", "DeSantis": a capital inside a surname.
        or not all(t.text[0].isupper() and t.is_alpha and t.pos_ == "PROPN" for t in tail)
        or any(t.lower_ in _ORG_WORDS for t in tail)
    ):
        return ent
    return Span(doc, tail.start, tail.end, label=PERSON)


_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")


def _titled_person(doc: Doc, ent: Span) -> Span | None:
    """A person the model read as a body for the title before the name ("Honourable Jane
    Roe", "Rank Ivan Petrov" of "Captain 1st Rank"): the name after the titles."""
    # "the Hon Jane Roe": the article the model took in goes with the titles.
    start = ent.start + 1 if ent[0].lower_ == "the" and len(ent) > 1 else ent.start
    first = doc[start]
    if ent.id_ or not (first.lower_ in _TITLES or _ORDINAL.match(first.text)):
        return None
    title_start = start
    # "1st Rank", "2nd Lt": an ordinal is part of a rank.
    while start < ent.end and (doc[start].lower_ in _TITLES or _ORDINAL.match(doc[start].text)):
        start += 1
    if start == title_start or doc[start - 1].lower_ not in _TITLES:
        return None
    name = doc[start : ent.end]
    if not 1 < len(name) <= 4 or not all(
        t.is_title and t.pos_ == "PROPN" and t.lower_ not in _NOT_NAMES for t in name
    ):
        return None
    return Span(doc, name.start, name.end, label=PERSON)


def _without_titles(doc: Doc, ent: Span) -> list[Span]:
    """A person without the titles before the name ("Lt Gen Mohammed Hamdan") and the letters
    of honours after it ("Andy Lamb OBE"); none if the mention is titles only ("Lt Gen")."""
    start = ent.start
    # "Raksha Mantri Shri Rajnath Singh": an honorific inside the mention follows the post,
    # and the name follows the honorific.
    for i in range(ent.end - _MIN_NAME_AFTER_HONORIFIC - 1, ent.start, -1):
        if doc[i].lower_ in _HONORIFICS:
            start = i + 1
            break
    while start < ent.end and doc[start].lower_ in _TITLES:
        start += 1
    end = ent.end
    while end > start + 1 and doc[end - 1].text in _POST_NOMINALS:
        end -= 1
    if start == ent.start:
        # "N. Rangasamy", "M. K. Stalin": the initials the model left out are the name's.
        while (
            start > 0 and start - ent.start < _MAX_INITIALS and _INITIAL.match(doc[start - 1].text)
        ):
            start -= 1
    if start == ent.start and end == ent.end:
        return [ent]
    return [Span(doc, start, end, label=PERSON)] if start < end else []


def is_state_body(span: Span) -> bool:
    """Whether a name holds a word of a state's or an armed body ("Department of Commerce",
    "Armed Forces", "Marine Corps"), which news names with its country ("US Department of
    Commerce"), as it names a firm without ("Dassault Aviation")."""
    return any(token.lower_ in _ORG_WORDS for token in span)


def _coordinated_bodies(doc: Doc, found: Found) -> list[Found]:
    """Two bodies a rule read as one over "and": "Department of Defense and Federal Emergency
    Management Agency" is two, each a head with what it is of, or a name ending in a head;
    "Justice and Equality Movement" and "Ministry of Foreign Affairs and International
    Cooperation" are one (their first part or their last is no body of its own)."""
    if found.label != ORG or found.name is not None:
        return [found]
    for i in range(found.start + 3, found.end - 1):
        if doc[i].lower_ not in _INNER_JOINERS:
            continue
        left_is_body = doc[found.start].lower_ in _OF_HEADS and doc[found.start + 1].lower_ == "of"
        right_is_body = doc[found.end - 1].lower_ in _HEADS and doc[i + 1].is_title
        if left_is_body and right_is_body and doc[i - 1].is_title:
            return [Found(found.start, i, ORG), Found(i + 1, found.end, ORG)]
    return [found]


# Honorifics that are never part of a name: Indian "Shri" and "Smt", West African "Alhaji".
_HONORIFICS = _words("shri sri smt shrimati alhaji alhaja")
_MIN_NAME_AFTER_HONORIFIC = 1


# A first name written as its initial ("N.", "D.N."), before a surname.
_INITIAL = re.compile(r"^(?:[A-Z]\.){1,3}$")
_MAX_INITIALS = 3


# Letters after a person's name for an office or an honour: "Jane Roe MP", "John Doe QC".
_POST_NOMINALS = frozenset(
    {"MP", "MPs", "MEP", "MLA", "MSP", "MHA", "QC", "KC", "OBE", "MBE", "CBE", "KBE", "DBE", "LVO",
     "MVO", "CVO", "CMG", "KCMG", "GCMG"}
)  # fmt: skip


def _may_name_an_exercise(ent: Span) -> bool:
    # "the US Navy exercise" is the navy's; rule entities are bodies or weapons.
    if ent.id_ or ent.label_ not in (GPE, LOC, FAC, PERSON, ORG, EVENT, "PRODUCT", "WORK_OF_ART"):
        return False
    return ent.label_ != ORG or ent[-1].lower_ not in _ARMED_HEADS


def _exercise_names(doc: Doc, is_country: Callable[[str], bool]) -> frozenset[str]:
    """Names the doc gives an exercise: the entity right before "exercise" (with modifiers
    between: "Malabar naval exercise") or right after "Exercise" ("Exercise Talisman Sabre")."""
    names = set()
    for ent in doc.ents:
        after = ent.end
        while after < len(doc) and doc[after].lower_ in _EXERCISE_MODIFIERS:
            after += 1
        # A year after the name: "Malabar 2020 exercise".
        if after < len(doc) and doc[after].like_num and after == ent.end:
            after += 1
        before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
        named = (after < len(doc) and doc[after].lower_ in _EXERCISE_WORDS) or before in (
            "exercise",
            "exercises",
            "operation",
        )
        if named and _may_name_an_exercise(ent) and not is_country(_bare(ent)):
            names.add(_bare(ent).casefold())
    return frozenset(names)


# What a list's members are joined by: "Ouallam, Ayorou and Niamey".
_LIST_JOINS = _words(", and or")
_PLACE_LABELS = frozenset({GPE, LOC})
# Roles a person holds, written after the name and a comma: "Jane Roe, head of the agency",
# "Ivan Petrov, the company's chief executive".
_ROLES = _words(
    """head chief chairman chairwoman chairperson director president ceo founder spokesman
    spokeswoman spokesperson minister secretary curator representative commander ambassador
    governor mayor leader analyst professor researcher executive adviser advisor envoy
    deputy lawmaker senator official officer manager editor author coach captain"""
)
_ROLE_GAP = 5
_ROLE_STOPS = frozenset(',.;:()"')


def _list_groups(doc: Doc, ents: list[Span]) -> list[list[int]]:
    """The entities (by index, in order) that are members of one list: each joined to the next
    by commas and "and" or "or" only."""
    groups: list[list[int]] = []
    previous: Span | None = None
    for index, ent in enumerate(ents):
        between = doc[previous.end : ent.start] if previous is not None else None
        if (
            between is not None
            and 0 < len(between) <= 2
            and all(token.lower_ in _LIST_JOINS for token in between)
        ):
            groups[-1].append(index)
        else:
            groups.append([index])
        previous = ent
    return [group for group in groups if len(group) > 1]


def _is_person_shaped(ent: Span) -> bool:
    """Whether a name is written like a person's full name: two or three capitalised words,
    none a word of a body's name ("Jane Roe", "Tun-Aung Shwe")."""
    return (
        not ent.id_
        and 1 < len(ent) <= 3
        and all(
            token.is_title and all(part.isalpha() for part in token.text.split("-"))
            for token in ent
        )
        and not any(token.lower_ in _NOT_NAMES or token.lower_ in _TITLES for token in ent)
    )


def _by_list_mates(doc: Doc, ents: list[Span], surnames: set[str]) -> list[Span]:
    """A name the model read as a person or a body inside a list of places is a place
    ("Masindi, Kiryandongo and Hoima"); a name written as a person's beside people is a person
    ("Jane Roe and John Doe struck")."""
    ents = sorted(ents, key=lambda ent: ent.start)
    for group in _list_groups(doc, ents):
        labels = [PLACE if ents[i].label_ in _PLACE_LABELS else ents[i].label_ for i in group]
        places, persons, bodies = labels.count(PLACE), labels.count(PERSON), labels.count(ORG)
        for i in group:
            ent = ents[i]
            if ent.id_:
                continue
            if (
                ent.label_ == PERSON
                and places >= 2
                and places > persons
                and len(ent) <= 2
                and ent[-1].lower_ not in surnames
            ):
                ents[i] = Span(doc, ent.start, ent.end, label=GPE)
            elif ent.label_ == ORG and persons >= bodies and _is_person_shaped(ent):
                ents[i] = Span(doc, ent.start, ent.end, label=PERSON)
    return ents


def _by_role(doc: Doc, ents: list[Span]) -> list[Span]:
    """A name written as a person's that the model read as a body is a person where a role
    follows it after a comma ("Jane Roe, head of the agency", "John Doe, the curator")."""
    found = []
    for ent in ents:
        if ent.label_ == ORG and _is_person_shaped(ent) and _has_role_after(doc, ent.end):
            ent = Span(doc, ent.start, ent.end, label=PERSON)
        found.append(ent)
    return found


def _has_role_after(doc: Doc, end: int) -> bool:
    if end >= len(doc) or doc[end].text != ",":
        return False
    for token in doc[end + 1 : end + 1 + _ROLE_GAP]:
        if token.is_lower and token.lower_ in _ROLES:
            return True
        # Only an article, a possessive or modifiers stand between ("a Lagos-based envoy").
        if token.text in _ROLE_STOPS:
            return False
    return False


# The last word of a name the model read as a body that names what bodies sign, fund or hold
# ("Status of Forces Agreement", "Extended Credit Facility", "Coastal Radar Project"), with
# the label it takes instead.
_INSTRUMENT_HEADS = {
    **dict.fromkeys(
        _words(
            """agreement agreements arrangement arrangements accord accords treaty pact
            memorandum facility project projects replacement financing guidelines"""
        ),
        "LAW",
    ),
    **dict.fromkeys(_words("summit ceremony olympics"), EVENT),
}


def _is_titles_only(ent: Span) -> bool:
    return all(part.lower() in _TITLES for token in ent for part in token.text.split("-") if part)


# The nouns of one ship that its name may follow ("the destroyer Wang Geon"); a carrier only
# an aircraft carrier (a mail or flag carrier is no ship).
_SHIP_NOUNS_BEFORE_NAMES = frozenset(
    ["destroyer", "frigate", "corvette", "cruiser", "submarine", "warship"]
)


def _follows_a_ship_noun(doc: Doc, ent: Span) -> bool:
    """Whether the name is a ship's after its noun, which the parse attaches to it ("the
    destroyer Wang Geon will", not "Visiting the frigate Macron said")."""
    at = ent.start - 1
    while at >= 0 and doc[at].is_title and doc[at].lower_ in _TITLES:
        at -= 1  # "the frigate Admiral Grigorovich": a ship named with the person's title
    if at < 0 or not doc[at].is_lower:
        return False
    # The parse joins the noun and the name one way or the other ("destroyer" compound of
    # "Geon", or "Wang Geon" in apposition to "destroyer").
    if not (ent.start <= doc[at].head.i < ent.end or any(t.head.i == at for t in ent)):
        return False
    # "Aboard the aircraft carrier Trump said": a ship that is where a sentence's subject
    # speaks or acts from, not the subject.
    phrase = at - 1 if at > 0 and doc[at - 1].lower_ == "aircraft" else at
    while phrase > 0 and doc[phrase - 1].pos_ in ("DET", "ADJ"):
        phrase -= 1
    after = doc[ent.end] if ent.end < len(doc) else None
    if (
        phrase > 0
        and doc[phrase - 1].pos_ in ("ADP", "VERB")
        and after is not None
        and after.pos_ in ("VERB", "AUX")
    ):
        return False
    noun = doc[at].lower_
    return noun in _SHIP_NOUNS_BEFORE_NAMES or (
        noun == "carrier" and at > 0 and doc[at - 1].lower_ == "aircraft"
    )


def _is_attributive(doc: Doc, ent: Span) -> bool:
    """Whether a one-word name stands between "the" and a common noun it modifies."""
    return (
        len(ent) == 1
        and ent.start > 0
        and ent.end < len(doc)
        and doc[ent.start - 1].lower_ == "the"
        and doc[ent.end].is_lower
        and doc[ent.end].pos_ == "NOUN"
        and ent[0].head.i == ent.end
    )


def _without_instrument_acronyms(doc: Doc, ents: list[Span]) -> list[Span]:
    """The acronym of what bodies sign or hold is no body either: "RAA" after "Reciprocal
    Access Agreement (RAA)"."""
    instruments = {
        _initials(ent): ent.label_
        for ent in ents
        if ent.label_ in ("LAW", EVENT) and ent[-1].lower_ in _INSTRUMENT_HEADS
    }
    instruments.pop("", None)
    if not instruments:
        return ents
    return [
        Span(doc, ent.start, ent.end, label=instruments[ent.text])
        if ent.label_ == ORG and not ent.id_ and len(ent) == 1 and ent.text in instruments
        else ent
        for ent in ents
    ]
