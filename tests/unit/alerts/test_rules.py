"""Rules are validated before they are stored, and their webhook URLs never shown in full."""

from datetime import UTC, datetime

import pytest
from elasticsearch import AsyncElasticsearch

from alerts import AlertSettings, EgressPolicy, InvalidRuleError, Rule, RuleStore, parse_draft
from alerts.rules import check_destinations, rules_mappings
from contracts.redact import masked_url
from matcher import UnsupportedMappingError

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"


def test_a_draft_strips_whitespace_and_enables_by_default() -> None:
    draft = parse_draft({"name": "  Venezuela ", "query": " countries:VE ", "webhooks": [SLACK]})

    assert (draft.name, draft.query, draft.enabled) == ("Venezuela", "countries:VE", True)
    assert draft.webhooks[0].get_secret_value() == SLACK


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"name": "", "query": "a:b"}, "name"),
        ({"name": "n", "query": "   "}, "query"),
        ({"name": "n", "query": "a:b", "webhooks": ["ftp://example.com/x"]}, "http(s)"),
        ({"name": "n", "query": "a:b", "webhooks": ["https://"]}, "http(s)"),
        ({"name": "n", "query": "a:b", "webhooks": ["https://h:99999/x"]}, "port"),
        ({"name": "n", "query": "a:b", "webhooks": ["https://h/a b"]}, "spaces"),
        ({"name": "n", "query": "a:b", "colour": "red"}, "colour"),
    ],
)
def test_invalid_drafts_are_refused_saying_which_field(
    data: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidRuleError, match="the rule is invalid") as refused:
        parse_draft(data)

    assert problem in str(refused.value)
    assert "Value error" not in str(refused.value)


def test_webhook_urls_are_masked_for_people_and_kept_for_delivery() -> None:
    rule = Rule.model_validate(
        {
            "id": "r1",
            "name": "n",
            "query": "a:b",
            "webhooks": [SLACK, "http://10.0.0.1:8080/h"],
            "created_at": datetime(2026, 11, 27, tzinfo=UTC),
        }
    )

    assert rule.public()["webhooks"] == ["https://hooks.slack.com/…", "http://10.0.0.1:8080/…"]
    assert rule.stored()["webhooks"] == [SLACK, "http://10.0.0.1:8080/h"]
    assert rule.webhook_urls()[0] == SLACK
    assert "SECRET" not in repr(rule)
    assert "SECRET" not in rule.model_dump_json()
    assert Rule.model_validate(rule.stored()) == rule


def test_masked_url_keeps_scheme_host_and_port_only() -> None:
    assert (
        masked_url("https://user:pw@example.com:8443/path?token=x") == "https://example.com:8443/…"
    )


def test_the_rules_mapping_is_strict_and_keeps_webhooks_out_of_search() -> None:
    mappings = rules_mappings()

    assert mappings["dynamic"] == "strict"
    assert mappings["properties"]["webhooks"]["index"] is False
    fields = set(Rule.model_fields)
    assert fields == set(mappings["properties"])


async def test_rules_are_refused_for_an_analyzer_the_matcher_does_not_emulate() -> None:
    # With 'english' Elasticsearch stems words and the matcher would silently disagree.
    client = AsyncElasticsearch("http://127.0.0.1:9")
    try:
        with pytest.raises(UnsupportedMappingError, match="english"):
            RuleStore(client, AlertSettings(), text_analyzer="english")
        assert RuleStore(client, AlertSettings()).catalog.fields["title"]
    finally:
        await client.close()


async def test_webhooks_the_egress_policy_refuses_are_named_by_position_and_reason() -> None:
    policy = EgressPolicy()

    await check_destinations(["https://8.8.8.8/hook"], policy, timeout_s=1)
    with pytest.raises(InvalidRuleError, match=r"webhooks\.1: webhook host 127\.0\.0\.1 is a loop"):
        await check_destinations(
            ["https://8.8.8.8/hook", "http://127.0.0.1/hook/SECRET"], policy, timeout_s=1
        )
    # A name is judged by what it resolves to now.
    with pytest.raises(InvalidRuleError, match=r"webhooks\.0: webhook host localhost \(") as name:
        await check_destinations(["http://localhost:8080/hook/SECRET"], policy, timeout_s=5)
    assert "SECRET" not in str(name.value)
    await check_destinations(
        ["http://localhost:8080/hook"], EgressPolicy.allowing(["localhost"]), timeout_s=5
    )
