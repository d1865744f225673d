"""The terms a document must have to match a compiled query: what presearch indexes it by (pure).

As Lucene Monitor's QueryAnalyzer does, a visitor walks the compiled query once, bottom up, and
each node type says what any document it matches must have (`Keys`); a boolean node combines
what its clauses need. Presearch (`matcher.presearch`) indexes each rule under those keys.
"""

from dataclasses import dataclass

from matcher.nodes import Bool, Key, MatchNone, Pattern, Phrase, Query, Terms


@dataclass(frozen=True)
class Keys:
    """What any document matching one query has."""

    any_of: frozenset[Key] | None = None
    """Keys of which it has at least one; None when there is no such set."""
    all_of: frozenset[Key] = frozenset()
    """Keys it has all of (possibly none)."""
    prefixes: frozenset[Key] | None = None
    """(field, prefix) pairs of which it has a term in that field starting with that prefix;
    None when there is no such set."""
    required_options: tuple[frozenset[Key], ...] | None = None
    """Set by a conjunction: the options of its required clauses (else derived, `options`)."""

    def options(self) -> list[frozenset[Key]]:
        """Key sets of which it has a key of each: presearch may index the query under any one
        of them (none: it must be checked for every document)."""
        if self.required_options is not None:
            return list(self.required_options)
        options = [frozenset({key}) for key in self.all_of]
        if self.any_of is not None:
            options.append(self.any_of)
        return options


_NOTHING = Keys()


# Each node type's method name, spelt once: a rule set of thousands is read node by node.
_METHOD_NAMES: dict[type[Query], str] = {}


def _method_name(kind: type[Query]) -> str:
    name = _METHOD_NAMES.get(kind)
    if name is None:
        name = _METHOD_NAMES[kind] = f"visit_{kind.__name__.lower()}"
    return name


class KeyVisitor:
    """Computes a compiled query's `Keys`, dispatching on the node's type (`visit_<type>`)."""

    def visit(self, query: Query) -> Keys:
        """The keys of `query` (nothing for a node type with no method: it is checked always)."""
        method = getattr(self, _method_name(type(query)), None)
        return method(query) if method is not None else _NOTHING

    def visit_matchnone(self, query: MatchNone) -> Keys:
        # Matches nothing: the empty set of which a match has one.
        return Keys(any_of=frozenset())

    def visit_terms(self, query: Terms) -> Keys:
        return Keys(any_of=query.keys, all_of=query.keys if len(query.keys) == 1 else frozenset())

    def visit_phrase(self, query: Phrase) -> Keys:
        name = query.field.name
        return Keys(
            any_of=frozenset({(name, max(query.tokens, key=len))}),
            all_of=frozenset((name, token) for token in query.tokens),
        )

    def visit_pattern(self, query: Pattern) -> Keys:
        prefixes = frozenset({(query.field.name, query.prefix)}) if query.prefix else None
        return Keys(prefixes=prefixes)

    def visit_bool(self, query: Bool) -> Keys:
        must = [self.visit(clause) for clause in query.must]
        if must:
            sets = [keys.any_of for keys in must if keys.any_of is not None]
            prefixes = [keys.prefixes for keys in must if keys.prefixes is not None]
            return Keys(
                any_of=min(sets, key=len) if sets else None,
                all_of=frozenset().union(*(keys.all_of for keys in must)),
                prefixes=min(prefixes, key=len, default=None),
                # What any required clause needs, the whole query needs.
                required_options=tuple(option for keys in must for option in keys.options()),
            )
        if not query.should:
            return _NOTHING
        should = [self.visit(clause) for clause in query.should]
        union: set[Key] | None = set()
        for keys in should:
            if keys.any_of is None or union is None:
                union = None
            else:
                union |= keys.any_of
        return Keys(
            any_of=frozenset(union) if union is not None else None,
            all_of=frozenset.intersection(*(keys.all_of for keys in should)),
        )
