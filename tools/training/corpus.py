"""The labelled corpus as the classifier sees it: each example's analysed text (exactly what
the enrichment pipeline hands spaCy) with its topics, and its folds."""

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from enrich import EnrichSettings, analysed_text, parse_examples, snippet_article

_MAX_TEXT_CHARS: int = EnrichSettings.model_fields["max_text_chars"].default


@dataclass(frozen=True)
class LabelledText:
    """One labelled example: its id, the text the pipeline analyses, its topics."""

    id: str
    text: str
    topics: frozenset[str]
    negative: bool


class CorpusError(ValueError):
    """A labelled file cannot be used for training."""


def read_labelled(paths: Iterable[Path], labels: Sequence[str]) -> list[LabelledText]:
    """The examples of the labelled files, in file order, with their analysed text: title,
    blank line, body as `enrich.analysed_text` builds it from `enrich.snippet_article` (so an
    example without a title is the blank line and the body, and one without a `title` key
    takes its first sentence as title). Raises CorpusError on a topic outside `labels`."""
    lines: list[str] = []
    for path in paths:
        lines.extend(path.read_text(encoding="utf-8").splitlines())
    found = []
    for example in parse_examples(lines):
        unknown = example.topics - set(labels)
        if unknown:
            raise CorpusError(
                f"example {example.id} has topics {sorted(unknown)} that the classifier's "
                f"labels do not list ({', '.join(labels)}): add them to "
                "tools/training/model.py's LABELS or fix the label"
            )
        text = analysed_text(snippet_article(example), _MAX_TEXT_CHARS)
        found.append(LabelledText(example.id, text, example.topics, example.negative))
    return found


def folds(examples: Sequence[LabelledText], k: int, seed: int) -> list[list[int]]:
    """`k` disjoint folds of example indexes covering them all, stratified by each example's
    rarest topic (examples without a topic form a group of their own): a seeded shuffle, a
    stable sort by that topic, then dealt round-robin, so each fold gets its share of every
    topic to within one example per group."""
    if not 2 <= k <= len(examples):
        raise CorpusError(f"cannot make {k} folds of {len(examples)} examples: use 2 to that")
    counts = Counter(topic for example in examples for topic in example.topics)

    def rarest(index: int) -> tuple[int, str]:
        topics = examples[index].topics
        if not topics:
            return (0, "")
        return min((counts[topic], topic) for topic in topics)

    order = list(range(len(examples)))
    # A reproducible split, not a secret: a seeded generator is the point.
    random.Random(seed).shuffle(order)  # noqa: S311
    order.sort(key=rarest)
    dealt: list[list[int]] = [[] for _ in range(k)]
    for position, index in enumerate(order):
        dealt[position % k].append(index)
    return [sorted(fold) for fold in dealt]
