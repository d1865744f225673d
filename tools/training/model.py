"""Training of the topic classifier with scikit-learn, its export as plain data for
`enrich.topic_model`, and k-fold cross-validation.

Chosen by cross-validation on the real-news corpus (benchmarks/results/
topic-classifier-crossval-*.txt): TF-IDF of single words (sublinear counts, words seen in two
examples or more, L2-normalised) and one logistic regression per topic with balanced class
weights and C = 10, trained on the corpus and the development snippets. spaCy's
textcat_multilabel (bag of words, best of learning rates, n-gram sizes, epochs and an ensemble
with a CNN) scored macro-F1 0.857 at best, and its sum of word weights drove every probability of
a long article to 0; this model scores 0.92-0.93 and reads a long text as it reads a short one.
"""

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import spacy
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from spacy.tokens import Doc

from enrich import LinearTopicModel, terms_of
from tools.training.corpus import LabelledText, folds

ROOT = Path(__file__).resolve().parents[2]
# Package data of enrich: the wheel ships it (pyproject.toml's package-data).
MODEL_DIR = ROOT / "enrich" / "data" / "topic_classifier"
LABELS = (
    "arms_deal",
    "military_exercise",
    "defense_cooperation",
    "military_aid",
    "sanctions",
    "troop_deployment",
    "weapons_test",
)
THRESHOLD = 0.5
REGULARISATION_C = 10.0
MIN_EXAMPLES_PER_WORD = 2
# The classifier reads a doc in windows of this many tokens (enrich.components,
# `window_tokens`); it learns from each excerpt's first window, which holds most excerpts whole.
WINDOW_TOKENS = 300


def _terms(texts: Sequence[str]) -> list[list[str]]:
    """The words of each text's first window, as the pipeline's classifier reads them."""
    return [terms_of(doc[:WINDOW_TOKENS]) for doc in _docs(texts)]


def _docs(texts: Sequence[str]) -> list[Doc]:
    tokenizer = spacy.blank("en")
    return [tokenizer.make_doc(text) for text in texts]


def _keep(words: list[str]) -> list[str]:
    # The texts arrive as word lists already: the vectoriser only counts them.
    return words


def train_model(examples: Sequence[LabelledText], description: str = "") -> LinearTopicModel:
    """A model trained on all `examples`."""
    vectoriser = TfidfVectorizer(
        analyzer=_keep, min_df=MIN_EXAMPLES_PER_WORD, sublinear_tf=True, norm="l2"
    )
    matrix = vectoriser.fit_transform(_terms([example.text for example in examples]))
    weights, bias = [], []
    for label in LABELS:
        targets = np.array([label in example.topics for example in examples])
        regression = LogisticRegression(
            C=REGULARISATION_C, class_weight="balanced", max_iter=5000
        ).fit(matrix, targets)
        weights.append(regression.coef_[0])
        bias.append(regression.intercept_[0])
    return LinearTopicModel(
        labels=LABELS,
        vocabulary={str(word): int(column) for word, column in vectoriser.vocabulary_.items()},
        idf=np.asarray(vectoriser.idf_, dtype=np.float64),
        weights=np.vstack(weights),
        bias=np.asarray(bias, dtype=np.float64),
        description=description,
    )


@dataclass
class CrossValidation:
    """Out-of-fold results of k-fold cross-validation at THRESHOLD."""

    examples: int
    negatives: int
    # Per label: true positives, false positives, false negatives, pooled over the folds.
    counts: dict[str, list[int]] = field(default_factory=dict)
    fold_macro_f1: list[float] = field(default_factory=list)
    negatives_with_topic: int = 0
    # Example id -> each label's probability as the pipeline reads it (the highest over its
    # windows), from the model that did not see the example.
    out_of_fold: dict[str, dict[str, float]] = field(default_factory=dict)
    # Example id -> how many windows the classifier read of it.
    windows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def scores(self, label: str) -> tuple[float, float, float]:
        """Precision, recall and F1 of one label, pooled over the folds."""
        return _prf(*self.counts[label])

    def macro_f1(self) -> float:
        """The mean of the labels' pooled F1."""
        return statistics.fmean(self.scores(label)[2] for label in LABELS)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def cross_validate(
    examples: Sequence[LabelledText],
    k: int,
    seed: int,
    extra_training: Sequence[LabelledText] = (),
) -> CrossValidation:
    """Train k models, each on all folds but one (plus `extra_training`, never scored), and
    score each on its held-out fold at THRESHOLD. A held-out text is read as the pipeline's
    classifier reads it, in windows of WINDOW_TOKENS keeping each topic's highest: the
    decision's thresholds are chosen on these probabilities, so they must be the pipeline's
    on the longer excerpts too."""
    result = CrossValidation(
        examples=len(examples),
        negatives=sum(example.negative for example in examples),
        counts={label: [0, 0, 0] for label in LABELS},
    )
    started = time.perf_counter()
    for held in folds(examples, k, seed):
        held_set = set(held)
        training = [ex for i, ex in enumerate(examples) if i not in held_set]
        model = train_model([*training, *extra_training])
        held_examples = [examples[i] for i in held]
        fold_counts = {label: [0, 0, 0] for label in LABELS}
        for example, doc in zip(
            held_examples, _docs([ex.text for ex in held_examples]), strict=True
        ):
            cats, windows = model.highest_in_windows(doc, WINDOW_TOKENS)
            result.out_of_fold[example.id] = cats
            result.windows[example.id] = windows
            predicted = {label for label, p in cats.items() if p >= THRESHOLD}
            if example.negative and predicted:
                result.negatives_with_topic += 1
            for label in LABELS:
                gold, guess = label in example.topics, label in predicted
                cell = 0 if gold and guess else 1 if guess else 2 if gold else None
                if cell is not None:
                    fold_counts[label][cell] += 1
                    result.counts[label][cell] += 1
        result.fold_macro_f1.append(
            statistics.fmean(_prf(*fold_counts[label])[2] for label in LABELS)
        )
    result.seconds = time.perf_counter() - started
    return result


def format_crossval(result: CrossValidation, description: str) -> str:
    """A plain-text report: pooled per-topic P/R/F1, macro-F1 with its spread over the folds,
    and the hard negatives given a topic."""
    spread = statistics.pstdev(result.fold_macro_f1) if len(result.fold_macro_f1) > 1 else 0.0
    lines = [
        description,
        f"{result.examples} examples ({result.negatives} hard negatives), "
        f"{len(result.fold_macro_f1)} folds, threshold {THRESHOLD} on the highest probability "
        f"over windows of {WINDOW_TOKENS} tokens, "
        f"{result.seconds:.0f} s",
        f"macro-F1 {result.macro_f1():.3f} (per fold: "
        + ", ".join(f"{f1:.3f}" for f1 in result.fold_macro_f1)
        + f"; sd {spread:.3f})",
        f"hard negatives given a topic: {result.negatives_with_topic} of {result.negatives}",
        f"{'topic':<20} {'P':>6} {'R':>6} {'F1':>6} {'TP':>4} {'FP':>4} {'FN':>4}",
    ]
    for label in LABELS:
        precision, recall, f1 = result.scores(label)
        tp, fp, fn = result.counts[label]
        lines.append(
            f"{label:<20} {precision:6.3f} {recall:6.3f} {f1:6.3f} {tp:4d} {fp:4d} {fn:4d}"
        )
    return "\n".join(lines) + "\n"
