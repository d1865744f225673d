"""An Elasticsearch URL given with user:password@ never shows its password in an error."""

import socket

import pytest

from index import ArticleIndex, IndexingError, IndexSettings


@pytest.fixture
def credentialed() -> IndexSettings:
    # A port nothing listens on: every call fails to connect, at once.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    return IndexSettings(
        elasticsearch_url=f"http://elastic:s3cret-pw@127.0.0.1:{port}",
        request_timeout_s=2,
        max_retries=0,
    )


async def test_a_failed_setup_and_search_name_the_cluster_without_its_password(
    credentialed: IndexSettings,
) -> None:
    async with ArticleIndex(credentialed) as index:
        with pytest.raises(IndexingError) as setup:
            await index.setup()
        with pytest.raises(IndexingError) as search:
            await index.search("countries:VE")
    for error in (setup.value, search.value):
        assert "s3cret-pw" not in str(error)
    assert "http://**********@127.0.0.1:" in str(search.value)
