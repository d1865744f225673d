"""Hostile inputs for the fuzz tests, and a checker of documents against the index mapping.

The strategies aim at the classes of input that have stopped partitions: bytes that are not
UTF-8 or not JSON, JSON no parser should be asked to read (huge integers, deep nesting), strings
no encoder takes (lone surrogates, NUL), feed markup, and values beyond what a mapped field holds.
"""

import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts import (
    ArmsDeal,
    Article,
    EnrichedArticle,
    Entity,
    KafkaPosition,
    Money,
    TopicEvidence,
    TopicMatch,
)

# --- strings ---------------------------------------------------------------------------------

FRAGMENTS = [
    "", " ", "\t\n", "\x00", "\x07", "\x1b", "\x7f", "\u0085", "\u2028", "\ufeff", "\ufffe",
    "\ud800", "\udfff", "𝕏", "é", "<", ">", "&", ";", "<p>", "</p>", "<br/>", "<b>", "<a href=\"",
    "\">", "<![CDATA[", "]]>", "<!--", "-->", "<!DOCTYPE html>", "<?xml version=\"1.0\"?>",
    "<script>", "</script>", "<style>", "<head>", "<body>", "<rss>", "<item>", "<title>",
    "</title>", "<description>", "</description>", "<entry>", "<content type=\"html\">",
    "&amp;", "&lt;p&gt;", "&lt;/p&gt;", "&#0;", "&#xD800;", "&#99999999;", "&eacute;", "&nbsp;",
    "&not", "R&D", "x<y and z>w", "<3", "a < b", "<NATO>", "<!", "<?", "</", "<a x='",
    "https://", "2026-01-01T00:00:00Z", "1e999", "NaN", "-0", "9" * 30, " word ", "Caracas. ",
]  # fmt: skip

