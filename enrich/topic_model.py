"""The learned topic classifier's model: one logistic regression per topic over the TF-IDF of a
text's words (pure; numpy only at run time).

It is trained by scikit-learn (`make train`, tools/training/) and saved as plain data, the words,
their IDF weights and the coefficients, so that loading it runs no pickled code and needs no
scikit-learn. The TF-IDF vector is L2-normalised: a long article and a short one with the same
words in the same proportions get the same probabilities, where a sum of word weights (spaCy's
bag-of-words text classifier) pushes every probability of a long text to 0 or 1.
"""

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from spacy.tokens import Doc, Span, Token

from enrich.errors import EnrichmentError

MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"

FloatArray = npt.NDArray[np.float64]


def is_term(token: Token) -> bool:
    """Whether a token counts as a word for the classifier: not punctuation, space or a lone
    character."""
    return not (token.is_punct or token.is_space) and len(token.text) > 1


def terms_of(tokens: Doc | Span | Iterable[Token]) -> list[str]:
    """The words the classifier reads from tokens, lower-cased, in order."""
    return [token.lower_ for token in tokens if is_term(token)]


@dataclass(frozen=True)
class LinearTopicModel:
    """Per-topic logistic regressions over the L2-normalised, sublinear TF-IDF of words."""

    labels: tuple[str, ...]
    vocabulary: Mapping[str, int]
    idf: FloatArray  # one per word of the vocabulary
    weights: FloatArray  # labels x words
    bias: FloatArray  # one per label
    description: str = ""

    def probabilities(self, terms: Sequence[str]) -> dict[str, float]:
        """Each topic's probability for a text of these words."""
        counts = Counter(self.vocabulary[term] for term in terms if term in self.vocabulary)
        scores = self.bias.copy()
        if counts:
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * self.idf[columns]
            values /= math.sqrt(float(values @ values))
            scores = scores + self.weights[:, columns] @ values
        probabilities = 1.0 / (1.0 + np.exp(-scores))
        return {label: float(p) for label, p in zip(self.labels, probabilities, strict=True)}

    def highest_in_windows(self, doc: Doc, window_tokens: int) -> tuple[dict[str, float], int]:
        """Each topic's highest probability over the consecutive windows of `window_tokens`
        tokens of `doc`, and how many windows were read (one for an empty doc)."""
        windows = range(0, max(len(doc), 1), window_tokens)
        highest: dict[str, float] = {}
        for start in windows:
            found = self.probabilities(terms_of(doc[start : start + window_tokens]))
            for topic, probability in found.items():
                highest[topic] = max(probability, highest.get(topic, 0.0))
        return highest, len(windows)

    def save(self, folder: Path) -> None:
        """Writes the model as plain data into `folder` (created if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        document = {
            "description": self.description,
            "labels": list(self.labels),
            "words": words,
        }
        (folder / MODEL_FILE).write_text(
            json.dumps(document, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
        np.savez_compressed(
            folder / WEIGHTS_FILE,
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float32),
            bias=self.bias,
        )

    @classmethod
    def load(cls, folder: Path) -> "LinearTopicModel":
        """The model saved in `folder`; EnrichmentError saying what to do if it cannot be read."""
        try:
            document = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            with np.load(folder / WEIGHTS_FILE) as arrays:
                idf = arrays["idf"].astype(np.float64)
                weights = arrays["weights"].astype(np.float64)
                bias = arrays["bias"].astype(np.float64)
            labels = tuple(str(label) for label in document["labels"])
            words = [str(word) for word in document["words"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise EnrichmentError(
                f"cannot load the topic classifier from {folder}: {error}. Point "
                "WIREWATCH_ENRICH__TOPIC_CLASSIFIER_DIR at a folder written by `make train`, or "
                "unset it for the one shipped with wirewatch."
            ) from error
        if weights.shape != (len(labels), len(words)) or idf.shape != (len(words),):
            raise EnrichmentError(
                f"the topic classifier in {folder} is inconsistent ({len(labels)} labels, "
                f"{len(words)} words, weights {weights.shape}): train it again with `make train`"
            )
        return cls(
            labels=labels,
            vocabulary={word: column for column, word in enumerate(words)},
            idf=idf,
            weights=weights,
            bias=bias,
            description=str(document.get("description", "")),
        )
