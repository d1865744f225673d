"""The refusal breaker (pure): a batch refused mostly for one reason stops the service.

One article Elasticsearch refuses is that article's problem: it is dead-lettered. Most of a
batch refused for the same reason (a mapping changed under the alias, an ingest pipeline
that fails every document) is the index's problem: dead-lettering would empty the articles
topic into the dead-letter topic, so the service stops instead and commits nothing, and the
batch is redelivered once the index is fixed.
"""

import re
from collections.abc import Sequence

from index.bulk import Rejection
from index.errors import IndexingError

# Where Elasticsearch names the field in its refusals: "failed to parse field [published_at]",
# "object mapping for [kafka] tried to parse", "dynamic introduction of [foo] within [_doc]",
# "immense term in field=\"body\"".
_FIELD_PATTERNS = (
    re.compile(r"field \[([^\]\s]{1,256})\]"),
    re.compile(r"mapping for \[([^\]\s]{1,256})\]"),
    re.compile(r"introduction of \[([^\]\s]{1,256})\]"),
    re.compile(r"field=\"([^\"\s]{1,256})\""),
)
_TYPE = re.compile(r"^([A-Za-z_][\w.]{0,127}): ")
_CAUSE = re.compile(r"\(caused by ([A-Za-z_][\w.]{0,127}): ")
# Document-specific parts of a reason without a type: quoted values and numbers.
_SPECIFIC = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")
_MAX_FALLBACK_CHARS = 200


class RefusalBreakerError(IndexingError):
    """Most of a batch was refused for one reason: the service stops, committing nothing."""


def refusal_cause(reason: str) -> str:
    """What refusals of different documents for one problem share: the error type, the field
    and the type of the underlying cause, without the document's id or value.

    `reason` is a Rejection's reason ('type: text (caused by type: text)'). A reason that names
    no error type is kept without its quoted values and numbers.
    """
    kind = _TYPE.match(reason)
    if kind is None:
        return _SPECIFIC.sub("_", reason)[:_MAX_FALLBACK_CHARS]
    cause = kind.group(1)
    for pattern in _FIELD_PATTERNS:
        field = pattern.search(reason)
        if field is not None:
            cause += f" on field [{field.group(1)}]"
            break
    underlying = _CAUSE.search(reason)
    if underlying is not None:
        cause += f" (caused by {underlying.group(1)})"
    return cause


def dominant_refusal(
    rejections: Sequence[Rejection], documents: int, *, min_refused: int, refused_fraction: float
) -> tuple[str, list[Rejection]] | None:
    """The cause shared by most of a batch's documents, with its refusals, if the breaker trips.

    It trips when one cause accounts for at least `min_refused` refusals and for more than
    `refused_fraction` of the `documents` written.
    """
    by_cause: dict[str, list[Rejection]] = {}
    for rejection in rejections:
        by_cause.setdefault(refusal_cause(rejection.reason), []).append(rejection)
    if not by_cause:
        return None
    cause, refused = max(by_cause.items(), key=lambda item: len(item[1]))
    if len(refused) >= min_refused and len(refused) > refused_fraction * documents:
        return cause, refused
    return None


def check_refusals(
    rejections: Sequence[Rejection],
    documents: int,
    *,
    min_refused: int,
    refused_fraction: float,
) -> None:
    """Raises RefusalBreakerError, naming the cause and one example, if the breaker trips."""
    tripped = dominant_refusal(
        rejections, documents, min_refused=min_refused, refused_fraction=refused_fraction
    )
    if tripped is None:
        return
    cause, refused = tripped
    example = refused[0]
    raise RefusalBreakerError(
        f"Elasticsearch refused {len(refused)} of the {documents} document(s) of a batch for "
        f"one reason: {cause} (e.g. document {example.document_id!r}, status {example.status}: "
        f"{example.reason}). That is a problem of the index (its mapping, template or ingest "
        "pipeline), not of the articles: the service stops rather than dead-letter them all. "
        "Nothing of the batch was dead-lettered or committed; fix the index and restart, and "
        "the batch is redelivered. The breaker trips at WIREWATCH_INDEX__BREAKER_MIN_REFUSED "
        "refusals and WIREWATCH_INDEX__BREAKER_REFUSED_FRACTION of a batch."
    )
