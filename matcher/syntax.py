"""How Lucene's query parser reads a query's text where luqum reads it otherwise (pure).

The query is parsed by luqum (`parse`); these helpers then read its terms as Lucene would:
escapes, the characters that end a term, numbers as Java reads them, and the whitespace that
separates terms. What the two read differently is refused with UnsupportedQueryError.
"""

import re
import threading
from enum import Enum

from luqum import tree
from luqum.exceptions import IllegalCharacterError
from luqum.parser import parser

from matcher.errors import UnsupportedQueryError
from matcher.fields import Kind

# Lucene's query parser separates terms on these only; Python's \s, which luqum uses, on more.
_LUCENE_WHITESPACE = frozenset(" \t\n\r\u3000")
# Java's Double.parseDouble, as Elasticsearch reads a number in a query.
# Written so that no two ways read one text (`\d+\.?\d*` would backtrack quadratically).
_JAVA_NUMBER = re.compile(r"[+-]?(NaN|Infinity|(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)[fFdD]?")


class Conj(Enum):
    """The conjunction before a clause."""

    NONE = 0
    AND = 1
    OR = 2


class Mod(Enum):
    """A clause's modifier: none, + (or AND's), - or NOT."""

    NONE = 0
    REQUIRED = 1
    PROHIBITED = 2


SYMBOLS = {"&&": Conj.AND, "||": Conj.OR}
# Characters luqum accepts inside a term but Lucene's parser does not: it ends the term there
# (" starts a phrase, / a regular expression, ! means NOT, : follows a field name).
NOT_TERM_CHARACTERS = frozenset('"/!:')
HINTS = {
    "/": " (Lucene starts a regular expression there)",
    "!": " (Lucene reads it as NOT: write NOT before the clause)",
}


def _position(node: tree.Item) -> str:
    position = getattr(node, "pos", None)
    return f"at position {position}" if position is not None else "in the query"


def refuse(node: tree.Item, what: str) -> UnsupportedQueryError:
    """The error refusing `node` for `what`, naming the node's text and position."""
    return UnsupportedQueryError(f"{what} ({str(node).strip()!r} {_position(node)})")


def unescape(text: str, node: tree.Item) -> str:
    """Lucene's discardEscapeChar: `\\c` is c, `\\uXXXX` the code point."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= len(text):
            raise refuse(node, "a term ends with an escape character")
        following = text[index + 1]
        if following == "u":
            digits = text[index + 2 : index + 6]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise refuse(node, "a \\u escape needs four hex digits")
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append(following)
        index += 2
    return "".join(out)


def unescaped(text: str) -> list[tuple[str, bool]]:
    """The characters of raw term text, each with whether it was escaped."""
    chars: list[tuple[str, bool]] = []
    index = 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            chars.append((text[index + 1], True))
            index += 2
        else:
            chars.append((text[index], False))
            index += 1
    return chars


def java_number(text: str, kind: Kind) -> float | int | None:
    """The number a numeric field of this kind reads from `text` as Elasticsearch does; None
    when it reads none."""
    if not _JAVA_NUMBER.fullmatch(text):
        return None
    # A long is also read as a BigDecimal, which takes no f/d suffix, NaN or Infinity.
    if kind is Kind.LONG and (text[-1] in "fFdD" or text.lstrip("+-")[0] in "NI"):
        return None
    body = text.rstrip("fFdD") if text[-1] in "fFdD" and "Infinity" not in text else text
    if re.fullmatch(r"[+-]?\d+", body):
        return int(body)
    return float(body.replace("Infinity", "inf").replace("NaN", "nan"))


def check_word(node: tree.Word) -> list[tuple[str, bool]]:
    """The characters of a term, each with whether it was escaped; refuses the characters that
    end a term in Lucene, and spellings that Lucene reads as something else."""
    raw = node.value
    chars = unescaped(raw)
    for char, escaped in chars:
        if escaped:
            continue
        if char in NOT_TERM_CHARACTERS:
            hint = HINTS.get(char, "")
            raise refuse(node, f"an unescaped {char!r} inside a term{hint}; escape it with \\")
    if raw in SYMBOLS:
        raise refuse(node, f"{raw} must stand between two clauses")
    if chars and chars[0][0] in "<>=" and chars[0][1]:
        raise refuse(node, "a term starting with an escaped < or > reads as a range")
    return chars


def check_whitespace(query: str) -> None:
    """Refuses whitespace that luqum separates terms on and Lucene does not."""
    for index, char in enumerate(query):
        if char.isspace() and char not in _LUCENE_WHITESPACE:
            raise UnsupportedQueryError(
                f"the whitespace character U+{ord(char):04X} at position {index} separates terms "
                "differently in Lucene; use a plain space"
            )


def _escape_single_quotes(query: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(query):
        char = query[index]
        if char == "\\":
            out.append(query[index : index + 2])
            index += 2
            continue
        out.append("\\'" if char == "'" else char)
        index += 1
    return "".join(out)


# luqum's parser and lexer keep the text being read in themselves: one parse at a time
# (rules are compiled in worker threads, for the API and for reloads).
_PARSING = threading.Lock()


def parse(query: str) -> tree.Item:
    """luqum's parse tree of the query; UnsupportedQueryError if it cannot be parsed."""
    with _PARSING:
        return _parse_alone(query)


def _parse_alone(query: str) -> tree.Item:
    try:
        return parser.parse(query)
    except IllegalCharacterError as error:
        # luqum cannot start a term with ' where Lucene can; an escaped ' reads the same.
        if "'" in query:
            try:
                return parser.parse(_escape_single_quotes(query))
            except Exception:  # noqa: BLE001, S110 (the first error is the one to report)
                pass
        raise UnsupportedQueryError(f"cannot parse the query {query!r}: {error}") from error
    except Exception as error:
        # luqum raises its ParseSyntaxError, and lets some of ply's own errors through.
        raise UnsupportedQueryError(f"cannot parse the query {query!r}: {error}") from error
