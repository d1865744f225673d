"""The in-process rule matcher: analysis, each query construct, refusals and presearch."""

import random
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from matcher import (
    CompiledQuery,
    FieldValues,
    MatcherError,
    RuleMatcher,
    UnsupportedMappingError,
    UnsupportedQueryError,
)
from matcher.analysis import analyze, positions
from matcher.dates import parse_bound, parse_date
from tests.unit.matcher.articles import catalog, compile_query

# 2026-11-27T12:00:00Z, the clock of date math in these tests.
NOW_S = datetime(2026, 11, 27, 12, tzinfo=UTC).timestamp()


def doc(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a1",
        "title": "Russia sells S-400 air defence systems to India",
        "body": "The deal's value: $5.4bn. U.S.A. officials object; co-operation continues.",
        "published_at": "2026-11-27T10:00:00Z",
        "source": "Reuters",
        "language": "en",
        "authors": ["Jane Doe"],
        "weapons": ["S-400"],
        "countries": ["RU", "IN"],
        "topics": ["arms_deal"],
        "deals": [
            {"supplier": "RU", "weapon": "S-400", "quantity": 5, "sentence": "one two"},
            {"supplier": "FR", "quantity": 7, "sentence": "three four"},
        ],
        "topic_details": [{"topic": "arms_deal", "confidence": 0.7, "evidence": []}],
        "kafka": {"topic": "articles", "partition": 3, "offset": 42},
    }
    base.update(fields)
    return base


def matches(query: str, source: dict[str, Any] | None = None) -> bool:
    return compile_query(query, clock=lambda: NOW_S).matches(source or doc())


class TestAnalysis:
    @pytest.mark.parametrize(
        ("text", "tokens"),
        [
            ("Russia sells S-400", ["russia", "sells", "s", "400"]),
            ("The deal's value: $5.4bn.", ["the", "deal's", "value", "5.4bn"]),
            ("U.S.A. objects", ["u.s.a", "objects"]),
            ("co-op e-mail foo_bar 3,000.5", ["co", "op", "e", "mail", "foo_bar", "3,000.5"]),
            ("a.1 1.a", ["a", "1", "1", "a"]),
            ("İstanbul ΟΔΟΣ", ["istanbul", "οδοσ"]),
            ("中文 カタカナ ひら", ["中", "文", "カタカナ", "ひ", "ら"]),
            ("the and of", ["the", "and", "of"]),
        ],
    )
    def test_standard_analyzer(self, text: str, tokens: list[str]) -> None:
        assert analyze(text) == tokens

    def test_long_tokens_are_cut_at_255_characters(self) -> None:
        assert [len(token) for token in analyze("x" * 300)] == [255, 45]

    def test_values_are_apart_by_the_position_gap(self) -> None:
        found = positions(["one two", "three"])
        assert found == {"one": [0], "two": [1], "three": [102]}


class TestDates:
    def test_rounding_up_fills_time_but_not_month_or_day(self) -> None:
        assert parse_date("2026-11-27", round_up=True) == parse_date(
            "2026-11-27T23:59:59.999Z", round_up=False
        )
        assert parse_date("2026", round_up=True) == parse_date(
            "2026-01-01T23:59:59.999Z", round_up=False
        )

    def test_offsets_and_epoch_millis(self) -> None:
        assert parse_date("2026-11-27T11:00:00+01:00", round_up=False) == parse_date(
            "2026-11-27T10:00:00Z", round_up=False
        )
        assert parse_date("1735689600000", round_up=False) == 1735689600000
        assert parse_date("2026-11-27 10:00", round_up=False) is None

    def test_date_math(self) -> None:
        now = int(NOW_S * 1000)
        day = parse_date("2026-11-27", round_up=False)
        assert parse_bound("now/d", round_up=False, now_millis=now) == day
        assert parse_bound("2026-01-31||+1M", round_up=False, now_millis=0) == parse_date(
            "2026-02-28", round_up=False
        )


