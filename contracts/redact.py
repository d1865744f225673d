"""What people are shown of credentials: never the credential.

One home for masking, shared by logs, error messages, CLI output and API answers.
"""

import re
from urllib.parse import urlsplit

MASK = "**********"

# user:password@ (or a token@) after the '//' of any URL, in any text; a comma ends it
# too, for the comma-separated lists of nodes settings take.
_USERINFO = re.compile(r"(//)[^/@,\s]+@")


def without_userinfo(text: str) -> str:
    """The text with the user:password@ of every URL in it masked:
    'http://elastic:secret@es:9200' -> 'http://**********@es:9200'."""
    return _USERINFO.sub(rf"\g<1>{MASK}@", text)


def masked_url(url: str) -> str:
    """The scheme and host of a URL, the rest masked: 'https://hooks.slack.com/…'.

    For URLs whose path or query is the credential (webhooks)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        # An unreadable URL (a bad port, a broken IPv6 literal) still must not be shown.
        return "(an invalid URL)"
    return f"{parts.scheme}://{host}/…"
