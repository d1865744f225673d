"""The in-process matcher agrees with Elasticsearch's query_string on the same documents.

A seeded generator writes a few hundred realistic ArticleDocument sources into an index with
the real template's mappings and thousands of random queries over the grammar and the real
fields; each query runs in Elasticsearch (the parameters of ArticleIndex.search, in _msearch
batches) and in-process through one RuleMatcher holding them all (presearch included), and the
sets of matching ids must be equal. Queries the compiler refuses are only counted. A second
test compares the standard analyzer's tokens and positions on random multi-script text.
"""

import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from elasticsearch import AsyncElasticsearch

from contracts.models import ArmsDeal, Entity, KafkaPosition, Money, TopicEvidence, TopicMatch
from index.documents import ArticleDocument
from index.template import mappings
from matcher import Catalog, CompiledQuery, RuleMatcher, UnsupportedQueryError, compile_query
from matcher.analysis import positions

SEED = 20261127
DOCUMENTS = 300
QUERIES = 3000
# The mapping the index under test is created with.
ARTICLES = Catalog.from_mapping(mappings("standard"))
BATCH = 250

WORDS = [
    "“Russia’s",
    "deal”",
    "Ukraine’s",
    "São",
    "Paulo",
    "naïve",
    "Erdoğan",
    "U.S.-made",
    "S-400s",
    "1,200",
    "Nov.",
    "AND",
    "or",
    "TO",
    "missile*",
    "Russia",
    "India",
    "S-400",
    "Su-57's",
    "F-35A",
    "U.S.",
    "N.A.T.O.",
    "NATO",
    "air",
    "defence",
    "air-defence",
    "missile",
    "missiles",
    "deal",
    "deal's",
    "signed",
    "delivery",
    "tank",
    "T-90",
    "navy",
    "frigate",
    "$5.4bn",
    "3,000",
    "2026",
    "10",
    "1.5",
    "co-operation",
    "Kyiv",
    "Zürich",
    "l'armée",
    "O'Neil",
    "x86_64",
    "v1.2.3",
    "e-mail",
    "Ελλάδα",
    "中国",
    "Москва",
    "ΟΔΟΣ",
    "İstanbul",
    "to",
    "the",
    "and",
    "of",
    "a",
    "drones",
    "Shahed-136",
    "Iran",
    "Venezuela",
    "Brazil",
    "howitzers",
    "K9",
    "Thunder",
    "Korea",
    "Seoul",
    "A400M",
    "#sanctions",
    "50%",
    "mid-2027",
    "state-owned",
    "Rosoboronexport",
    "Lockheed",
    "Martin",
    "Mig-29",
    "MiG-29",
]
PUNCTUATION = [" ", " ", " ", ", ", ": ", " — ", "; ", " (", ") ", ". ", " / ", " & ", "'s "]
COUNTRIES = ["RU", "IN", "VE", "CN", "US", "FR", "DE", "UA", "IR", "BR", "KR", "TR"]
TOPICS = ["arms_deal", "air_defence", "naval", "sanctions", "exercise", "missile_test"]
WEAPONS = ["S-400", "Su-57", "T-90", "Shahed-136", "K9 Thunder", "F-35A", "MiG-29", "A400M"]
PERSONS = ["Vladimir Putin", "Narendra Modi", "Jane O'Neil", "Kim Jong Un", "Lula"]
ORGANIZATIONS = ["Rosoboronexport", "Lockheed Martin", "NATO", "Hanwha Aerospace", "U.N."]
SOURCES = ["Reuters", "AP News", "Defense News", "TASS", "Le Monde"]
CURRENCIES = ["USD", "EUR", "RUB", "INR"]
Stage = Literal["proposed", "approved", "signed", "delivered"]
STAGES: list[Stage] = ["proposed", "approved", "signed", "delivered"]
START = datetime(2024, 1, 1, tzinfo=UTC)


def sentence(rng: random.Random, low: int, high: int) -> str:
    parts = []
    for _ in range(rng.randint(low, high)):
        parts.append(rng.choice(WORDS))
        parts.append(rng.choice(PUNCTUATION))
    return "".join(parts).strip() or "Untitled"


def moment(rng: random.Random) -> datetime:
    if rng.random() < 0.2:
        return START + timedelta(days=rng.randint(0, 1060))
    return START + timedelta(minutes=rng.randint(0, 1060 * 1440), milliseconds=rng.randint(0, 999))


