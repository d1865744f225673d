"""Scores of enrichment against a labelled set: topics, weapons and entities (pure).

The set is JSON lines, one snippet each: {"id", "text", "topics": [...], "weapons": [...],
"negative": bool}; `negative` marks a hard negative, a text that must get no topic. Optional:
`title` (a string, or null for an article without one; absent, the first sentence of `text`
stands for it), `persons`, `organisations`, `places` (scored where labelled), and provenance
that is kept but not scored (`outlet`, `url`, `published`, `labeller`, `note`, ...): the format
of the real-news corpus (enrich/corpus/GUIDELINE.md).
"""

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts import Article, EnrichedArticle
from enrich.errors import EnrichmentError

# Snippets carry no date or outlet; enrichment reads neither.
_SNIPPET_DATE = "2000-01-01T00:00:00Z"
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


class Example(BaseModel):
    """One labelled snippet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    topics: frozenset[str] = frozenset()
    weapons: frozenset[str] = frozenset()
    negative: bool = False
    title: str | None = None
    # None: the set does not label this kind of entity, so it is not scored.
    persons: frozenset[str] | None = None
    organisations: frozenset[str] | None = None
    places: frozenset[str] | None = None
    # Provenance, kept with the labels and never scored.
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    labeller: str | None = None
    rechecked: str | None = Field(default=None, description="Who reviewed the labels after.")
    note: str | None = None
    collected_for: str | None = None
    collected_at: str | None = None


class EvaluationSetError(EnrichmentError):
    """A line of the labelled set is not a valid example."""


def parse_examples(lines: Iterable[str]) -> list[Example]:
    """The examples of a JSON-lines set; blank lines are skipped, a bad one raises."""
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            examples.append(Example.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as error:
            raise EvaluationSetError(
                f"line {number} of the labelled set is not a valid example: {error}"
            ) from error
    ids = [example.id for example in examples]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise EvaluationSetError(f"the labelled set repeats ids: {', '.join(duplicates)}")
    return examples


def snippet_article(example: Example) -> Article:
    """The article enrichment sees for a snippet, as a feed gives it: the labelled title
    (none where the set says null) and the text as the body; for a snippet without a `title`
    key, its first sentence as the title (as in a headline and lead) and the rest as the body
    (a one-sentence snippet is both)."""
    if "title" in example.model_fields_set:
        title, body = example.title, example.text
    else:
        parts = _FIRST_SENTENCE.split(example.text, maxsplit=1)
        title, body = (parts[0], parts[1]) if len(parts) == 2 else (example.text, example.text)
    return Article.model_validate(
        {"id": example.id, "title": title, "body": body, "published_at": _SNIPPET_DATE,
         "source": example.outlet or "labelled set", "language": "en"}
    )  # fmt: skip


@dataclass(frozen=True)
class Prediction:
    """What enrichment found in one snippet."""

    topics: frozenset[str]
    weapons: frozenset[str]
    persons: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    # What tagged each topic: "rules", "classifier" or "rules and classifier".
    decided_by: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, enriched: EnrichedArticle) -> "Prediction":
        """The topics, weapons and entities of an enriched article."""
        return cls(
            frozenset(enriched.topics),
            frozenset(enriched.weapons),
            frozenset(enriched.persons),
            frozenset(enriched.organizations),
            frozenset(enriched.locations),
            {m.topic: m.decided_by for m in enriched.topic_details if m.decided_by is not None},
        )


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 from counts; 0 where undefined."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def support(self) -> int:
        """How many times the labels hold it."""
        return self.true_positives + self.false_negatives


@dataclass(frozen=True)
class Miss:
    """A snippet whose topics differ from its labels."""

    id: str
    expected: frozenset[str]
    found: frozenset[str]


@dataclass(frozen=True)
class Report:
    """The scores of a labelled set."""

    topics: Mapping[str, Scores]
    weapons: Scores
    negatives: int
    false_topics_on_negatives: Mapping[str, frozenset[str]]
    misses: Sequence[Miss]
    entities: Mapping[str, Scores] = field(default_factory=dict)
    # (labelled topic not found, topic found instead) per snippet; "-" where nothing stood in.
    confusion: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # (what decided a tag, whether the labels hold it): how many tags.
    decided_by: Mapping[tuple[str, bool], int] = field(default_factory=dict)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the topics the labels hold (a topic never labelled has no recall)."""
        labelled = [scores.f1 for scores in self.topics.values() if scores.support]
        return sum(labelled) / len(labelled) if labelled else 0.0


