"""The thresholds at which the rule cues and the classifier decide a topic together
(`enrich.Decision`), chosen on out-of-fold probabilities: each excerpt's rule cues as the
pipeline reads them, and the classifier's probabilities from the fold that did not see it."""

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contracts import TopicMatch
from enrich import (
    TOPIC_TAGGER,
    Decision,
    Enricher,
    EnrichSettings,
    TopicTaggerComponent,
    parse_examples,
    snippet_article,
)
from tools.training.model import LABELS

# Candidate thresholds, 0 to 1 by 0.05.
_GRID = [step / 20 for step in range(21)]


@dataclass(frozen=True)
class Scored:
    """A candidate decision's macro-F1 and its false topics on hard negatives."""

    decision: Decision
    macro_f1: float
    false_on_negatives: int
    f1: Mapping[str, float]


def rule_matches(enricher: Enricher, lines: Sequence[str]) -> dict[str, list[TopicMatch]]:
    """Each labelled excerpt's rule-cue matches as the pipeline reads them, by id."""
    examples = parse_examples(lines)
    enriched = enricher.enrich_all([snippet_article(example) for example in examples])
    return {
        example.id: [match for match in article.topic_details if match.evidence]
        for example, article in zip(examples, enriched, strict=True)
    }


def score(
    tagger: TopicTaggerComponent,
    decision: Decision,
    matches: Mapping[str, list[TopicMatch]],
    out_of_fold: Mapping[str, Mapping[str, float]],
    gold: Mapping[str, frozenset[str]],
    negatives: frozenset[str],
) -> Scored:
    """How `decision` does on the excerpts: pooled F1 per topic, macro-F1, false topics on
    the hard negatives."""
    tagger.decision = decision
    counts = {label: [0, 0, 0] for label in LABELS}
    false_on_negatives = 0
    for id_, cats in out_of_fold.items():
        tagged = {m.topic for m in tagger.decide(matches[id_], dict(cats)) if m.decided_by}
        false_on_negatives += bool(id_ in negatives and tagged)
        for label in LABELS:
            found, expected = label in tagged, label in gold[id_]
            if found or expected:
                counts[label][0 if found and expected else 1 if found else 2] += 1
    f1 = {
        label: 2 * tp / (2 * tp + fp + fn) if tp else 0.0 for label, (tp, fp, fn) in counts.items()
    }
    return Scored(decision, statistics.fmean(f1.values()), false_on_negatives, f1)


def choose(
    lines: Sequence[str], out_of_fold: Mapping[str, Mapping[str, float]]
) -> tuple[list[Scored], Scored]:
    """Every candidate decision, best first (highest macro-F1, then fewest false topics on hard
    negatives), and the rules alone."""
    examples = {example.id: example for example in parse_examples(lines)}
    enricher = Enricher(EnrichSettings())
    matches = rule_matches(enricher, lines)
    tagger = enricher.nlp.get_pipe(TOPIC_TAGGER)
    if not isinstance(tagger, TopicTaggerComponent):
        raise TypeError(f"{TOPIC_TAGGER} is not wirewatch's topic tagger: {tagger!r}")
    gold = {id_: example.topics for id_, example in examples.items()}
    negatives = frozenset(id_ for id_, example in examples.items() if example.negative)
    scored = [
        score(tagger, Decision(confirm, support, alone), matches, out_of_fold, gold, negatives)
        for confirm, support, alone in itertools.product(_GRID, _GRID, _GRID)
        if confirm <= support <= alone
    ]
    never = 2.0  # above any probability: the classifier never tags, never overrules
    rules_only = score(tagger, Decision(0.0, never, never), matches, out_of_fold, gold, negatives)
    ranked = sorted(scored, key=lambda s: (-round(s.macro_f1, 3), s.false_on_negatives))
    return ranked, rules_only


def format_choice(ranked: Sequence[Scored], rules_only: Scored, top: int = 10) -> str:
    """The best candidates and the rules alone, as plain text."""
    lines = [f"{'confirm':>8}{'support':>8}{'alone':>8}{'macro-F1':>10}  false on negatives"]
    for scored in [*ranked[:top], rules_only]:
        d = scored.decision
        lines.append(
            f"{d.confirm:>8.2f}{d.support:>8.2f}{d.alone:>8.2f}{scored.macro_f1:>10.3f}"
            f"  {scored.false_on_negatives}"
        )
    lines[-1] += "   (the rules alone)"
    best = ranked[0]
    lines.append(
        "best per topic: " + ", ".join(f"{label} {f1:.3f}" for label, f1 in best.f1.items())
    )
    return "\n".join(lines) + "\n"