def article(rng: random.Random, number: int) -> ArticleDocument:
    title = sentence(rng, 2, 10)
    if number == 7:
        title = "Long " * 250 + "report"
    body = " ".join(sentence(rng, 3, 14) for _ in range(rng.randint(1, 4)))
    deals = [
        ArmsDeal(
            supplier=rng.choice([None, *COUNTRIES]),
            recipient=rng.choice([None, *COUNTRIES]),
            weapon=rng.choice([None, *WEAPONS]),
            quantity=rng.choice([None, 0, 1, 5, 12, 48, 100]),
            value=rng.choice(
                [None, Money(amount=rng.choice([1.5e9, 400e6, 5.4e9]), currency="USD")]
            ),
            stage=rng.choice([None, *STAGES]),
            sentence=sentence(rng, 3, 8),
        )
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
    ]
    topics = rng.sample(TOPICS, k=rng.randint(0, 3))
    return ArticleDocument(
        id=f"doc-{number}",
        url=rng.choice([None, f"https://news.example/{number}?ref=RSS"]),
        title=title,
        body=body,
        published_at=moment(rng),
        source=rng.choice(SOURCES),
        language=rng.choice(["en", "en", "fr", "pt-br"]),
        authors=rng.sample(PERSONS, k=rng.randint(0, 2)),
        entities=[
            Entity(text=name, label="PERSON", field="body", start=0, end=len(name))
            for name in rng.sample(PERSONS, k=rng.randint(0, 2))
        ],
        persons=rng.sample(PERSONS, k=rng.randint(0, 2)),
        organizations=rng.sample(ORGANIZATIONS, k=rng.randint(0, 2)),
        locations=rng.sample(["Moscow", "New Delhi", "Kyiv", "São Paulo"], k=rng.randint(0, 2)),
        weapons=rng.sample(WEAPONS, k=rng.randint(0, 3)),
        countries=rng.sample(COUNTRIES, k=rng.randint(0, 4)),
        topics=topics,
        topic_details=[
            TopicMatch(
                topic=topic,
                confidence=rng.choice([0.35, 0.5, 0.7, 0.91, 1.0]),
                evidence=[
                    TopicEvidence(cue="deal", sentence=sentence(rng, 2, 6), matched=["deal"])
                ],
            )
            for topic in topics
        ],
        deals=deals,
        story_id=f"doc-{rng.randint(0, number)}",
        story_bands=[f"{band}:{rng.randint(0, 5):x}" for band in range(rng.randint(0, 3))],
        warnings=[],
        ingested_at=moment(rng),
        kafka=rng.choice(
            [None, KafkaPosition(topic="articles", partition=rng.randint(0, 5), offset=number)]
        ),
    )


KEYWORD_FIELDS: dict[str, list[str]] = {
    "countries": COUNTRIES,
    "topics": TOPICS,
    "weapons": WEAPONS,
    "persons": PERSONS,
    "organizations": ORGANIZATIONS,
    "source": SOURCES,
    "language": ["en", "fr", "pt-br", "EN"],
    "deals.weapon": WEAPONS,
    "deals.supplier": COUNTRIES,
    "deals.stage": list(STAGES),
    "deals.value.currency": CURRENCIES,
    "topic_details.topic": TOPICS,
    "entities.label": ["PERSON", "ORG"],
    "kafka.topic": ["articles", "other"],
    "authors": PERSONS,
}
TEXT_FIELDS = ["title", "body", "deals.sentence", "topic_details.evidence.sentence"]
NUMBER_FIELDS: dict[str, list[str]] = {
    "deals.quantity": ["0", "1", "5", "5.0", "5.5", "12", "48", "100", "-3", "1e2", "99999999999"],
    "deals.value.amount": ["1.5e9", "400000000", "5.4e9", "0", "1000000000.5"],
    "topic_details.confidence": ["0.35", "0.5", "0.7", "0.91", "1", "0.699"],
    "kafka.partition": ["0", "1", "3", "5", "7"],
    "kafka.offset": ["0", "10", "150", "299", "1000"],
}
DATE_FIELDS = ["published_at", "ingested_at"]
SPECIAL = set('+-&|!(){}[]^"~*?:\\/ ')


