"""Rule queries whose cost cannot be bounded are refused, saying which limit and setting."""

import contextlib
import time

import pytest

from alerts import AlertSettings
from matcher import QueryLimitError, QueryLimits, UnsupportedQueryError
from tests.unit.matcher.articles import compile_query

DEPTH = "max_query_depth"


def refusal(query: str, limits: QueryLimits | None = None) -> str:
    with pytest.raises(QueryLimitError) as refused:
        compile_query(query, limits=limits or QueryLimits())
    return str(refused.value)


@pytest.mark.parametrize(
    "query",
    [
        "(" * 4000 + "a" + ")" * 4000,
        "NOT " * 2400 + "a",
        "-" * 9000 + "a",
        "+" * 9000 + "a",
        "title:(" * 1200 + "a" + ")" * 1200,
        "a:" * 4000 + "b",
        "(" * 33 + "a" + ")" * 33,
    ],
)
def test_a_query_nested_too_deep_is_refused_before_anything_recurses(query: str) -> None:
    started = time.perf_counter()
    message = refusal(query)

    assert "nests more than 32 levels deep" in message
    assert DEPTH in message
    assert time.perf_counter() - started < 10, "refused in one linear pass"


def test_a_query_of_5000_levels_is_refused_for_its_length_first() -> None:
    message = refusal("(" * 5000 + "a" + ")" * 5000)

    assert "10,001 characters long" in message
    assert "max_query_chars" in message


def test_nesting_up_to_the_limit_is_accepted() -> None:
    # Each parenthesised group is a level, and so is the word inside.
    query = "(" * 31 + "missile" + ")" * 31

    assert compile_query(query).matches({"title": "a missile"})


def test_too_many_terms_are_refused_and_the_limit_itself_is_accepted() -> None:
    words = [f"w{number}" for number in range(1025)]
    at_limit = "countries:(" + " OR ".join(words[:1024]) + ")"
    over = "countries:(" + " OR ".join(words) + ")"

    assert compile_query(at_limit).matches({"countries": ["w1023"]})
    message = refusal(over)
    assert "more than 1,024 terms, phrases and range bounds" in message
    assert "max_query_clauses" in message


def test_too_many_wildcards_are_refused() -> None:
    at_limit = " OR ".join(f"url:*x{number}?*" for number in range(32))

    assert compile_query(at_limit).matches({"url": "https://a.example/x31/"})
    message = refusal(at_limit + " OR url:*y*")
    assert "more than 32 wildcard or prefix terms" in message
    assert "max_query_wildcards" in message


def test_a_lone_star_and_escaped_stars_are_no_wildcards() -> None:
    query = " OR ".join(["*", "_exists_:title", *(f"title:a\\*{n}" for n in range(40))])

    compile_query(query, limits=QueryLimits(max_query_wildcards=0))


def test_a_wildcard_term_too_long_is_refused() -> None:
    message = refusal("url:https*" + "a" * 1000 + "*")

    assert "is 1,007 characters long" in message
    assert "max_wildcard_chars" in message


def test_limits_come_from_the_settings_and_the_message_names_the_variable() -> None:
    limits = AlertSettings(max_query_depth=3).query_limits()

    compile_query("a AND b", limits=limits)
    message = refusal("a AND (b OR c)", limits)
    assert "nests more than 3 levels deep" in message
    assert "WIREWATCH_ALERTS__MAX_QUERY_DEPTH" in message


def test_a_limit_error_is_an_unsupported_query() -> None:
    # The API and the CLI answer it as any refused rule (HTTP 400).
    assert issubclass(QueryLimitError, UnsupportedQueryError)


@pytest.mark.parametrize(
    "query",
    [
        "title:" + "1" * 9000 + "x",
        "published_at:[" + "1" * 4000 + " TO 2]",
        "quantity:" + "1" * 9000 + ".5e",
        "*" * 9000 + ":x",
        "a*" * 16 + ":x",
        "url:" + "*?" * 400 + "*Q",
        "title:" + "_" * 9000,
        '"' + "the " * 2000 + '"',
    ],
)
def test_long_hostile_queries_compile_or_are_refused_quickly(query: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(UnsupportedQueryError):
        compile_query(query)
    assert time.perf_counter() - started < 10, "linear in the query's length"
