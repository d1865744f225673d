"""Training of the learned topic classifier (issue 12): spaCy's `textcat_multilabel` over the
text the enrichment pipeline analyses, trained with spaCy's own training loop on the labelled
real-news corpus (enrich/corpus/), scored by k-fold cross-validation.

    python -m tools.training data       # the corpus as spaCy DocBin files
    python -m tools.training train      # the model, into enrich/data/topic_classifier/
    python -m tools.training crossval   # k-fold figures and out-of-fold probabilities

Development only: the wheel ships the trained model (package data of enrich), not this.
"""

from tools.training.corpus import CorpusError, LabelledText, folds, read_labelled, write_docbin
from tools.training.model import (
    CONFIG,
    MODEL_DIR,
    CrossValidation,
    cross_validate,
    format_crossval,
    labels_of,
    train_model,
)

__all__ = [
    "CONFIG",
    "MODEL_DIR",
    "CorpusError",
    "CrossValidation",
    "LabelledText",
    "cross_validate",
    "folds",
    "format_crossval",
    "labels_of",
    "read_labelled",
    "train_model",
    "write_docbin",
]