def escape(value: str) -> str:
    return "".join("\\" + char if char in SPECIAL else char for char in value)


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Queries:
    """Random queries over the grammar and the real fields, seeded."""

    def __init__(self, rng: random.Random, documents: list[ArticleDocument]) -> None:
        self.rng = rng
        self.documents = documents

    def word(self) -> str:
        rng = self.rng
        text = rng.choice([*WORDS, "russia", "INDIA", "defence", "deal's", "u.s", "5.4bn"])
        if rng.random() < 0.2:
            text = text.lower()
        return text

    def text_value(self) -> str:
        """A few consecutive words of a document's text field."""
        document = self.rng.choice(self.documents)
        source = self.rng.choice([document.title, document.body])
        words = source.split()
        start = self.rng.randrange(len(words))
        return " ".join(words[start : start + self.rng.randint(1, 4)])

    def date(self) -> str:
        rng = self.rng
        moment = START + timedelta(days=rng.randint(-30, 1100), minutes=rng.randint(0, 1439))
        return rng.choice(
            [
                moment.strftime("%Y-%m-%d"),
                moment.strftime("%Y-%m"),
                moment.strftime("%Y"),
                moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                moment.strftime("%Y-%m-%dT%H"),
                f"now-{rng.randint(1, 1200)}d",
                f"now-{rng.randint(1, 60)}M/M",
                f"{moment.strftime('%Y-%m-%d')}||+{rng.randint(1, 5)}M/d",
                str(int(moment.timestamp() * 1000)),
                "*",
            ]
        )

    def atom(self, depth: int) -> str:
        rng = self.rng
        kind = rng.randrange(21)
        if kind == 17:
            field = rng.choice(["\\*", "deals.\\*", "topic_details.\\*", "*"])
            value = rng.choice([*WEAPONS, *COUNTRIES, "russia", "5"])
            return f"{field}:{rng.choice([quote(value), escape(value)])}"
        if kind == 18:
            field = rng.choice(["title.keyword", "source", "url"])
            return f"{field}:{rng.choice('[{')}{quote(self.text_value())} TO *]"
        if kind == 19:
            return rng.choice(
                [
                    f"deals.value.amount:>{rng.choice(['1000000000', '1e9', '4e8'])}",
                    f'deals.stage:signed AND deals.weapon:"{rng.choice(WEAPONS)}"',
                    f"title:{escape(self.word().lower()[:4])}*",
                    f"body:({escape(self.word())} AND {quote(self.text_value())})",
                    f"NOT language:{rng.choice(['en', 'fr'])}",
                    f"countries:({rng.choice(COUNTRIES)} OR {rng.choice(COUNTRIES)})",
                    f"title:(+{escape(self.word())} -{escape(self.word())})",
                ]
            )
        if kind == 20:
            return rng.choice(["*", "title:*", "deals.sentence:*", "NOT *", "*:*", "_exists_:*"])
        if kind == 0:
            field = rng.choice(list(KEYWORD_FIELDS))
            value = rng.choice(KEYWORD_FIELDS[field])
            return f"{field}:{rng.choice([quote(value), escape(value)])}"
        if kind == 1:
            field = rng.choice(TEXT_FIELDS)
            return f"{field}:{escape(self.word())}"
        if kind == 2:
            if rng.random() < 0.3:
                return " ".join(escape(part) for part in rng.choice(PERSONS).split())
            return " ".join(escape(self.word()) for _ in range(rng.choice([1, 1, 2, 3])))
        if kind == 3:
            field = rng.choice([*TEXT_FIELDS, "", "", "title.keyword"])
            value = self.text_value()
            slop = rng.choice(["", "", "", f"~{rng.randint(0, 4)}"])
            prefix = f"{field}:" if field else ""
            return f"{prefix}{quote(value)}{slop}"
        if kind == 4:
            field = rng.choice([*TEXT_FIELDS, *KEYWORD_FIELDS, ""])
            word = rng.choice([*WORDS, *WEAPONS, *COUNTRIES])
            cut = rng.randint(1, max(1, len(word) - 1))
            pattern = escape(word[:cut]) + rng.choice(["*", "?*", "*", "?"])
            if rng.random() < 0.3:
                pattern = "*" + escape(word[cut:])
            return f"{field}:{pattern}" if field else pattern
        if kind == 5:
            field = rng.choice(list(NUMBER_FIELDS))
            values = NUMBER_FIELDS[field]
            low, high = rng.choice([*values, "*"]), rng.choice([*values, "*"])
            return rng.choice(
                [
                    f"{field}:{rng.choice('[{')}{low} TO {high}{rng.choice(']}')}",
                    f"{field}:{rng.choice(['>', '>=', '<', '<='])}{rng.choice(values)}",
                    f"{field}:{rng.choice(values)}",
                ]
            )
        if kind == 6:
            field = rng.choice(DATE_FIELDS)
            low, high = self.date(), self.date()
            return rng.choice(
                [
                    f"{field}:{rng.choice('[{')}{low} TO {high}{rng.choice(']}')}",
                    f"{field}:{rng.choice(['>', '>=', '<', '<='])}{low.replace('*', 'now')}",
                    f"{field}:{quote(low)}",
                ]
            )
        if kind == 7:
            field = rng.choice(
                ["url", "deals", "deals.weapon", "kafka", "title.keyword", "persons", "nope"]
            )
            return rng.choice([f"_exists_:{field}", f"{field}:*"])
        if kind == 8:
            field = rng.choice(list(KEYWORD_FIELDS))
            return f"{field}:[{rng.choice(COUNTRIES)} TO {rng.choice(['Z', 'zz', 'M', '*'])}]"
        if kind == 9:
            return f"{rng.choice(['unknown', 'deals', 'title.raw'])}:{escape(self.word())}"
        if kind == 10:
            return rng.choice(["5", "12", "2026", "0.7", "1", "5d", "100"])
        if kind == 11:
            field = rng.choice(TEXT_FIELDS)
            return f"{field}:[{escape(self.word().lower())} TO {escape(self.word().lower())}]"
        if kind == 12 and depth < 2:
            field = rng.choice([*TEXT_FIELDS, *KEYWORD_FIELDS])
            return f"{field}:({self.expression(depth + 1)})"
        if kind == 13 and depth < 2:
            return f"({self.expression(depth + 1)})"
        if kind == 14:
            return f"{self.atom(depth)}^{rng.choice(['2', '0.5'])}"
        if kind == 15:
            return quote(rng.choice([*WEAPONS, *PERSONS, *ORGANIZATIONS]))
        return f"{rng.choice(list(KEYWORD_FIELDS))}:{escape(rng.choice(WEAPONS + COUNTRIES))}"

    def expression(self, depth: int = 0) -> str:
        rng = self.rng
        parts = []
        for index in range(rng.choice([1, 1, 2, 2, 3, 4])):
            modifier = rng.choice(["", "", "", "", "NOT ", "-", "+"])
            if index:
                parts.append(rng.choice(["AND", "OR", "", "", "&&", "||"]))
            parts.append(modifier + self.atom(depth))
        return " ".join(part for part in parts if part)


