"""What a rule query may cost, checked before it is compiled (pure).

A rule is matched against every new article for as long as it is saved, so what cannot be
bounded is refused when the rule is added (and again when a service loads it, so that a rule
written straight into the rules index is skipped, not run): the query's length, how deep it
nests, how many terms it has, and how many and how long its wildcard patterns are. The length
is checked on the text, before the parser sees it; the rest on the parse tree, walked without
recursion, before the compiler (which recurses) or an error message (which prints the tree)
does. Each refusal names the limit and the setting that raises it.
"""

from dataclasses import dataclass

from luqum import tree

from matcher.errors import QueryLimitError

_WILDCARDS = frozenset("*?")


@dataclass(frozen=True)
class QueryLimits:
    """The bounds a rule query must keep (the fields are named as AlertSettings' are)."""

    max_query_chars: int = 10_000
    max_query_depth: int = 32
    max_query_clauses: int = 1024
    max_query_wildcards: int = 32
    max_wildcard_chars: int = 1000
    settings_prefix: str = ""
    """How the settings are spelt in the environment (`WIREWATCH_ALERTS__`), for messages;
    empty: the messages name the fields."""

    def setting(self, name: str) -> str:
        """How a person sets the limit `name`."""
        return f"{self.settings_prefix}{name.upper()}" if self.settings_prefix else name

    def refuse(self, what: str, name: str) -> QueryLimitError:
        """The error for a query beyond the limit `name`."""
        limit = getattr(self, name)
        return QueryLimitError(
            f"the query is too complex to match against every article: {what} (the limit is "
            f"{limit:,}, setting {self.setting(name)}). Simplify it or split it into several "
            "rules."
        )


DEFAULT_LIMITS = QueryLimits()


def check_text(query: str, limits: QueryLimits) -> None:
    """Refuses a query longer than the limit, before anything else reads it."""
    if len(query) > limits.max_query_chars:
        raise limits.refuse(f"it is {len(query):,} characters long", "max_query_chars")


def check_tree(root: tree.Item, limits: QueryLimits) -> None:
    """Refuses a parsed query that nests too deep or has too many terms or wildcards.

    Walks the tree with a stack of its own: the deepest trees are the ones to refuse."""
    clauses = wildcards = 0
    stack: list[tuple[tree.Item, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_query_depth:
            raise limits.refuse(
                f"it nests more than {limits.max_query_depth:,} levels deep, counting each "
                "group in parentheses, operator, NOT/+/-, boost and field name",
                "max_query_depth",
            )
        if isinstance(node, tree.Word | tree.Phrase | tree.Regex):
            clauses += 1
            if clauses > limits.max_query_clauses:
                raise limits.refuse(
                    f"it has more than {limits.max_query_clauses:,} terms, phrases and range "
                    "bounds",
                    "max_query_clauses",
                )
        if isinstance(node, tree.Word) and _is_wildcard(node.value):
            wildcards += 1
            if wildcards > limits.max_query_wildcards:
                raise limits.refuse(
                    f"it has more than {limits.max_query_wildcards:,} wildcard or prefix terms",
                    "max_query_wildcards",
                )
            if len(node.value) > limits.max_wildcard_chars:
                raise limits.refuse(
                    f"the wildcard term at position {node.pos} is {len(node.value):,} "
                    "characters long",
                    "max_wildcard_chars",
                )
        stack.extend((child, depth + 1) for child in node.children)


def _is_wildcard(raw: str) -> bool:
    """Whether a term's raw text has an unescaped `*` or `?` (a lone `*` matches all, cheaply)."""
    if raw == "*":
        return False
    escaped = False
    for char in raw:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _WILDCARDS:
            return True
    return False
