"""Wildcard patterns: the same answers as a regular expression, in linear time."""

import random
import re
import time

import pytest

from matcher.wildcard import Wildcard


def reference(pattern: str, term: str) -> bool:
    """What a regular expression answers: `*` any run, `?` one code point."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, term, re.DOTALL) is not None


@pytest.mark.parametrize(
    ("pattern", "term", "expected"),
    [
        ("", "", True),
        ("", "a", False),
        ("*", "", True),
        ("?*", "", False),
        ("*", "anything", True),
        ("?", "", False),
        ("?", "é", True),
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("ab*", "ab", True),
        ("ab*", "a", False),
        ("*ab", "xxab", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "acb", False),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("*?*?*?*Q", "xyzQ", True),
        ("*?*?*?*Q", "yzQ", False),
        ("a?c*", "abcdef", True),
        ("*a?c*a?c", "xabcyadc", True),
        ("*a?c*a?c", "xabcyadcz", False),
        ("***", "", True),
        ("s-4*", "s-400", True),
        ("*\n*", "a\nb", True),
    ],
)
def test_examples(pattern: str, term: str, expected: bool) -> None:
    assert Wildcard.of(pattern).matches(term) is expected
    assert reference(pattern, term) is expected


def test_agrees_with_regular_expressions_on_random_patterns() -> None:
    rng = random.Random(20261205)
    alphabet = "ab?*"
    for _ in range(5_000):
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        term = "".join(rng.choice("abc") for _ in range(rng.randint(0, 12)))
        expected = reference(pattern, term)
        assert table(pattern, term) is expected
        assert Wildcard.of(pattern).matches(term) is expected, (pattern, term)


def test_agrees_on_longer_patterns_and_terms() -> None:
    rng = random.Random(7)
    for _ in range(1_000):
        pattern = "".join(rng.choice("aab?*é.") for _ in range(rng.randint(0, 40)))
        term = "".join(rng.choice("abé.") for _ in range(rng.randint(0, 200)))
        assert Wildcard.of(pattern).matches(term) is table(pattern, term), (pattern, term)


def test_escaped_operators_are_literals() -> None:
    pattern = Wildcard.parse([("a", False), ("*", False), ("?", True)])

    assert pattern.matches("a*x")
    assert not pattern.matches("abx")


def test_equal_patterns_have_equal_keys() -> None:
    assert Wildcard.of("a**b").key == Wildcard.of("a*b").key
    assert Wildcard.of("a*b").key != Wildcard.of("a?b").key


@pytest.mark.parametrize(
    "pattern",
    [
        "*?*?*?*?*?*?*Q",
        "*?" * 200 + "*Q",
        "*" + "a?" * 200 + "*b",
        "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
        "*" + "?" * 900 + "*Q",
        "a" + "*a" * 300,
    ],
)
def test_pathological_patterns_on_long_terms_finish_fast(pattern: str) -> None:
    # Each of these takes a backtracking regex minutes or more on such terms. A generous bound
    # (a linear pass takes milliseconds), not a speed target: the benchmark prints those.
    for term in ("https://example.com/" + "a" * 80, "a" * 8192, "ab" * 4096 + "Q"):
        started = time.perf_counter()
        found = Wildcard.of(pattern).matches(term)
        assert time.perf_counter() - started < 2.0, (pattern[:20], len(term))
        assert found is table(pattern, term)


def table(pattern: str, term: str) -> bool:
    """The textbook dynamic program, O(len(pattern) x len(term)): a slow but safe reference
    where a regular expression would backtrack for ages."""
    matched = [True] + [False] * len(term)
    for char in pattern:
        if char == "*":
            for index in range(1, len(term) + 1):
                matched[index] = matched[index] or matched[index - 1]
        else:
            matched = [False] + [
                matched[index] and (char == "?" or char == term[index])
                for index in range(len(term))
            ]
    return matched[-1]
