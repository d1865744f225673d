"""Which articles of a batch are new, and so alert."""

from datetime import UTC, datetime

from alerts import MatchedArticle, Rule, new_articles
from contracts.models import Article, EnrichedArticle, KafkaPosition, ReceivedArticle
from index.documents import build_document

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RULE = Rule(id="all", name="Everything", query="*", created_at=NOW)


def matched(
    article_id: str, offset: int, title: str = "Talks", *, rules: tuple[Rule, ...] = (RULE,)
) -> MatchedArticle:
    article = Article.model_validate(
        {"id": article_id, "title": title, "body": "Talks were held.",
         "published_at": "2026-11-27T10:00:00Z", "source": "Test Wire"}
    )  # fmt: skip
    position = KafkaPosition(topic="articles", partition=0, offset=offset)
    item = ReceivedArticle(article=article, position=position, value=b"{}",
                           published_to_kafka_at=NOW)  # fmt: skip
    document = build_document(EnrichedArticle(article=article, language="en"), position, NOW)
    return MatchedArticle(item, document, rules)


def test_only_articles_the_index_did_not_hold_before_the_batch_are_new() -> None:
    new = new_articles([matched("old", 0), matched("new", 1)], stored={"old"})

    assert [article.document.id for article in new] == ["new"]


def test_an_article_no_rule_matched_does_not_alert_and_needs_no_lookup() -> None:
    # `stored` names only the matched documents: one no rule matched is never looked up.
    new = new_articles([matched("quiet", 0, rules=()), matched("loud", 1)], stored=set())

    assert [article.document.id for article in new] == ["loud"]


def test_of_two_copies_of_one_article_in_a_batch_only_the_last_written_is_new() -> None:
    batch = [matched("a", 0, "First version"), matched("a", 1, "Second version")]

    (article,) = new_articles(batch, stored=set())

    assert (article.received.position.offset, article.document.title) == (1, "Second version")


def test_of_two_copies_only_the_last_alerts_even_when_only_the_first_matched() -> None:
    # The first version is overwritten by the second in the same bulk: its alert would point
    # at words the index no longer holds.
    batch = [matched("a", 0, "Arms deal"), matched("a", 1, "Talks", rules=())]

    assert new_articles(batch, stored=set()) == []
