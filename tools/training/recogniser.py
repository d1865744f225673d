"""Fine-tuning of the model's entity recogniser on the labelled real-news corpus.

The corpus lists each excerpt's people, organisations and places as names, not as spans: each
name is taught where it is written in the excerpt (whole words, as labelled). What the labels
do not speak for is kept from the stock recogniser, so that it learns the news's names without
forgetting the rest:

- its dates, amounts, nationalities, events and other kinds are taught as it predicted them;
- a person, organisation or place it found that the labels do not name is left unannotated
  (neither taught as an entity nor as none): labellers list the names an analyst wants, and
  teaching the rest as "no entity" cost recall on the held-out batches
  (benchmarks/results/recogniser-*.txt);
- a labelled weapon is left unannotated: the entity rules tag weapons before the recogniser
  runs, and it respects what they tagged.

A labelled place is taught as the stock recogniser labelled that name (GPE, LOC or FAC), else
GPE for a country of the gazetteer or a name without a geographic word, LOC for one with a word
such as "Sea" or "Mountains", FAC for a base, port or airport.

Only the recogniser is trained (in en_core_web_sm it has its own token vectors, so the tagger
and parser are untouched); it is saved as a spaCy component folder that `enrich` loads into the
pipeline in place of the model's own.
"""

import json
import random
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.training import Example as TrainingExample
from thinc.api import fix_random_seed

from enrich import (
    RECOGNISER_META,
    CountryNames,
    EnrichSettings,
    Example,
    analysed_text,
    load_pipeline,
    parse_examples,
    snippet_article,
)
from tools.training.corpus import CorpusError

_MAX_TEXT_CHARS: int = EnrichSettings.model_fields["max_text_chars"].default
_DEFAULT_MODEL: str = EnrichSettings.model_fields["model"].default

EPOCHS = 8
BATCH_SIZE = 16
DROPOUT = 0.2
SEED = 12

_NAMED_KINDS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})
_PLACE_KINDS = frozenset({"GPE", "LOC", "FAC"})
_LOC_WORDS = re.compile(
    r"\b(?:Sea|Ocean|Gulf|Strait|Straits|Bay|River|Lake|Mountains?|Peninsula|Desert|Islands?|"
    r"Valley|Coast|Channel|Basin|Plateau|Highlands|Region|Corridor|Pacific|Atlantic)\b"
)
_FAC_WORDS = re.compile(
    r"\b(?:Base|Airbase|Air Station|Airport|Airfield|Port|Harbou?r|Naval Station|Camp|Fort|"
    r"Barracks|Range|Shipyard|Dockyard|Bridge|Cosmodrome)\b"
)


@dataclass(frozen=True)
class TrainingReport:
    """What one training run saw and did."""

    examples: int
    taught_names: int
    names_not_found: int
    unannotated: int
    seconds: float
    losses: tuple[float, ...]

    def format(self) -> str:
        losses = ", ".join(f"{loss:,.0f}" for loss in self.losses)
        return (
            f"{self.examples:,} excerpts, {self.taught_names:,} labelled names taught "
            f"({self.names_not_found:,} not on token boundaries, skipped), "
            f"{self.unannotated:,} spans left unannotated; "
            f"{len(self.losses)} epochs in {self.seconds:,.0f} s, losses {losses}\n"
        )


def read_examples(paths: Iterable[Path]) -> list[Example]:
    """The labelled examples of the files that list entities."""
    lines: list[str] = []
    for path in paths:
        lines.extend(path.read_text(encoding="utf-8").splitlines())
    return [example for example in parse_examples(lines) if example.persons is not None]


def _occurrences(text: str, name: str) -> Iterable[tuple[int, int]]:
    for match in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text):
        yield match.start(), match.end()


def _place_label(name: str, predicted: str | None, countries: CountryNames) -> str:
    if predicted is not None:
        return predicted
    if countries.code(name) is not None:
        return "GPE"
    if _FAC_WORDS.search(name):
        return "FAC"
    if _LOC_WORDS.search(name):
        return "LOC"
    return "GPE"


@dataclass
class _Counts:
    taught: int = 0
    not_found: int = 0
    unannotated: int = 0


