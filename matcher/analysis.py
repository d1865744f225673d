"""Elasticsearch's `standard` analyzer, emulated (pure).

Lucene's StandardTokenizer splits text on the word boundaries of Unicode UAX#29 and keeps only
the segments that hold letters, digits, ideographs or emoji; the standard analyzer then
lowercases each token code point by code point (no stopwords by default). The grammar below
follows the rules of Lucene's StandardTokenizerImpl.jflex; `regex` provides the Unicode
Word_Break, Line_Break and Script properties that the standard library's `re` lacks.
"""

import re
from collections.abc import Iterable, Sequence

import regex

# Elasticsearch's default `position_increment_gap` for text fields: phrases do not span values.
POSITION_INCREMENT_GAP = 100
# The standard analyzer's `max_token_length`: longer tokens are cut in pieces of this length.
MAX_TOKEN_LENGTH = 255

# UAX#29 WB4: a character followed by Extend/Format/ZWJ characters behaves as that character.
_X = r"[\p{WB=Extend}\p{WB=Format}\p{WB=ZWJ}]*+"
_LETTER = rf"[\p{{WB=ALetter}}\p{{WB=Hebrew_Letter}}]{_X}"
_HEBREW = rf"\p{{WB=Hebrew_Letter}}{_X}"
_NUMERIC = rf"\p{{WB=Numeric}}{_X}"
_KATAKANA = rf"\p{{WB=Katakana}}{_X}"
_EXTEND_NUM_LET = rf"\p{{WB=ExtendNumLet}}{_X}"
_MID_LETTER = rf"[\p{{WB=MidLetter}}\p{{WB=MidNumLet}}\p{{WB=Single_Quote}}]{_X}"
_MID_NUMERIC = rf"[\p{{WB=MidNum}}\p{{WB=MidNumLet}}\p{{WB=Single_Quote}}]{_X}"
_SINGLE_QUOTE = rf"\p{{WB=Single_Quote}}{_X}"
_DOUBLE_QUOTE = rf"\p{{WB=Double_Quote}}{_X}"

# WB5-WB13b: letters, digits and katakana joined by the rules' connectors.
# WB7a-c: after a Hebrew letter, a single quote may end the word and a double quote join it to
# another Hebrew letter. Written into the letter run so that backtracking finds the longest
# match, as the tokenizer's DFA does.
_AFTER_HEBREW = rf"(?<=\p{{WB=Hebrew_Letter}}{_X})"
_LETTERS = (
    rf"{_LETTER}(?:(?:(?:{_EXTEND_NUM_LET})*|{_MID_LETTER}){_LETTER}"
    rf"|{_AFTER_HEBREW}{_DOUBLE_QUOTE}{_HEBREW})*(?:{_AFTER_HEBREW}{_SINGLE_QUOTE})?"
)
_CORE = (
    rf"(?:{_KATAKANA}(?:(?:{_EXTEND_NUM_LET})*{_KATAKANA})*"
    rf"|(?:{_NUMERIC}(?:(?:(?:{_EXTEND_NUM_LET})*|{_MID_NUMERIC}){_NUMERIC})*"
    rf"|{_LETTERS})+)"
)
# A word's leading ExtendNumLet characters (`__init`) are not in the expression: tried at every
# position of a long run of them that no word follows, they made the search quadratic (cubic
# with marks between). `_words` adds them back, scanning backwards from the word found.
# The joins and the end, `(?:ENL+ CORE)* ENL*`, as runs of ExtendNumLet taken whole: given back
# one by one, each retried before a core, they made a long run quadratic.
_WORD = rf"{_CORE}(?:(?>(?:{_EXTEND_NUM_LET})+)(?:{_CORE})?)*"
_ENL_OR_X = regex.compile(r"[\p{WB=ExtendNumLet}\p{WB=Extend}\p{WB=Format}\p{WB=ZWJ}]")
_ENL = regex.compile(r"\p{WB=ExtendNumLet}")
# UTS#51 emoji sequences, which Lucene keeps as tokens of their own. U+2605 (black star) is
# pictographic in the Unicode data Lucene's tokenizer was generated from, not in today's.
# Emoji shown as such by default take Extend and Format characters after them, the others
# (shown as text unless a variation selector follows) only Extend ones.
_EMOJI_PRESENTATION = r"[\p{Emoji_Presentation}--\p{Regional_Indicator}]"
_PICTOGRAPH = r"[[\p{Extended_Pictographic}\u2605]--[\p{Emoji_Presentation}\p{Regional_Indicator}]]"
_EMOJI_CHAR = (
    rf"(?:{_EMOJI_PRESENTATION}[\p{{WB=Extend}}\p{{WB=Format}}]*|{_PICTOGRAPH}\p{{WB=Extend}}*)"
)
_EMOJI = (
    r"(?:(?:\p{Regional_Indicator}\p{Regional_Indicator})+"
    r"|[0-9#*]\uFE0F?\u20E3"
    rf"|{_EMOJI_CHAR}(?:\u200D{_EMOJI_CHAR})*)"
)
# South East Asian scripts stay whole; each Han or Hiragana character is a token.
_COMPLEX = rf"(?:\p{{LB=SA}}{_X})+"
_IDEOGRAPH = rf"[\p{{Script=Han}}\p{{Script=Hiragana}}]{_X}"

