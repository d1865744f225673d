"""The thresholds at which the rule cues and the classifier decide a topic together
(`enrich.Decision`), chosen on out-of-fold probabilities: each excerpt's rule cues as the
pipeline reads them, and the classifier's probabilities, as the pipeline reads them too, from
the fold that did not see it."""

import itertools
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from contracts import TopicMatch, TopicSource
from enrich import (
    TOPIC_TAGGER,
    Decision,
    Enricher,
    EnrichSettings,
    TopicTaggerComponent,
    analysed_text,
    parse_examples,
    snippet_article,
)
from tools.training.model import LABELS

# Candidate thresholds, 0 to 1 by 0.05.
_GRID = [step / 20 for step in range(21)]
# Macro-F1 this close to the best counts as equal: a tag or two among the corpus's 900
# excerpts, well inside the spread of macro-F1 over the folds (sd about 0.016). Among equals,
# fewer false topics on hard negatives win, then the thresholds that ask the classifier most.
EQUAL_MACRO_F1 = 0.005
_SOURCES: tuple[TopicSource, ...] = ("rules and classifier", "classifier", "rules")


@dataclass(frozen=True)
class Scored:
    """A decision's figures over one or more cross-validation runs: macro-F1, F1 per topic and
    false topics on hard negatives (means over the runs), and the tags of each source, right
    (the labels hold them) or not (summed). `decision` None: the rules alone."""

    decision: Decision | None
    macro_f1: float
    false_on_negatives: float
    f1: Mapping[str, float]
    decided_by: Mapping[tuple[TopicSource, bool], int]


@dataclass(frozen=True)
class Choice:
    """Every candidate decision, best first; the tagger's default decision; the rules alone;
    the default's thresholds with other thresholds for the only topic (`Decision.sole`)."""

    ranked: list[Scored]
    default: Scored
    rules_only: Scored
    sole: list[Scored] = field(default_factory=list)


@dataclass(frozen=True)
class RuleReading:
    """What the pipeline reads of one labelled excerpt besides the classifier: its rule-cue
    matches, and whether it holds a word of the taxonomy's domain lexicon."""

    matches: list[TopicMatch]
    on_the_domain: bool


def rule_readings(
    enricher: Enricher, tagger: TopicTaggerComponent, lines: Sequence[str]
) -> dict[str, RuleReading]:
    """Each labelled excerpt's rule-cue matches and domain flag as the pipeline reads them."""
    examples = parse_examples(lines)
    articles = [snippet_article(example) for example in examples]
    enriched = enricher.enrich_all(articles)
    docs = enricher.nlp.pipe(
        analysed_text(article, enricher.settings.max_text_chars) for article in articles
    )
    return {
        example.id: RuleReading(
            [match for match in article.topic_details if match.evidence],
            tagger.on_the_domain(doc),
        )
        for example, article, doc in zip(examples, enriched, docs, strict=True)
    }


@dataclass(frozen=True)
class OutOfFold:
    """One cross-validation run: each excerpt's out-of-fold probabilities, by id, and how many
    windows the classifier read of it."""

    probabilities: Mapping[str, Mapping[str, float]]
    windows: Mapping[str, int]


def score(
    tagger: TopicTaggerComponent,
    decision: Decision | None,
    readings: Mapping[str, RuleReading],
    runs: Sequence[OutOfFold],
    gold: Mapping[str, frozenset[str]],
    negatives: frozenset[str],
) -> Scored:
    """How `decision` (None: the rules alone, without the classifier) does on the excerpts of
    each run: F1 per topic pooled over the excerpts, macro-F1 and false topics on the hard
    negatives, each the mean over the runs; tags per source summed over them."""
    if decision is not None:
        tagger.decision = decision
    decided_by: Counter[tuple[TopicSource, bool]] = Counter()
    f1_of_runs: list[dict[str, float]] = []
    false_of_runs: list[int] = []
    for run in runs:
        counts = {label: [0, 0, 0] for label in LABELS}
        false_on_negatives = 0
        for id_, cats in run.probabilities.items():
            probabilities = dict(cats) if decision is not None else {}
            tagged = {
                m.topic: m.decided_by
                for m in tagger.decide(
                    readings[id_].matches,
                    probabilities,
                    run.windows[id_],
                    readings[id_].on_the_domain,
                )
                if m.decided_by is not None
            }
            false_on_negatives += bool(id_ in negatives and tagged)
            for topic, source in tagged.items():
                decided_by[source, topic in gold[id_]] += 1
            for label in LABELS:
                found, expected = label in tagged, label in gold[id_]
                if found or expected:
                    counts[label][0 if found and expected else 1 if found else 2] += 1
        f1_of_runs.append(
            {
                label: 2 * tp / (2 * tp + fp + fn) if tp else 0.0
                for label, (tp, fp, fn) in counts.items()
            }
        )
        false_of_runs.append(false_on_negatives)
    f1 = {label: statistics.fmean(run[label] for run in f1_of_runs) for label in LABELS}
    return Scored(
        decision, statistics.fmean(f1.values()), statistics.fmean(false_of_runs), f1, decided_by
    )