class TestConstructs:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("topics:arms_deal AND countries:IN", True),
            ("topics:arms_deal AND countries:VE", False),
            ("countries:VE OR countries:IN", True),
            ("countries:VE || countries:IN", True),
            ("countries:VE && countries:IN", False),
            ("countries:RU && countries:IN", True),
            ("countries:in", False),
            ("title:russia", True),
            ("title:RUSSIA", True),
            ('title:"air defence"', True),
            ('title:"defence air"', False),
            ('title:"defence air"~2', True),
            ('title:"russia air"~3', True),
            ('title:"russia air"~2', False),
            ("title:s-400", True),
            ("weapons:S-400", True),
            ('weapons:"S-400"', True),
            ("weapons:s-400", False),
            ("title.keyword:Russia*", True),
            ("title:russ*", True),
            ("title:RUSS*", True),
            ("countries:r*", False),
            ("title:r?ssia", True),
            ("body:*peration", True),
            ("u.s.a", True),
            ("usa", False),
            ("deal's", True),
            ("deal", False),
            ("5", True),
            ("deals.quantity:5.0", True),
            ("deals.quantity:5.5", False),
            ("deals.quantity:>=6", True),
            ("deals.quantity:>7", False),
            ("deals.quantity:[4.5 TO 5.5]", True),
            ("deals.quantity:[0 TO 99999999999]", False),
            ("topic_details.confidence:0.7", True),
            ("topic_details.confidence:>0.7", False),
            ("kafka.partition:3", True),
            ("published_at:2026-11-27", True),
            ("published_at:2026", False),
            ("published_at:[2026 TO 2027]", True),
            ("published_at:{2026-11-27 TO *]", False),
            ("published_at:>now-1d", True),
            ("published_at:[now-1M/M TO now]", True),
            ("_exists_:url", False),
            ("NOT _exists_:url", True),
            ("_exists_:deals", True),
            ("_exists_:deals.value", False),
            ("url:*", False),
            ("title:*", True),
            ("*", True),
            ("*:*", True),
            ("unknown_field:x", False),
            ("NOT unknown_field:x", True),
            ("NOT countries:VE", True),
            ("-countries:IN", False),
            ("countries:VE OR (NOT countries:IN)", False),
            ("countries:RU OR (NOT countries:IN)", True),
            ("+countries:RU -countries:VE", True),
            ("title:(india OR pakistan)", True),
            ("title:(pakistan china)", False),
            ("title:russia^2", True),
            ("deals.\\*:S-400", True),
            ('deals.sentence:"two three"', False),
            ('deals.sentence:"two three"~99', False),
            ('deals.sentence:"two three"~100', True),
            ('title:"!!!"', False),
            ('title:"!!!" OR countries:RU', True),
            ("title:[russia TO s]", True),
            ("source:[A TO Z]", True),
        ],
    )
    def test_construct(self, query: str, expected: bool) -> None:
        assert matches(query) is expected

    def test_and_binds_the_clause_before_it_not_a_group(self) -> None:
        # Lucene reads `a AND b OR c` as +a +b c: c alone is not enough.
        assert not matches("countries:VE AND topics:x OR countries:RU")
        assert matches("countries:VE OR countries:RU AND topics:arms_deal")
        assert not matches("countries:RU OR countries:VE AND topics:arms_deal")

    def test_bare_terms_in_a_row_are_analyzed_as_one_text(self) -> None:
        # Elasticsearch does not split on whitespace: the run is one keyword value too.
        source = doc(persons=["Vladimir Putin"])
        assert matches("Vladimir Putin", source)
        assert matches("persons:(Vladimir Putin)", source)
        assert not matches("persons:(Vladimir OR Putin)", source)
        # A number in a run is no longer a number: `5 7` matches neither quantity.
        assert matches("5", source)
        assert not matches("deals.quantity:(5 7)", source)
        # A term before AND, or after a conjunction, stays apart.
        assert matches("countries:VE OR Vladimir AND Putin", doc(persons=["Vladimir", "Putin"]))

    def test_exists_with_a_wildcard_is_a_prefix_on_no_field(self) -> None:
        assert not matches("_exists_:*")
        assert not matches("_exists_:kafka*")
        assert matches("_exists_:kafka")
        assert matches("_exists_:deals.\\*")

    def test_a_term_may_start_with_a_single_quote(self) -> None:
        assert matches("'deal's")
        assert matches("title:'defence'")  # the analyzer drops the quotes

    def test_emptied_clauses_are_left_out(self) -> None:
        assert matches('title:"!!!" AND countries:RU')
        assert not matches('NOT title:"!!!"')

    def test_missing_and_empty_fields(self) -> None:
        source = doc(countries=[], deals=[], url=None)
        assert not matches("countries:RU", source)
        assert matches("NOT countries:RU", source)
        assert not matches("_exists_:countries", source)
        assert matches("NOT deals.weapon:S-400", source)

    def test_keyword_values_over_ignore_above_are_not_indexed(self) -> None:
        long_title = "Long " * 300
        assert matches("title:long", doc(title=long_title))
        assert not matches("_exists_:title.keyword", doc(title=long_title))

    def test_date_math_uses_the_clock(self) -> None:
        query = compile_query("published_at:>now-1h", clock=lambda: NOW_S)
        assert not query.matches(doc())
        later = compile_query("published_at:>now-1h", clock=lambda: NOW_S - 7200)
        assert later.matches(doc())


