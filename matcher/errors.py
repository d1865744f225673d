"""The matcher's errors: one root, apart from any I/O error (pure)."""


class MatcherError(Exception):
    """Base of the rule matcher's errors: a query or a mapping it cannot match exactly."""


class UnsupportedQueryError(MatcherError):
    """A rule query the in-process matcher cannot evaluate exactly as Elasticsearch would.

    The message names the construct and its position in the query; the rule is refused."""


class QueryLimitError(UnsupportedQueryError):
    """A rule query beyond a bound on its cost (length, depth, terms, wildcards).

    The message names the limit and the setting that raises it; the rule is refused."""


class UnsupportedMappingError(MatcherError):
    """A mapping with a field type or analyzer that the matcher does not emulate."""


class OverBudgetError(MatcherError):
    """A query's evaluation ran past its document's deadline (`FieldValues.deadline`)."""
