"""Training with spaCy's own loop and config, and k-fold cross-validation of the result."""

import io
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.cli.train import train as spacy_train
from spacy.language import Language
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as train_loop
from thinc.api import Config

from tools.training.corpus import LabelledText, folds, write_docbin

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("topics.cfg")
# Package data of enrich: the wheel ships it (pyproject.toml's package-data).
MODEL_DIR = ROOT / "enrich" / "data" / "topic_classifier"
COMPONENT = "textcat_multilabel"
THRESHOLD = 0.5
# spaCy's loop needs a dev corpus; its scores are only logged (a fixed number of epochs, the
# last model kept), so a few training documents do.
_DEV_LIMIT = 50


def load_config(path: Path, overrides: Mapping[str, Any]) -> Config:
    """The training config at `path` with dotted-key `overrides`, not yet interpolated."""
    return spacy.util.load_config(path, overrides=dict(overrides), interpolate=False)


def labels_of(config: Config) -> list[str]:
    """The classifier's labels, as the config lists them for initialisation."""
    labels: list[str] = config["initialize"]["components"][COMPONENT]["labels"]
    return list(labels)


def train_model(
    config_path: Path, train_path: Path, output: Path, overrides: Mapping[str, Any]
) -> Path:
    """Train on the DocBin at `train_path` with `spacy train`'s own function and replace
    `output` with the last model: a pipeline directory holding the tokenizer and the
    classifier only. Returns `output`."""
    with tempfile.TemporaryDirectory(prefix="topic-classifier-") as scratch:
        settings = {
            "paths.train": str(train_path),
            "paths.dev": str(train_path),
            "corpora.dev.limit": _DEV_LIMIT,
            **overrides,
        }
        spacy_train(config_path, Path(scratch), overrides=settings)
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(Path(scratch) / "model-last", output)
    _describe(output / "meta.json")
    return output


def _describe(meta_path: Path) -> None:
    """Name the model in its meta.json and drop the scores spaCy's loop recorded there: they
    are on training documents, so they say nothing of the model (cross-validation does)."""
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.pop("performance", None)
    meta["name"] = "wirewatch_topic_classifier"
    meta["description"] = (
        "wirewatch's learned news-topic classifier: spaCy textcat_multilabel over title, blank "
        "line and body, trained by `make train` (tools/training/topics.cfg) on enrich/corpus/. "
        "Cross-validated figures: benchmarks/results/topic-classifier-crossval-*.txt."
    )
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


@dataclass
class CrossValidation:
    """Out-of-fold results of k-fold cross-validation at THRESHOLD."""

    labels: list[str]
    examples: int
    negatives: int
    # Per label: true positives, false positives, false negatives, pooled over the folds.
    counts: dict[str, list[int]] = field(default_factory=dict)
    fold_macro_f1: list[float] = field(default_factory=list)
    negatives_with_topic: int = 0
    # Example id -> each label's probability, from the model that did not see the example.
    out_of_fold: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    def scores(self, label: str) -> tuple[float, float, float]:
        """Precision, recall and F1 of one label, pooled over the folds."""
        return _prf(*self.counts[label])

    def macro_f1(self) -> float:
        """The mean of the labels' pooled F1."""
        return statistics.fmean(self.scores(label)[2] for label in self.labels)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _fit(config_path: Path, train_path: Path, overrides: Mapping[str, Any]) -> Language:
    """A model trained in memory by spaCy's training loop, its console output discarded."""
    settings = {
        "paths.train": str(train_path),
        "paths.dev": str(train_path),
        "corpora.dev.limit": _DEV_LIMIT,
        **overrides,
    }
    nlp = init_nlp(load_config(config_path, settings))
    trained, _ = train_loop(nlp, None, stdout=io.StringIO(), stderr=io.StringIO())
    return trained


def cross_validate(
    config_path: Path,
    examples: Sequence[LabelledText],
    k: int,
    seed: int,
    overrides: Mapping[str, Any],
    extra_training: Sequence[LabelledText] = (),
) -> CrossValidation:
    """Train k models, each on all folds but one (plus `extra_training`, never scored), and
    score each on its held-out fold at THRESHOLD."""
    labels = labels_of(load_config(config_path, overrides))
    result = CrossValidation(
        labels=labels,
        examples=len(examples),
        negatives=sum(example.negative for example in examples),
        counts={label: [0, 0, 0] for label in labels},
    )
    tokenizer = spacy.blank("en")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="topic-crossval-") as scratch:
        for number, held in enumerate(folds(examples, k, seed)):
            held_set = set(held)
            training = [ex for i, ex in enumerate(examples) if i not in held_set]
            train_path = Path(scratch) / f"train-{number}.spacy"
            write_docbin([*training, *extra_training], labels, tokenizer, train_path)
            nlp = _fit(config_path, train_path, overrides)
            fold_counts = {label: [0, 0, 0] for label in labels}
            held_examples = [examples[i] for i in held]
            docs = nlp.pipe(example.text for example in held_examples)
            for example, doc in zip(held_examples, docs, strict=True):
                cats = {label: float(doc.cats[label]) for label in labels}
                result.out_of_fold[example.id] = cats
                predicted = {label for label, p in cats.items() if p >= THRESHOLD}
                if example.negative and predicted:
                    result.negatives_with_topic += 1
                for label in labels:
                    gold, guess = label in example.topics, label in predicted
                    cell = 0 if gold and guess else 1 if guess else 2 if gold else None
                    if cell is not None:
                        fold_counts[label][cell] += 1
                        result.counts[label][cell] += 1
            result.fold_macro_f1.append(
                statistics.fmean(_prf(*fold_counts[label])[2] for label in labels)
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
        f"{len(result.fold_macro_f1)} folds, threshold {THRESHOLD}, "
        f"{result.seconds:.0f} s",
        f"macro-F1 {result.macro_f1():.3f} (per fold: "
        + ", ".join(f"{f1:.3f}" for f1 in result.fold_macro_f1)
        + f"; sd {spread:.3f})",
        f"hard negatives given a topic: {result.negatives_with_topic} of {result.negatives}",
        f"{'topic':<20} {'P':>6} {'R':>6} {'F1':>6} {'TP':>4} {'FP':>4} {'FN':>4}",
    ]
    for label in result.labels:
        precision, recall, f1 = result.scores(label)
        tp, fp, fn = result.counts[label]
        lines.append(
            f"{label:<20} {precision:6.3f} {recall:6.3f} {f1:6.3f} {tp:4d} {fp:4d} {fn:4d}"
        )
    return "\n".join(lines) + "\n"