class TestRefusals:
    @pytest.mark.parametrize(
        ("query", "named"),
        [
            ("title:russia~", "fuzzy"),
            ("title:russia~2", "fuzzy"),
            ("title:/rus+ia/", "regular expression"),
            ('title:"air air defence"~2', "repeats a word"),
            ("title:(a", "cannot parse"),
            ("published_at:2026-11-27T10:00:00", "':'"),
            ("published_at:>now/d", "'/'"),
            ("a!b", "'!'"),
            ("!countries:RU", "write NOT"),
            ("published_at:>=now-1d/d", "regular expression"),
            ("&& countries:IN", "&& must stand between two clauses"),
            ("countries:IN ||", "|| must stand between two clauses"),
            ("title:-russia", "operator or field"),
            ("NOT -russia", "one +, - or NOT"),
            ("title:a\u00a0b", "U+00A0"),
            ('published_at:"2026-11-27 10:00"', "not in a supported format"),
            ("", "empty"),
        ],
    )
    def test_refused_with_a_message_naming_the_construct(self, query: str, named: str) -> None:
        with pytest.raises(UnsupportedQueryError, match=re.escape(named)) as raised:
            compile_query(query)
        assert isinstance(raised.value, MatcherError)

    def test_a_date_like_word_over_many_fields_is_not_refused(self) -> None:
        # "2024-25" is no date to Elasticsearch either; on all fields it still matches text.
        assert matches("2024-25", doc(title="The 2024-25 budget"))
        with pytest.raises(UnsupportedQueryError, match="not in a supported format"):
            compile_query("published_at:2024-25")

    def test_message_has_the_position(self) -> None:
        with pytest.raises(UnsupportedQueryError, match="position 19"):
            compile_query("countries:VE title:russia~")


def test_only_the_standard_analyzer_is_emulated() -> None:
    assert "title" in catalog("standard").fields
    with pytest.raises(UnsupportedMappingError, match="english"):
        catalog("english")


def random_source(rng: random.Random) -> dict[str, Any]:
    words = ["russia", "india", "S-400", "deal", "air", "defence", "tank", "Su-57", "navy"]
    return doc(
        title=" ".join(rng.choices(words, k=rng.randint(1, 6))),
        body=" ".join(rng.choices(words, k=rng.randint(0, 12))) or "x",
        countries=rng.sample(["RU", "IN", "VE", "CN", "US"], k=rng.randint(0, 3)),
        topics=rng.sample(["arms_deal", "air_defence", "naval"], k=rng.randint(0, 2)),
        weapons=rng.sample(["S-400", "Su-57", "T-90"], k=rng.randint(0, 2)),
    )