def reference_doc(
    doc: Doc, example: Example, countries: CountryNames, counts: _Counts | None = None
) -> Doc:
    """The doc as it should be recognised: the labelled names, the stock recogniser's other
    kinds, the rest unannotated where the labels do not speak."""
    counts = counts if counts is not None else _Counts()
    text = doc.text
    predicted = {(span.start, span.end): span.label_ for span in doc.ents}
    wanted: list[tuple[int, int, str]] = []
    kinds = (("PERSON", example.persons), ("ORG", example.organisations), ("PLACE", example.places))
    for kind, names in kinds:
        for name in names or ():
            for start, end in _occurrences(text, name):
                span = doc.char_span(start, end, alignment_mode="strict")
                if span is None:
                    counts.not_found += 1
                    continue
                label = kind
                if kind == "PLACE":
                    stock = predicted.get((span.start, span.end))
                    label = _place_label(name, stock if stock in _PLACE_KINDS else None, countries)
                wanted.append((span.start, span.end, label))
    taken: set[int] = set()
    chosen: list[tuple[int, int, str]] = []
    # Longest first: "Department of Defense" over a "Defense" labelled on its own.
    for start, end, label in sorted(wanted, key=lambda item: (item[0] - item[1], item[0])):
        if taken.isdisjoint(range(start, end)):
            chosen.append((start, end, label))
            taken.update(range(start, end))
    counts.taught += len(chosen)
    missing: list[tuple[int, int]] = []
    for name in example.weapons or ():
        for start, end in _occurrences(text, name):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and taken.isdisjoint(range(span.start, span.end)):
                missing.append((span.start, span.end))
                taken.update(range(span.start, span.end))
    for span in doc.ents:
        if not taken.isdisjoint(range(span.start, span.end)):
            continue
        taken.update(range(span.start, span.end))
        if span.label_ in _NAMED_KINDS:
            missing.append((span.start, span.end))
        else:
            chosen.append((span.start, span.end, span.label_))
    counts.unannotated += len(missing)
    words, spaces = [t.text for t in doc], [bool(t.whitespace_) for t in doc]
    reference = Doc(doc.vocab, words=words, spaces=spaces)
    reference.set_ents(
        [Span(reference, start, end, label=label) for start, end, label in chosen],
        missing=[reference[start:end] for start, end in missing],
        default="outside",
    )
    return reference


def train_recogniser(
    examples: Sequence[Example],
    output: Path,
    countries: CountryNames,
    *,
    model: str = _DEFAULT_MODEL,
    epochs: int = EPOCHS,
    seed: int = SEED,
) -> TrainingReport:
    """Fine-tunes `model`'s recogniser on the examples and saves it to `output` (a spaCy
    component folder and the meta that names the model it belongs to)."""
    if not examples:
        raise CorpusError("no labelled excerpts with entity lists to fine-tune the recogniser on")
    started = time.perf_counter()
    fix_random_seed(seed)
    nlp = load_pipeline(model)
    texts = [analysed_text(snippet_article(example), _MAX_TEXT_CHARS) for example in examples]
    counts = _Counts()
    training = [
        TrainingExample(nlp.make_doc(doc.text), reference_doc(doc, example, countries, counts))
        for doc, example in zip(nlp.pipe(texts, batch_size=32), examples, strict=True)
    ]
    losses = _fit(nlp, training, epochs, random.Random(seed))  # noqa: S311 - a reproducible shuffle
    _save(nlp, output, len(training), epochs)
    return TrainingReport(
        examples=len(training),
        taught_names=counts.taught,
        names_not_found=counts.not_found,
        unannotated=counts.unannotated,
        seconds=time.perf_counter() - started,
        losses=tuple(losses),
    )


def _fit(
    nlp: Language, training: list[TrainingExample], epochs: int, shuffler: random.Random
) -> list[float]:
    optimizer = nlp.resume_training()
    losses_per_epoch = []
    with nlp.select_pipes(enable=["ner"]):
        for _ in range(epochs):
            shuffler.shuffle(training)
            losses: dict[str, float] = {}
            for first in range(0, len(training), BATCH_SIZE):
                batch = training[first : first + BATCH_SIZE]
                nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
            losses_per_epoch.append(float(losses["ner"]))
    return losses_per_epoch


def _save(nlp: Language, output: Path, examples: int, epochs: int) -> None:
    output.mkdir(parents=True, exist_ok=True)
    recogniser = nlp.get_pipe("ner")
    if not isinstance(recogniser, EntityRecognizer):
        raise TypeError(f"the model's 'ner' is a {type(recogniser).__name__}, not a recogniser")
    recogniser.to_disk(output, exclude=["vocab"])
    meta = {
        "model": {key: nlp.meta[key] for key in ("lang", "name", "version")},
        "trained_on": f"{examples} excerpts of enrich/corpus/",
        "epochs": epochs,
        "spacy_version": spacy.about.__version__,
    }
    (output / RECOGNISER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