@pytest.fixture
async def index_name(elasticsearch: AsyncElasticsearch) -> AsyncIterator[str]:
    name = f"wirewatch-matching-{uuid.uuid4().hex}"
    await elasticsearch.indices.create(
        index=name,
        mappings=mappings("standard"),
        settings={"number_of_shards": 1, "number_of_replicas": 0},
    )
    yield name
    await elasticsearch.options(ignore_status=404).indices.delete(index=name)


async def elasticsearch_ids(
    client: AsyncElasticsearch, index: str, queries: list[str]
) -> list[set[str] | str]:
    """Each query's matching ids in Elasticsearch, or its error."""
    answers: list[set[str] | str] = []
    for start in range(0, len(queries), BATCH):
        searches: list[dict[str, Any]] = []
        for query in queries[start : start + BATCH]:
            searches.append({"index": index})
            searches.append(
                {
                    "query": {
                        "query_string": {"query": query, "default_field": "*", "lenient": True}
                    },
                    "size": DOCUMENTS,
                    "_source": False,
                    "track_total_hits": False,
                }
            )
        response = await client.msearch(
            searches=searches,
            filter_path=["responses.status", "responses.hits.hits._id", "responses.error"],
        )
        for item in response["responses"]:
            if "error" in item:
                answers.append(str(item["error"].get("reason", item["error"]))[:200])
            else:
                hits = item.get("hits", {}).get("hits", [])
                answers.append({hit["_id"] for hit in hits})
    return answers