# Lone surrogates and control characters: valid in a JSON string, refused by every encoder.
_AWKWARD = st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Co"])


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text made of markup fragments, awkward characters and ordinary text, now and then huge."""
    pieces = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8), _AWKWARD)
    ordinary = st.lists(pieces, max_size=max_size).map("".join)
    huge = st.builds(
        lambda fragment, count: fragment * count,
        st.sampled_from(["a", "𝕏", "<p>", "&amp;", "<!--", "<![CDATA[", "\ud800", " "]),
        st.integers(1_000, 40_000),
    )
    return st.one_of(ordinary, ordinary, ordinary, huge)


# --- JSON values and message values -----------------------------------------------------------

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec=None, categories=None))
    | hostile_text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

# Raw JSON no Python value dumps to: numbers Python refuses to read, nesting beyond any
# recursion limit, escapes of lone surrogates.
RAW_JSON = [
    b"1" * 5000, b"-" + b"9" * 4400, b"1e999", b"-1e999", b"NaN", b"Infinity", b"1.5e-400",
    b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 3000 + b"1" + b"}" * 3000, b'"\\ud800"',
    b'"\\udfff\\ud800x"', b'"\\u0000"', b'"' + b"\\\\" * 500 + b'"', b"true", b"null", b'""',
    b'"   "', b"[]", b"{}", b'["a", null]', b'"' + "é".encode() * 3000 + b'"',
]  # fmt: skip

GOOD_FIELDS: dict[str, list[Any]] = {
    "id": ["wire-1", "x" * 1024, "𝕏" * 300, " padded "],
    "url": [
        "https://news.example.com/a",
        "http://a.example:8080/b?utm_source=x&b=1#f",
        "https://" + "𝕏" * 8000,
        "https://a.example/" + "b" * 8100,
    ],
    "title": ["Talks in Caracas", "", None, "<b>Headline</b> &amp; more", "<![CDATA[T]]>"],
    "body": [
        "Officials met in Caracas.",
        "<p>First.</p><p>Second &amp; third.</p>",
        "<rss><channel><item><description><![CDATA[<p>Body</p>]]></description></item>"
        "</channel></rss>",
        "&lt;p&gt;Escaped feed body&lt;/p&gt;",
        "a < b and c > d",
    ],
    "published_at": [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00+23:59",
        "2026-01-01T00:00:00-18:01",
        "0001-01-01T00:00:00Z",
        "0001-01-01T23:59:59+23:59",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-23:59",
        "2026-01-01 10:00:00.123456789Z",
    ],
    "source": ["Example Wire", "s" * 500, "𝕏" * 500],
    "language": ["en", "EN_us", "zh-Hant-TW", "en" + "-abcdefgh" * 7],
    "authors": [["A. Writer"], [], ["𝕏" * 500] * 20],
    "schema_version": [1, "1", 1.0],
}


@st.composite
def _field_value(draw: st.DrawFn, name: str) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice < 5:
        return json.dumps(draw(st.sampled_from(GOOD_FIELDS[name]))).encode()
    if choice < 7:
        return json.dumps(draw(hostile_text())).encode()
    if choice < 9:
        return json.dumps(draw(JSON_VALUES)).encode()
    return draw(st.sampled_from(RAW_JSON))


@st.composite
def article_messages(draw: st.DrawFn) -> bytes:
    """Article-shaped JSON objects: each field good, hostile, of any JSON type, or absent."""
    members = []
    for name in GOOD_FIELDS:
        if draw(st.integers(0, 7)) == 0:
            continue
        members.append(json.dumps(name).encode() + b":" + draw(_field_value(name)))
    if draw(st.booleans()):
        members.append(b'"extra":' + draw(st.sampled_from(RAW_JSON)))
    return b"{" + b",".join(members) + b"}"


MESSAGE_VALUES = st.one_of(
    st.none(),
    st.binary(max_size=300),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(RAW_JSON),
    article_messages(),
    article_messages().map(lambda value: value[: len(value) // 2]),
)

# --- enriched articles with extreme values -----------------------------------------------------

_INTEGERS = st.one_of(st.integers(0, 2**31 - 1), st.integers(0, 2**70), st.just(2**31))
_KEYWORD_TEXT = st.one_of(
    st.text(max_size=20),
    st.builds(
        lambda char, count: char * count,
        st.sampled_from(["a", "é", "𝕏", "\ud800"]),
        st.sampled_from([1024, 1025, 8191, 8192, 8193, 9000, 32_766, 32_767, 40_000]),
    ),
)
_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
_DATES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_OFFSETS
) | st.sampled_from(
    [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat()


@st.composite
def extreme_articles(draw: st.DrawFn) -> Article:
    """Valid articles whose values sit at the edges of what the contract lets through."""
    data = {
        "id": draw(st.sampled_from(GOOD_FIELDS["id"])),
        "url": draw(st.sampled_from(GOOD_FIELDS["url"])),
        "title": draw(st.sampled_from(["", "Talks", "t" * 2000, "𝕏" * 2000])),
        "body": draw(st.sampled_from(["Officials met.", "𝕏" * 40_000, "b " * 20_000])),
        "published_at": _rfc3339(draw(_DATES)),
        "source": draw(st.sampled_from(GOOD_FIELDS["source"])),
        "language": draw(st.sampled_from(["en", "EN_us", "zh-Hant-TW", None])),
        "authors": draw(st.sampled_from(GOOD_FIELDS["authors"])),
    }
    try:
        return Article.model_validate(data)
    except ValidationError:
        # An offset that pushes the instant out of the calendar: refused by the contract.
        assume(False)
        raise


@st.composite
def extreme_enriched(draw: st.DrawFn) -> EnrichedArticle:
    """Enriched articles with values beyond what the index holds: integers past the
    `integer` range, infinite amounts, keywords past Lucene's term limit, huge lists."""
    keywords = st.lists(_KEYWORD_TEXT, max_size=3)
    entity = st.builds(
        Entity,
        text=_KEYWORD_TEXT,
        label=_KEYWORD_TEXT,
        field=st.sampled_from(["title", "body"]),
        start=_INTEGERS,
        end=_INTEGERS,
    )
    evidence = st.builds(TopicEvidence, cue=_KEYWORD_TEXT, sentence=st.text(), matched=keywords)
    topic = st.builds(
        TopicMatch,
        topic=_KEYWORD_TEXT,
        confidence=st.floats(0, 1),
        evidence=st.lists(evidence, max_size=2),
    )
    money = st.builds(
        Money,
        amount=st.floats(min_value=0, allow_nan=False) | st.just(math.inf),
        currency=_KEYWORD_TEXT,
    )
    deal = st.builds(
        ArmsDeal,
        supplier=st.none() | _KEYWORD_TEXT,
        recipient=st.none() | _KEYWORD_TEXT,
        weapon=st.none() | _KEYWORD_TEXT,
        quantity=st.none() | _INTEGERS,
        value=st.none() | money,
        stage=st.sampled_from([None, "proposed", "signed"]),
        sentence=st.text(),
    )
    return EnrichedArticle(
        article=draw(extreme_articles()),
        language=draw(_KEYWORD_TEXT),
        entities=draw(st.lists(entity, max_size=3)),
        persons=draw(keywords),
        organizations=draw(keywords),
        locations=draw(keywords),
        weapons=draw(keywords),
        countries=draw(keywords),
        topics=draw(keywords),
        topic_details=draw(st.lists(topic, max_size=2)),
        deals=draw(st.lists(deal, max_size=3)),
        story_bands=draw(keywords),
        warnings=draw(keywords),
    )


