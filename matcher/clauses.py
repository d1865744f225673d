"""A boolean expression read as Lucene's classic query parser reads it: a list of clauses (pure).

Lucene's Query production is not a precedence grammar: it reads clauses in order, each with
the conjunction before it (AND, OR or none) and its modifier (+, - or NOT). luqum's tree is
flattened back into that list here, and runs of bare terms joined, before the compiler reads it.
"""

from luqum import tree

from matcher.syntax import SYMBOLS, Conj, Mod, refuse, unescaped

# A clause: the conjunction before it, its modifier, and its operand.
Clause = tuple[Conj, Mod, tree.Item]

OPERATIONS: dict[type[tree.Item], Conj] = {
    tree.AndOperation: Conj.AND,
    tree.OrOperation: Conj.OR,
    tree.UnknownOperation: Conj.NONE,
}


class MultiTerm(tree.Item):  # type: ignore[misc]
    """Consecutive bare terms that Lucene's parser hands to analysis as one text."""

    def __init__(self, words: list[tree.Word]) -> None:
        super().__init__(pos=words[0].pos, size=None)
        self.words = words


def flatten(node: tree.Item) -> list[Clause]:
    """The clauses of a boolean expression in order, each with its conjunction and modifier.

    luqum reads `&&` and `||` as words; Lucene as AND and OR."""
    items: list[Clause] = []
    pending: tuple[Conj, tree.Item] | None = None
    for conj, mod, operand in clauses(node):
        symbol = SYMBOLS.get(operand.value) if isinstance(operand, tree.Word) else None
        if symbol is not None:
            if pending is not None or not items or conj is not Conj.NONE or mod is not Mod.NONE:
                raise refuse(operand, f"{operand.value} must stand between two clauses")
            pending = (symbol, operand)
            continue
        if pending is not None:
            if conj is not Conj.NONE:
                raise refuse(pending[1], f"{pending[1]} must stand between two clauses")
            conj, pending = pending[0], None
        items.append((conj, mod, operand))
    if pending is not None:
        raise refuse(pending[1], f"{pending[1]} must stand between two clauses")
    return items


def clauses(node: tree.Item) -> list[Clause]:
    """The operands of nested AND/OR/juxtaposed operations, each with its modifier."""
    conj = OPERATIONS.get(type(node))
    if conj is not None:
        items: list[Clause] = []
        for index, child in enumerate(node.children):
            sub = clauses(child)
            if index > 0:
                sub[0] = (conj, sub[0][1], sub[0][2])
            items.extend(sub)
        return items
    if isinstance(node, tree.Plus | tree.Prohibit | tree.Not):
        inner = node.a
        if isinstance(inner, tree.Plus | tree.Prohibit | tree.Not):
            raise refuse(node, "Lucene allows one +, - or NOT before a clause, not two")
        mod = Mod.REQUIRED if isinstance(node, tree.Plus) else Mod.PROHIBITED
        return [(Conj.NONE, mod, inner)]
    return [(Conj.NONE, Mod.NONE, node)]


def multi_terms(items: list[Clause]) -> list[Clause]:
    """Runs of bare terms joined into one clause, as Lucene's parser does when it does not
    split on whitespace (Elasticsearch's query_string): `Vladimir Putin` is analyzed as one
    text, so it is also one keyword value. A run starts after no conjunction and no
    modifier; a term followed by AND or OR stays apart."""
    joined: list[Clause] = []
    index = 0
    while index < len(items):
        conj, mod, operand = items[index]
        end = index + 1
        if conj is Conj.NONE and mod is Mod.NONE and bare_term(operand):
            while (
                end < len(items)
                and items[end][0] is Conj.NONE
                and items[end][1] is Mod.NONE
                and bare_term(items[end][2])
                and (end + 1 >= len(items) or items[end + 1][0] is Conj.NONE)
            ):
                end += 1
        if end - index > 1:
            words = [item[2] for item in items[index:end]]
            joined.append((conj, mod, MultiTerm(words)))
        else:
            joined.append(items[index])
        index = end
    return joined


def bare_term(node: tree.Item) -> bool:
    """Whether the node is a term that may join a run of terms (no wildcard, no && or ||)."""
    if not isinstance(node, tree.Word) or node.value in SYMBOLS:
        return False
    chars = unescaped(node.value)
    return not any(char in "*?" and not escaped for char, escaped in chars)
