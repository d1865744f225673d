"""Deterministic document ids, so that a redelivered article overwrites instead of duplicating."""

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Elasticsearch refuses `_id`s longer than 512 bytes.
MAX_ID_BYTES = 512

# Query parameters that track the reader rather than name the article.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "ref_src", "cmpid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The form of `url` shared by its trivial variants.

    Lower-cases scheme and host, drops the default port, the fragment, tracking parameters
    (utm_*, fbclid, ...) and a trailing slash, and sorts the remaining query parameters.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or ""
    query = urlencode(
        sorted(
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
        )
    )
    return urlunsplit((scheme, host, path, query, ""))


def document_id(article_id: str | None, url: str | None) -> str:
    """The Elasticsearch `_id` of an article: its `id`, else its canonical URL.

    Ids too long for Elasticsearch are replaced by their SHA-256, which stays deterministic.
    """
    if article_id:
        derived = article_id
    elif url:
        derived = canonical_url(url)
    else:
        raise ValueError("an article needs an id or a url to be identified")
    if len(derived.encode()) > MAX_ID_BYTES:
        return "sha256:" + hashlib.sha256(derived.encode()).hexdigest()
    return derived