_TOKEN = regex.compile(rf"{_EMOJI}|{_WORD}|{_COMPLEX}|{_IDEOGRAPH}", regex.VERSION1)
_WORD_ONLY = regex.compile(_WORD, regex.VERSION1)

# The same grammar restricted to ASCII, where the Word_Break classes are plain character sets
# (':' MidLetter, '.' MidNumLet, "'" Single_Quote, ',' and ';' MidNum, '_' ExtendNumLet):
# the standard library's engine runs it several times faster.
_ASCII_CORE = r"(?:[0-9](?:(?:_*|[,;.'])[0-9])*|[A-Za-z](?:(?:_*|[:.'])[A-Za-z])*)+"
_ASCII_TOKEN = re.compile(rf"{_ASCII_CORE}(?:_+{_ASCII_CORE})*_*")
# The chunk cache holds at most this many chunks, each of at most this many characters: a
# body of long unbroken runs (a base64 blob, a run of punctuation) would otherwise keep up to
# the limit of them whole, megabytes each, and what news text repeats is words.
_CACHE_LIMIT = 100_000
CACHED_CHUNK_MAX_CHARS = 64
_chunk_cache: dict[str, tuple[str, ...]] = {}


def lowercase(text: str) -> str:
    """Lowercase code point by code point, as Java's Character.toLowerCase does.

    Python's str.lower applies context (final sigma) and special casing (U+0130 becomes two
    characters); Lucene's LowerCaseFilter maps each code point alone."""
    if text.isascii():
        return text.lower()
    return "".join(_lower_char(char) for char in text)


def _lower_char(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else lowered[0]


def _pieces(token: str) -> Iterable[str]:
    if len(token) <= MAX_TOKEN_LENGTH:
        yield token
        return
    for start in range(0, len(token), MAX_TOKEN_LENGTH):
        yield token[start : start + MAX_TOKEN_LENGTH]


def _ascii_words(chunk: str) -> list[str]:
    words: list[str] = []
    done = 0
    for match in _ASCII_TOKEN.finditer(chunk):
        start, end = match.span()
        # The underscores before a word belong to it (they never end the word before).
        lead = start
        while lead > done and chunk[lead - 1] == "_":
            lead -= 1
        words.append(chunk[lead:end])
        done = end
    return words


def _words(chunk: str) -> list[str]:
    """The tokens of a chunk, as the full grammar (with leading ExtendNumLets) finds them, in
    one pass: linear in the chunk."""
    words: list[str] = []
    done = 0
    while True:
        match = _TOKEN.search(chunk, done)
        if match is None:
            return words
        start, end = match.span()
        # The run of ExtendNumLet (each with its Extend/Format marks) just before: a word
        # found at `start` starts there instead. Marks at the run's start attach to the
        # character before it, so the run starts at its first ExtendNumLet.
        lead = start
        while lead > done and _ENL_OR_X.match(chunk, lead - 1):
            lead -= 1
        while lead < start and not _ENL.match(chunk, lead):
            lead += 1
        if lead < start:
            word = _WORD_ONLY.match(chunk, start)
            if word is not None:
                start, end = lead, word.end()
        words.append(chunk[start:end])
        done = end


def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    if chunk.isascii():
        found = [chunk] if chunk.isalnum() else _ascii_words(chunk)
        return tuple(piece.lower() for token in found for piece in _pieces(token))
    return tuple(lowercase(piece) for token in _words(chunk) for piece in _pieces(token))


def analyze(text: str) -> list[str]:
    """The tokens the standard analyzer makes of `text`, in order, lowercased."""
    # No token spans whitespace, so each whitespace-separated chunk is tokenized alone, and the
    # words that news text repeats are looked up rather than tokenized again.
    tokens: list[str] = []
    cache = _chunk_cache
    for chunk in text.split():
        found = cache.get(chunk)
        if found is None:
            found = _chunk_tokens(chunk)
            if len(chunk) <= CACHED_CHUNK_MAX_CHARS:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[chunk] = found
        tokens.extend(found)
    return tokens


def positions(values: Sequence[str]) -> dict[str, list[int]]:
    """Token -> its positions across the values of a multi-valued text field.

    Lucene adds the position increment gap after each value, so a phrase cannot join the end
    of one value to the start of the next unless its slop reaches the gap."""
    return token_positions([analyze(value) for value in values])


def token_positions(analyzed: Sequence[Sequence[str]]) -> dict[str, list[int]]:
    """Token -> positions, from the tokens of each value of a multi-valued text field."""
    found: dict[str, list[int]] = {}
    position = -1
    for tokens in analyzed:
        for token in tokens:
            position += 1
            found.setdefault(token, []).append(position)
        position += POSITION_INCREMENT_GAP
    return found