def random_rule(rng: random.Random) -> str:
    atoms = [
        f"countries:{rng.choice(['RU', 'IN', 'VE', 'CN', 'US'])}",
        f"topics:{rng.choice(['arms_deal', 'air_defence', 'naval'])}",
        f'weapons:"{rng.choice(["S-400", "Su-57", "T-90"])}"',
        f"title:{rng.choice(['russia', 'india', 'tank', 'navy'])}",
        f'title:"{rng.choice(["air defence", "russia india", "s 400"])}"',
        rng.choice(["deal", "defence", "su-57", "tank*"]),
        f"countries:{rng.choice(['R', 'V', 'C', 'I'])}*",
        f"title:{rng.choice(['ru', 'Ind', 'de', 'S?4', 'n*y'])}*",
        "published_at:>now-7d",
        "_exists_:weapons",
    ]
    picked = rng.sample(atoms, k=rng.randint(1, 3))
    parts = [("NOT " if rng.random() < 0.2 else "") + atom for atom in picked]
    return f" {rng.choice(['AND', 'OR', ''])} ".join(parts)


class TestRuleMatcher:
    def test_presearch_never_drops_a_matching_rule(self) -> None:
        rng = random.Random(7)
        rules = [
            (f"r{i}", compile_query(random_rule(rng), clock=lambda: NOW_S)) for i in range(400)
        ]
        matcher = RuleMatcher(rules)
        for _ in range(200):
            source = random_source(rng)
            document = FieldValues(source, rules[0][1].catalog)
            expected = [rule_id for rule_id, query in rules if query.matches_document(document)]
            assert matcher.match(source) == expected

    def test_presearch_skips_rules_without_their_terms(self) -> None:
        rules: list[tuple[str, CompiledQuery]] = [
            ("deal", compile_query("topics:arms_deal AND countries:VE")),
            ("phrase", compile_query('title:"air defence"')),
            ("negative", compile_query("NOT countries:VE")),
        ]
        matcher = RuleMatcher(rules)
        source = doc(title="Navy drills", topics=["naval"], countries=["CN"])
        catalog = rules[0][1].catalog
        assert matcher.candidates(FieldValues(source, catalog)) == [2]
        assert matcher.match(source) == ["negative"]

    def test_rules_are_indexed_under_the_values_fewest_rules_name(self) -> None:
        # Many rules name topics:arms_deal, so a document with that topic must not wake the
        # rule that also needs RU or BY: it is indexed under those instead.
        texts = [
            "countries:(RU OR BY) AND topics:arms_deal",
            "topics:arms_deal AND countries:US",
            "topics:arms_deal AND countries:FR",
        ]
        rules = [(text, compile_query(text)) for text in texts]
        matcher = RuleMatcher(rules)
        source = doc(topics=["arms_deal"], countries=["US"])
        assert matcher.candidates(FieldValues(source, rules[0][1].catalog)) == [1]
        assert matcher.match(source) == [texts[1]]
        assert matcher.match(doc(topics=["arms_deal"], countries=["BY"])) == [texts[0]]

    def test_a_phrase_over_every_field_is_not_checked_for_every_document(self) -> None:
        # Over date fields such a phrase is no date and matches nothing, so it has required
        # terms like any phrase.
        rules = [("phrase", compile_query('"air defence"'))]
        matcher = RuleMatcher(rules)
        source = doc(title="Navy drills", body="Ships at sea.")
        assert matcher.candidates(FieldValues(source, rules[0][1].catalog)) == []
        assert matcher.match(doc()) == ["phrase"]

    def test_a_rule_that_needs_a_prefix_is_indexed_under_it(self) -> None:
        rules = [("prefix", compile_query("countries:V* AND NOT topics:naval"))]
        matcher = RuleMatcher(rules)
        catalog = rules[0][1].catalog
        assert matcher.candidates(FieldValues(doc(countries=["RU"]), catalog)) == []
        assert matcher.match(doc(countries=["RU", "VE"])) == ["prefix"]
        assert matcher.match(doc(countries=["VN"], topics=["naval"])) == []

    def test_no_rules(self) -> None:
        assert RuleMatcher([]).match(doc()) == []
