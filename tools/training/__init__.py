"""Training of the learned topic classifier (issue 12): TF-IDF and logistic regression
(scikit-learn) over the text the enrichment pipeline analyses, on the labelled real-news corpus
(enrich/corpus/), exported as plain data for `enrich.topic_model`; scored by k-fold
cross-validation; the rules-and-classifier thresholds chosen on its out-of-fold probabilities;
the agreement between labellers.

    python -m tools.training train       # the model, into enrich/data/topic_classifier/
    python -m tools.training crossval    # k-fold figures and out-of-fold probabilities
    python -m tools.training decision    # the thresholds of enrich.Decision
    python -m tools.training agreement   # Cohen's kappa against a second labeller's sample

Development only: the wheel ships the trained model (package data of enrich), not this.
"""

from tools.training.corpus import CorpusError, LabelledText, folds, read_labelled
from tools.training.model import (
    LABELS,
    MODEL_DIR,
    CrossValidation,
    cross_validate,
    format_crossval,
    train_model,
)

__all__ = [
    "LABELS",
    "MODEL_DIR",
    "CorpusError",
    "CrossValidation",
    "LabelledText",
    "cross_validate",
    "folds",
    "format_crossval",
    "read_labelled",
    "train_model",
]
