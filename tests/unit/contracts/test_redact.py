"""Credentials are masked wherever a URL is shown."""

import pytest

from contracts import masked_url, without_userinfo


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://elastic:s3cret@es:9200", "http://**********@es:9200"),
        ("https://token@es.example.com/", "https://**********@es.example.com/"),
        (
            "http://a:pw1@one:9200,http://b:pw2@two:9200",
            "http://**********@one:9200,http://**********@two:9200",
        ),
        ("cannot reach http://u:p@h:1/x: refused", "cannot reach http://**********@h:1/x: refused"),
        ("http://es:9200", "http://es:9200"),
        ("no url here, user@example.com", "no url here, user@example.com"),
    ],
)
def test_userinfo_of_every_url_in_a_text_is_masked(text: str, shown: str) -> None:
    assert without_userinfo(text) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T/B/SECRET", "https://hooks.slack.com/…"),
        ("https://user:pw@example.com:8443/p?token=x", "https://example.com:8443/…"),
        ("http://[::1]:99999/x", "(an invalid URL)"),
    ],
)
def test_a_masked_url_keeps_scheme_host_and_port_only(url: str, shown: str) -> None:
    assert masked_url(url) == shown
