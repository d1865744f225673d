"""Which articles of a batch are new, and so alert."""

from datetime import UTC, datetime

from alerts import new_articles
from contracts.models import Article, EnrichedArticle, KafkaPosition, ReceivedArticle
from index.documents import ArticleDocument, build_document

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def received(
    article_id: str, offset: int, title: str = "Talks"
) -> tuple[ReceivedArticle, ArticleDocument]:
    article = Article.model_validate(
        {"id": article_id, "title": title, "body": "Talks were held.",
         "published_at": "2026-11-27T10:00:00Z", "source": "Test Wire"}
    )  # fmt: skip
    position = KafkaPosition(topic="articles", partition=0, offset=offset)
    item = ReceivedArticle(article=article, position=position, value=b"{}",
                           published_to_kafka_at=NOW)  # fmt: skip
    document = build_document(EnrichedArticle(article=article, language="en"), position, NOW)
    return item, document


def test_only_articles_the_index_did_not_hold_before_the_batch_are_new() -> None:
    batch = [received("old", 0), received("new", 1)]
    items, documents = zip(*batch, strict=True)

    new = new_articles(items, documents, stored={"old"})

    assert [document.id for _, document in new] == ["new"]


def test_of_two_copies_of_one_article_in_a_batch_only_the_last_written_is_new() -> None:
    batch = [received("a", 0, "First version"), received("a", 1, "Second version")]
    items, documents = zip(*batch, strict=True)

    ((item, document),) = new_articles(items, documents, stored=set())

    assert (item.position.offset, document.title) == (1, "Second version")