# A ship's class written as such ("Virginia-class" is the Virginia class) and a system's number
# in Roman numerals ("Arrow III" is "Arrow 3", "Shaheen-I" is "Shaheen-1").
_CLASS_SUFFIX = re.compile(r"[\s-]+class$", re.IGNORECASE)
_ROMAN_NUMBER = re.compile(r"(?<=[\s-])(?:I{1,3}|IV|V|VI{1,3}|IX|X)$")
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8,
                 "IX": 9, "X": 10}  # fmt: skip


def weapon_key(name: str) -> str:
    """Weapon names compare without case, spaces or punctuation ("F-35" is "f35"), a trailing
    "class" ("Virginia-class" is "Virginia") and with Roman numbers as digits ("Minuteman III"
    is "Minuteman 3")."""
    bare = _CLASS_SUFFIX.sub("", name.strip())
    bare = _ROMAN_NUMBER.sub(lambda number: str(_ROMAN_VALUES[number.group()]), bare)
    return _NOT_ALPHANUMERIC.sub("", bare.casefold())


# An owner written before a name: "Russia's" of "Russia's defence ministry", "Niger's" of
# "Niger's Agadez" (at most two words, so that "Brigham and Women's Hospital" keeps its own).
_OWNER = re.compile(r"^(?:\S+\s+)?\S+['’]s\s+(?=\S)")
_REGION = re.compile(r"\s+region$", re.IGNORECASE)


def entity_key(name: str) -> str:
    """Entity names compare as weapons do, a leading "the", an owner's possessive and a trailing
    "region" aside: "the Quad" is "Quad", "Russia's defence ministry" is "defence ministry" and
    "the Asia-Pacific region" is "Asia-Pacific" (the same entity, written with more words)."""
    bare = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
    return weapon_key(_REGION.sub("", _OWNER.sub("", bare)))


ENTITY_KINDS = ("persons", "organisations", "places")


def _set_counts(
    expected: Iterable[str], found: Iterable[str], key: Callable[[str], str]
) -> tuple[int, int, int]:
    wanted, got = {key(name) for name in expected}, {key(name) for name in found}
    return len(wanted & got), len(got - wanted), len(wanted - got)