POSITIONS = st.none() | st.builds(
    KafkaPosition,
    topic=_KEYWORD_TEXT,
    partition=st.integers(-(2**40), 2**40),
    offset=st.integers(-(2**70), 2**70),
)
DATES = _DATES

# --- the mapping checker ---------------------------------------------------------------------

_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_FLOAT32_MAX = 3.4028234663852886e38
_MAX_TERM_BYTES = 32_766
# What Elasticsearch's default date format (strict_date_optional_time) reads: offsets in whole
# minutes up to ±18:00.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))?$")


def misfits(source: dict[str, Any], mapping: dict[str, Any]) -> list[str]:
    """Every value of `source` that the mapping (of `index.template.mappings`) refuses: with
    strict dynamics, an unknown field; integers out of range; floats that are not finite; dates
    Elasticsearch cannot parse; keywords over Lucene's term limit; strings no encoder takes."""
    problems: list[str] = []
    _check_object(source, mapping["properties"], "", problems)
    return problems


def _check_object(value: Any, properties: dict[str, Any], path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path or 'document'}: {type(value).__name__} where an object goes")
        return
    for name, item in value.items():
        spec = properties.get(name)
        if spec is None:
            problems.append(f"{path}{name}: not in the mapping")
            continue
        for element in item if isinstance(item, list) else [item]:
            if element is None:
                continue
            if "properties" in spec:
                _check_object(element, spec["properties"], f"{path}{name}.", problems)
            else:
                _check_leaf(element, spec, f"{path}{name}", problems)


def _check_leaf(value: Any, spec: dict[str, Any], path: str, problems: list[str]) -> None:
    kind = spec["type"]
    if kind in _RANGES:
        low, high = _RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{path}: {value!r} is no {kind}")
    elif kind in ("float", "double", "half_float"):
        limit = _FLOAT32_MAX if kind == "float" else math.inf
        if not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > limit:
            problems.append(f"{path}: {value!r} is no finite {kind}")
    elif kind == "date":
        _check_date(value, path, problems)
    elif kind in ("keyword", "text"):
        _check_string(value, spec, path, problems)
    else:
        problems.append(f"{path}: the checker does not know type {kind!r}")


def _check_date(value: Any, path: str, problems: list[str]) -> None:
    found = _DATE.match(value) if isinstance(value, str) else None
    if found is None:
        problems.append(f"{path}: {value!r} is not a date Elasticsearch reads")
    elif found.group(4) and (int(found.group(4)), int(found.group(5))) > (18, 0):
        problems.append(f"{path}: {value!r} has an offset beyond ±18:00")


def _check_string(value: Any, spec: dict[str, Any], path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"{path}: {type(value).__name__} where a string goes")
        return
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        problems.append(f"{path}: a string no UTF-8 encoder takes")
        return
    for field in [spec, *spec.get("fields", {}).values()]:
        if field["type"] != "keyword":
            continue
        ignored = field.get("ignore_above") is not None and len(value) > field["ignore_above"]
        if not ignored and size > _MAX_TERM_BYTES:
            problems.append(f"{path}: a keyword of {size} bytes, over Lucene's term limit")
