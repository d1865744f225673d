"""The learned topic classifier's time per article against en_core_web_sm's (a benchmark, not
a test).

Runs `nlp.pipe` of the shipped classifier (enrich/data/topic_classifier/, tokenizer and
textcat_multilabel) and of the pipeline's spaCy model over the same texts: the labelled
corpus's analysed texts (title, blank line, body). The two run in turn, `--repeats` times after
a warm-up; the best run of each counts, as a shared machine's noise only slows a run down.
Target: the classifier under 10% of the spaCy model's time.

    python -m benchmarks.topic_classifier_cost --repeats 3
"""

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import spacy
from spacy.language import Language

from enrich import EnrichSettings, analysed_text, parse_examples, snippet_article

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "enrich" / "data" / "topic_classifier"


def corpus_texts() -> list[str]:
    """The analysed texts of the labelled corpus."""
    lines = [
        line
        for path in sorted((ROOT / "enrich" / "corpus").glob("labelled-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    max_chars = EnrichSettings().max_text_chars
    return [analysed_text(snippet_article(ex), max_chars) for ex in parse_examples(lines)]


def best_seconds(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Seconds of the fastest of `repeats` alternating runs of each, after a warm-up each."""
    best = dict.fromkeys(runs, float("inf"))
    for run in runs.values():
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _piping(nlp: Language, texts: list[str], batch_size: int) -> Callable[[], None]:
    def run() -> None:
        with nlp.memory_zone():
            for _ in nlp.pipe(texts, batch_size=batch_size):
                pass

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="Timed runs per side.")
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help="Classifier folder.")
    options = parser.parse_args()

    settings = EnrichSettings()
    texts = corpus_texts()
    runs = {
        "classifier": _piping(spacy.load(options.model), texts, settings.pipe_batch_size),
        "spacy": _piping(spacy.load(settings.model), texts, settings.pipe_batch_size),
    }
    seconds = best_seconds(runs, options.repeats)
    per_article = {name: 1000 * s / len(texts) for name, s in seconds.items()}
    print(f"{len(texts)} articles, best of {options.repeats} runs")
    print(f"classifier ({options.model.name}): {per_article['classifier']:7.3f} ms/article")
    print(f"{settings.model} nlp.pipe:   {per_article['spacy']:7.3f} ms/article")
    print(f"ratio: {seconds['classifier'] / seconds['spacy']:.3f} (target < 0.10)")


if __name__ == "__main__":
    main()