def evaluate(
    examples: Sequence[Example],
    predictions: Sequence[Prediction],
    place_key: Callable[[str], str] = entity_key,
) -> Report:
    """Per-topic, weapon and entity scores of `predictions`, the i-th for the i-th example.
    Each entity kind is scored over the examples that label it; `place_key` lets a country
    match by any of its names (the CLI passes one that maps them to their ISO codes)."""
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    labels = sorted(
        {t for e in examples for t in e.topics} | {t for p in predictions for t in p.topics}
    )
    counts = {topic: [0, 0, 0] for topic in labels}
    weapon_counts = [0, 0, 0]
    entity_counts = {kind: [0, 0, 0] for kind in ENTITY_KINDS}
    keys = {"persons": entity_key, "organisations": entity_key, "places": place_key}
    labelled_kinds: set[str] = set()
    confusion: Counter[tuple[str, str]] = Counter()
    decided_by: Counter[tuple[str, bool]] = Counter()
    false_on_negatives: dict[str, frozenset[str]] = {}
    misses = []
    for example, prediction in zip(examples, predictions, strict=True):
        for topic in labels:
            expected, found = topic in example.topics, topic in prediction.topics
            if found and topic in prediction.decided_by:
                decided_by[prediction.decided_by[topic], expected] += 1
            if expected and found:
                counts[topic][0] += 1
            elif found:
                counts[topic][1] += 1
            elif expected:
                counts[topic][2] += 1
        expected_weapons = {weapon_key(w) for w in example.weapons}
        found_weapons = {weapon_key(w) for w in prediction.weapons}
        weapon_counts[0] += len(expected_weapons & found_weapons)
        weapon_counts[1] += len(found_weapons - expected_weapons)
        weapon_counts[2] += len(expected_weapons - found_weapons)
        for kind in ENTITY_KINDS:
            labels_of_kind: frozenset[str] | None = getattr(example, kind)
            if labels_of_kind is None:
                continue
            labelled_kinds.add(kind)
            counted = _set_counts(labels_of_kind, getattr(prediction, kind), keys[kind])
            entity_counts[kind] = [a + b for a, b in zip(entity_counts[kind], counted, strict=True)]
        if example.negative and prediction.topics:
            false_on_negatives[example.id] = prediction.topics
        if example.topics != prediction.topics:
            misses.append(Miss(example.id, example.topics, prediction.topics))
            missed = sorted(example.topics - prediction.topics) or ["-"]
            extra = sorted(prediction.topics - example.topics) or ["-"]
            confusion.update((m, e) for m in missed for e in extra)
    return Report(
        topics={topic: Scores(*count) for topic, count in counts.items()},
        weapons=Scores(*weapon_counts),
        negatives=sum(1 for example in examples if example.negative),
        false_topics_on_negatives=false_on_negatives,
        misses=misses,
        entities={
            kind: Scores(*entity_counts[kind]) for kind in ENTITY_KINDS if kind in labelled_kinds
        },
        confusion=dict(sorted(confusion.items(), key=lambda item: (-item[1], item[0]))),
        decided_by=dict(sorted(decided_by.items())),
    )


def format_report(report: Report) -> str:
    """The report as a plain-text table."""
    lines = [f"{'topic':<22}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}"]
    for topic, scores in report.topics.items():
        lines.append(
            f"{topic:<22}{scores.precision:>10.3f}{scores.recall:>8.3f}"
            f"{scores.f1:>8.3f}{scores.support:>9}"
        )
    weapons = report.weapons
    lines += [
        f"{'macro-F1':<22}{report.macro_f1:>26.3f}",
        f"{'WEAPON':<22}{weapons.precision:>10.3f}{weapons.recall:>8.3f}"
        f"{weapons.f1:>8.3f}{weapons.support:>9}",
    ]
    lines += [
        f"{kind.upper():<22}{scores.precision:>10.3f}{scores.recall:>8.3f}"
        f"{scores.f1:>8.3f}{scores.support:>9}"
        for kind, scores in report.entities.items()
    ]
    lines.append(
        f"false topics on hard negatives: {len(report.false_topics_on_negatives)}"
        f" of {report.negatives}"
    )
    lines += [
        f"  {id_}: {', '.join(sorted(topics))}"
        for id_, topics in report.false_topics_on_negatives.items()
    ]
    sources = sorted({source for source, _ in report.decided_by})
    if sources:
        lines.append("what tagged the topics (tags the labels hold / all tags):")
        for source in sources:
            right = report.decided_by.get((source, True), 0)
            lines.append(
                f"  {source}: {right} / {right + report.decided_by.get((source, False), 0)}"
            )
    if report.confusion:
        lines.append("topic confusion (labelled, not found -> found, not labelled; - for none):")
        lines += [
            f"  {missed} -> {extra}: {count}" for (missed, extra), count in report.confusion.items()
        ]
    if report.misses:
        lines.append("snippets whose topics differ from their labels:")
        lines += [
            f"  {miss.id}: expected [{', '.join(sorted(miss.expected))}]"
            f" found [{', '.join(sorted(miss.found))}]"
            for miss in report.misses
        ]
    return "\n".join(lines)