async def test_matcher_agrees_with_elasticsearch(
    elasticsearch: AsyncElasticsearch, index_name: str
) -> None:
    rng = random.Random(SEED)
    documents = [article(rng, number) for number in range(DOCUMENTS)]
    operations: list[dict[str, Any]] = []
    for document in documents:
        operations.append({"index": {"_index": index_name, "_id": document.id}})
        operations.append(document.source_fields())
    response = await elasticsearch.bulk(operations=operations, refresh=True)
    assert not response["errors"]

    generator = Queries(rng, documents)
    queries = [generator.expression() for _ in range(QUERIES)]
    started = time.time()
    answers = await elasticsearch_ids(elasticsearch, index_name, queries)
    searched = time.time()
    clock: Callable[[], float] = lambda: started  # noqa: E731 (ES's `now` is the request time)

    compiled: list[CompiledQuery | None] = []
    for query in queries:
        try:
            compiled.append(compile_query(query, catalog=ARTICLES, clock=clock))
        except UnsupportedQueryError:
            compiled.append(None)
    # Through presearch, as alerting matches: the RuleMatcher holds every accepted query.
    matcher = RuleMatcher(
        (str(number), query) for number, query in enumerate(compiled) if query is not None
    )
    matching: dict[int, set[str]] = {}
    for document in documents:
        for rule_id in matcher.match(document.source_fields()):
            matching.setdefault(int(rule_id), set()).add(document.id)

    disagreements: list[str] = []
    refused = rejected_by_both = 0
    for number, (query, answer) in enumerate(zip(queries, answers, strict=True)):
        if compiled[number] is None:
            refused += 1
            rejected_by_both += isinstance(answer, str)
            continue
        if isinstance(answer, str):
            disagreements.append(f"{query!r}: Elasticsearch rejects it ({answer})")
            continue
        ours = matching.get(number, set())
        if ours != answer:
            disagreements.append(
                f"{query!r}: only in-process {sorted(ours - answer)[:5]}, "
                f"only Elasticsearch {sorted(answer - ours)[:5]}"
            )

    compared = QUERIES - refused
    matched = time.time()
    print(
        f"\n{compared} queries x {DOCUMENTS} documents = {compared * DOCUMENTS} pairs compared; "
        f"{len(disagreements)} queries disagree; {refused} refused "
        f"({refused / QUERIES:.1%}, {rejected_by_both} of them also rejected by Elasticsearch); "
        f"Elasticsearch {searched - started:.1f} s, in-process {matched - searched:.1f} s"
    )
    assert not disagreements, "\n".join(disagreements[:40])
    assert refused - rejected_by_both < QUERIES * 0.1


TEXT_CHARACTERS = (
    "aZk09_:.',;\"-@#/$%&+ \t\n"
    "éüßçøİıΣσςΔОдЖ"
    "\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u00a0"
    "\u05d0\u05d1\u05f3\u05f4"
    "\u0627\u0644\u0639"
    "\u0915\u093f\u094d"
    "\u0e2a\u0e27\u0e31"
    "\u4e2d\u6587\u3042\u3044\u30ab\u30fc\u30ca\ud55c\uad6d"
    "\uff11\uff21"
)
# Combining, format and joiner characters; and emoji. Texts mix one of the two with the text
# characters: the emoji rules for a format character after an emoji are not emulated.
INVISIBLE = "\u0301\u0308\u00ad\u200b\u200c\u200d"
EMOJI = "\U0001f600\U0001f44d\U0001f3fd\U0001f1fa\U0001f1f8\u2605\u2708\ufe0f"


async def test_standard_analyzer_agrees_with_elasticsearch(
    elasticsearch: AsyncElasticsearch,
) -> None:
    rng = random.Random(SEED)
    for number in range(80):
        alphabet = TEXT_CHARACTERS + (INVISIBLE if number % 2 else EMOJI)
        values = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            for _ in range(rng.randint(1, 3))
        ]
        response = await elasticsearch.indices.analyze(analyzer="standard", text=values)
        theirs: dict[str, list[int]] = {}
        for token in response["tokens"]:
            theirs.setdefault(token["token"], []).append(token["position"])
        assert positions(values) == theirs, values
