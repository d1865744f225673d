"""No article or rule makes matching superlinear, and one article's rules stop at its budget."""

import time

import pytest

from matcher import RuleMatcher
from matcher.analysis import analyze
from tests.unit.matcher.articles import catalog, compile_query

# A generous bound for work that is linear (milliseconds to a few hundred): what backtracked
# took minutes. Speeds are printed by benchmarks/matching_cost.py, not asserted.
LINEAR_S = 5.0


@pytest.mark.parametrize(
    "chunk",
    [
        "_" * 100_000,
        "_" * 100_000 + "é",
        "_\u0301" * 50_000,
        "a" + "_\u0301" * 50_000 + "-",
        "_\u0301" * 50_000 + "a",
        "1" + "_" * 100_000 + "-",
        "\u05d0\u0301" * 50_000,
        "a\u200d" * 50_000,
        "a.1." * 25_000,
        "x" * 100_000,
    ],
)
def test_analysing_a_long_hostile_chunk_is_linear(chunk: str) -> None:
    started = time.perf_counter()
    tokens = analyze(chunk)

    assert time.perf_counter() - started < LINEAR_S
    assert all(len(token) <= 255 for token in tokens)


def test_leading_underscores_still_belong_to_the_word() -> None:
    assert analyze("__init__ x__ ___ _é_ __\u0301a") == ["__init__", "x__", "_é_", "__\u0301a"]


@pytest.mark.parametrize(
    "query",
    ["quantity:" + "1" * 9000 + "x", "quantity:[" + "1" * 4000 + "x TO 5]", "*" * 20 + "x:a"],
)
def test_numbers_and_field_patterns_in_a_query_are_read_in_linear_time(query: str) -> None:
    started = time.perf_counter()
    compiled = compile_query(query)

    assert not compiled.matches({"quantity": 5})
    assert time.perf_counter() - started < LINEAR_S


def test_a_hostile_wildcard_over_a_long_url_is_fast_and_right() -> None:
    url = "https://example.com/" + "a" * 8000
    query = compile_query("url:*?*?*?*?*?*?*Q")

    started = time.perf_counter()
    assert not query.matches({"url": url})
    assert query.matches({"url": url + "Q"})
    assert time.perf_counter() - started < LINEAR_S


def many_authors(count: int) -> dict[str, object]:
    return {"authors": [f"author number {number}" for number in range(count)], "countries": ["VE"]}


def test_rules_past_an_articles_budget_are_skipped_and_the_costly_one_goes_last() -> None:
    # A wildcard no term has, tried on each of 300,000 terms: far beyond a 5 ms budget.
    matcher = RuleMatcher(
        [
            ("costly", compile_query("authors:*a?t*r?n*Q")),
            ("cheap", compile_query("countries:VE")),
        ]
    )
    source = many_authors(300_000)

    started = time.perf_counter()
    first = matcher.evaluate(source, budget_s=0.005)
    # Stopped inside the rule, not after it: the budget is looked at within its loop.
    assert first.elapsed_s < 1.0
    assert (first.ids, first.over_budget_rule, first.skipped) == ([], "costly", 1)

    second = matcher.evaluate(source, budget_s=0.005)
    assert (second.ids, second.over_budget_rule, second.skipped) == (["cheap"], "costly", 0)
    assert time.perf_counter() - started < LINEAR_S


def test_without_a_budget_every_rule_is_evaluated() -> None:
    matcher = RuleMatcher(
        [
            ("costly", compile_query("authors:*number?1*")),
            ("cheap", compile_query("countries:VE")),
        ]
    )

    evaluation = matcher.evaluate(many_authors(20_000))

    assert (evaluation.ids, evaluation.over_budget_rule) == (["costly", "cheap"], None)


def test_a_phrase_of_repeated_words_stops_at_the_budget() -> None:
    # Every start of the phrase checks all its words before failing at the last.
    body = " ".join(["war"] * 100_000 + ["peace"])
    phrase = '"' + " ".join(["war"] * 500 + ["peace", "war"]) + '"'
    matcher = RuleMatcher([("phrase", compile_query(f"body:{phrase}", catalog=catalog()))])

    evaluation = matcher.evaluate({"body": body}, budget_s=0.01)

    assert evaluation.over_budget_rule == "phrase"
    assert evaluation.elapsed_s < 1.0