def rank(scored: Sequence[Scored]) -> list[Scored]:
    """The candidates best first: those within EQUAL_MACRO_F1 of the best macro-F1 by fewest
    false topics on hard negatives, then by the highest thresholds; the others after them, by
    macro-F1."""
    best = max(s.macro_f1 for s in scored)

    def demand(s: Scored) -> float:
        return s.decision.with_cue + s.decision.alone if s.decision else 0.0

    equal = [s for s in scored if s.macro_f1 >= best - EQUAL_MACRO_F1]
    rest = [s for s in scored if s.macro_f1 < best - EQUAL_MACRO_F1]
    return sorted(equal, key=lambda s: (s.false_on_negatives, -demand(s), -s.macro_f1)) + sorted(
        rest, key=lambda s: (-s.macro_f1, s.false_on_negatives)
    )


def choose(lines: Sequence[str], runs: Sequence[OutOfFold]) -> Choice:
    """Every candidate decision ranked (see `rank`), the tagger's default and the rules alone,
    scored on the labelled `lines` over the cross-validation `runs`. Several runs (other fold
    counts) steady the choice: one run's macro-F1 moves by more than its candidates differ. The
    candidates vary `with_cue` and `alone` and keep the default's `long_article_cues` and `sole`
    (at most `alone`); then the default's thresholds are scored with `sole` varied."""
    examples = {example.id: example for example in parse_examples(lines)}
    enricher = Enricher(EnrichSettings())
    tagger = enricher.nlp.get_pipe(TOPIC_TAGGER)
    if not isinstance(tagger, TopicTaggerComponent):
        raise TypeError(f"{TOPIC_TAGGER} is not wirewatch's topic tagger: {tagger!r}")
    readings = rule_readings(enricher, tagger, lines)
    gold = {id_: example.topics for id_, example in examples.items()}
    negatives = frozenset(id_ for id_, example in examples.items() if example.negative)
    default_decision = tagger.decision
    data = (readings, runs, gold, negatives)
    default = score(tagger, default_decision, *data)
    scored = [
        score(tagger, _with(default_decision, with_cue, alone), *data)
        for with_cue, alone in itertools.product(_GRID, _GRID)
        if with_cue <= alone
    ]
    rules_only = score(tagger, None, *data)
    sole = [
        score(tagger, replace(default_decision, sole=value), *data)
        for value in [None, *(v for v in _GRID if 0.4 <= v <= default_decision.alone)]
    ]
    return Choice(rank(scored), default, rules_only, sole)


def _with(decision: Decision, with_cue: float, alone: float) -> Decision:
    sole = None if decision.sole is None else min(decision.sole, alone)
    return replace(decision, with_cue=with_cue, alone=alone, sole=sole)


def format_choice(choice: Choice, top: int = 10) -> str:
    """The best candidates, the tagger's default and the rules alone, as plain text: macro-F1,
    false topics on hard negatives (means over the runs), and per source the tags the labels
    hold of all it made (summed over the runs)."""
    lines = [
        f"{'with_cue':>8}{'alone':>7}{'macro-F1':>10}{'false on neg.':>15}  "
        + "   ".join(f"{source}: right/tags" for source in _SOURCES)
    ]
    for scored, note in [
        *((scored, "") for scored in choice.ranked[:top]),
        (choice.default, "   (the tagger's default)"),
        (choice.rules_only, "   (the rules alone)"),
    ]:
        d = scored.decision
        thresholds = f"{d.with_cue:>8.2f}{d.alone:>7.2f}" if d else f"{'-':>8}{'-':>7}"
        right = {source: scored.decided_by.get((source, True), 0) for source in _SOURCES}
        wrong = {source: scored.decided_by.get((source, False), 0) for source in _SOURCES}
        by_source = "   ".join(
            f"{right[source]}/{right[source] + wrong[source]}" for source in _SOURCES
        )
        lines.append(
            f"{thresholds}{scored.macro_f1:>10.3f}{scored.false_on_negatives:>15.1f}  {by_source}"
            + note
        )
    for name, scored in (("best", choice.ranked[0]), ("default", choice.default)):
        lines.append(
            f"{name} per topic: "
            + ", ".join(f"{label} {f1:.3f}" for label, f1 in scored.f1.items())
        )
    if choice.sole:
        lines.append("the default's thresholds, the only topic's (sole) varied:")
        lines.append(f"{'sole':>8}{'macro-F1':>10}{'false on neg.':>15}")
        for scored in choice.sole:
            value = scored.decision.sole if scored.decision else None
            shown = "-" if value is None else f"{value:.2f}"
            lines.append(f"{shown:>8}{scored.macro_f1:>10.3f}{scored.false_on_negatives:>15.1f}")
    return "\n".join(lines) + "\n"
