"""The articles a fault scenario streams, and what the service must make of them.

Pure and deterministic (a seed in, the same messages out): short wire stories, some rerun by
other outlets as near-duplicates, a share carrying words the alert rules look for, and a
few messages that must be dead-lettered. What must happen to them is known up front: every
valid article indexed once, every invalid message dead-lettered once, one alert per (rule,
story) the rules match.
"""

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field

from enrich import story_bands

# A rule per marker word: a story carrying the word must alert under that rule, once.
RULE_MARKERS = ("kestrel", "osprey", "harrier", "merlin")

_SYLLABLES = (
    "ka", "va", "ro", "mi", "ne", "to", "lu", "sar", "den", "vik", "mar", "tel", "os", "bra",
    "gun", "dor", "fel", "zan", "ri", "ya", "ko", "lem", "pas", "tir", "nov", "ak", "es", "ul",
    "im", "gor",
)  # fmt: skip
_COUNTRIES = (
    "Russia", "Venezuela", "India", "Brazil", "Turkey", "Egypt", "Poland", "Japan",
    "Indonesia", "Nigeria", "Chile", "Vietnam", "Kenya", "Peru", "Norway", "Morocco",
)  # fmt: skip
_WEAPONS = (
    "Su-30 fighter jets", "T-90 tanks", "S-400 air defence systems", "Mi-17 helicopters",
    "patrol boats", "artillery shells", "Bayraktar TB2 drones", "Javelin missiles",
)  # fmt: skip
_SOURCES = ("Reuters", "AP", "AFP", "Interfax", "EFE", "ANSA", "Kyodo", "PTI")
# Each story draws a few of these; every one names the story's own people and places, so
# that two stories share no run of five words and never look like copies of each other.
_SENTENCES = (
    "Defence minister {person} of {country} met his counterpart from {other} in {city} on "
    "{weekday}.",
    "The two governments discussed the delivery of {quantity} {weapon} to {city} before "
    "the end of the year.",
    "{person} told reporters in {city} that the talks with {other} had been {mood}.",
    "Officials in {city} said the agreement with {other} was worth about {amount} million dollars.",
    "A spokesman for {person} declined to comment on the {weapon} ordered by {city}.",
    "Analysts at the {institute} institute in {city} called the deal a {mood} step for {country}.",
    "The navy of {country} will hold joint exercises with {other} near {city} in {month}.",
    "Parliament in {city} must still approve the purchase of {quantity} {weapon}, {person} said.",
    "{person} arrived in {city} on {weekday} for {mood} talks on military cooperation.",
    "Diplomats from {other} described the meeting with {person} in {city} as {mood}.",
)
_MARKER_SENTENCES = (
    "The programme, code-named {marker}, was first reported by {person} in {city}.",
    "Sources in {city} linked the shipment to an operation called {marker}.",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_MONTHS = ("March", "April", "June", "September", "October", "November")
_MOODS = ("constructive", "difficult", "productive", "tense", "frank", "cordial")


@dataclass(frozen=True)
class Message:
    """One message of the stream: its value, and what it is."""

    value: bytes
    article_id: str | None  # None for a message that must be dead-lettered
    story: int | None = None


@dataclass(frozen=True)
class Corpus:
    """The stream of one scenario and what must come of it."""

    messages: list[Message]
    # Story number of each valid article id.
    stories: dict[str, int]
    # The marker words of each story: each is one alert expected under its rule.
    markers: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def valid_ids(self) -> set[str]:
        return set(self.stories)

    @property
    def invalid_values(self) -> set[bytes]:
        return {message.value for message in self.messages if message.article_id is None}

    def expected_alerts(self) -> set[tuple[str, int]]:
        """(marker word, story) for every alert the rules must raise."""
        return {(marker, story) for story, words in self.markers.items() for marker in words}


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()


def _story_text(rng: random.Random, markers: frozenset[str]) -> tuple[str, str]:
    person = f"{_name(rng)} {_name(rng)}"
    city, institute = _name(rng), _name(rng)
    country, other = rng.sample(_COUNTRIES, 2)
    fill = {
        "person": person,
        "city": city,
        "institute": institute,
        "country": country,
        "other": other,
        "weapon": rng.choice(_WEAPONS),
        "quantity": rng.randint(2, 60),
        "amount": rng.randint(10, 900),
        "weekday": rng.choice(_WEEKDAYS),
        "month": rng.choice(_MONTHS),
        "mood": rng.choice(_MOODS),
    }
    sentences = [template.format(**fill) for template in rng.sample(_SENTENCES, 4)]
    for marker in sorted(markers):
        template = rng.choice(_MARKER_SENTENCES)
        sentences.insert(rng.randint(1, len(sentences)), template.format(marker=marker, **fill))
    title = f"{person} and {other} discuss {fill['weapon']} in {city}"
    return title, " ".join(sentences)


def _invalid(rng: random.Random, number: int) -> bytes:
    kind = number % 3
    if kind == 0:
        return f"not json: broken message {number}".encode()
    if kind == 1:  # no source (a title may be missing, a source may not)
        return json.dumps(
            {"id": f"bad-{number}", "title": "No source", "body": "A body without a source.",
             "published_at": "2026-11-01T10:00:00Z"}
        ).encode()  # fmt: skip
    return json.dumps(  # a Unix timestamp, not RFC 3339
        {"id": f"bad-{number}", "title": "Bad date", "body": "Body.", "source": "AP",
         "published_at": rng.randint(1_700_000_000, 1_800_000_000)}
    ).encode()  # fmt: skip


def build(
    size: int,
    *,
    seed: int = 9,
    copy_share: float = 0.1,
    marker_share: float = 0.15,
    invalid_share: float = 0.01,
    prefix: str = "chaos",
) -> Corpus:
    """`size` messages: stories, near-duplicate reruns of earlier stories, invalid ones.

    A rerun comes a little later in the stream, from another outlet, with the headline
    tagged; its text is otherwise the story's own, so that its story id must be the story's.
    """
    rng = random.Random(seed)
    messages: list[Message] = []
    stories: dict[str, int] = {}
    markers: dict[int, frozenset[str]] = {}
    texts: list[tuple[str, str]] = []
    for number in range(size):
        roll = rng.random()
        if roll < invalid_share:
            messages.append(Message(_invalid(rng, number), None))
            continue
        article_id = f"{prefix}-{number:06d}"
        if texts and roll < invalid_share + copy_share:
            story = rng.randrange(max(0, len(texts) - 50), len(texts))
            title, body = texts[story]
            title = f"{rng.choice(('UPDATE', 'RPT', 'CORRECTED'))}: {title}"
        else:
            story = len(texts)
            # A share of the stories alert, a quarter of those under two rules at once.
            words: frozenset[str] = frozenset()
            if rng.random() < marker_share:
                words = frozenset(rng.sample(RULE_MARKERS, 2 if rng.random() < 0.25 else 1))
            markers[story] = words
            title, body = _story_text(rng, words)
            texts.append((title, body))
        article = {
            "id": article_id,
            "title": title,
            "body": body,
            "published_at": f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:00:00Z",
            "source": rng.choice(_SOURCES),
            "url": f"https://news.example/{article_id}",
        }
        stories[article_id] = story
        messages.append(Message(json.dumps(article).encode(), article_id, story))
    markers = {story: words for story, words in markers.items() if words}
    return Corpus(messages=messages, stories=stories, markers=markers)


def band_groups(corpus: Corpus) -> list[set[str]]:
    """The article ids grouped as the near-duplicate fingerprints group them.

    Union of articles sharing any band key; a clean corpus gives exactly its stories.
    """
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    owner: dict[str, str] = {}
    for message in corpus.messages:
        if message.article_id is None:
            continue
        article = json.loads(message.value)
        parent[message.article_id] = message.article_id
        for band in story_bands(article["title"], article["body"]):
            if band in owner:
                parent[root(message.article_id)] = root(owner[band])
            else:
                owner[band] = message.article_id
    groups: dict[str, set[str]] = defaultdict(set)
    for article_id in parent:
        groups[root(article_id)].add(article_id)
    return list(groups.values())
