"""Who may use the rules and alerts API: bearer tokens of a read and a write role.

Tokens come from WIREWATCH_SERVICE__API_{READ,WRITE}_TOKENS and the files named by
..._TOKENS_FILE, read once at start. Without any token the API is open, which is allowed
only on a loopback address: `ApiAccess.from_settings` refuses anything else.
"""

import hmac
import ipaddress
import re
from enum import Enum
from pathlib import Path

from pydantic import SecretStr

from alerts.errors import ApiAccessError
from alerts.interfaces import AccessSettings

# RFC 6750's b64token: what a client can send in an Authorization header unescaped.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SEPARATORS = re.compile(r"[,\s]+")
# Long enough that guessing is hopeless, and that placeholders like "change-me" are refused.
MIN_TOKEN_CHARS = 16
_VARIABLE = "WIREWATCH_SERVICE__API_{role}_TOKENS"
_GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class Role(Enum):
    """What a token may do: read the rules and alerts, or also change the rules."""

    READ = "read"
    WRITE = "write"


def is_loopback(host: str) -> bool:
    """True when `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        # Any other name (or "" for every interface) may resolve beyond this machine.
        return False


class ApiAccess:
    """The configured tokens of each role; `role` tells what a presented token may do."""

    def __init__(self, read: list[str], write: list[str]) -> None:
        self._read = [token.encode() for token in read]
        self._write = [token.encode() for token in write]

    @property
    def open(self) -> bool:
        """No token configured: every request may read and write (loopback only)."""
        return not self._read and not self._write

    @classmethod
    def from_settings(cls, settings: AccessSettings) -> "ApiAccess":
        """The tokens of both roles, files read now; raises ApiAccessError when one is
        unusable, or when there is none and the API would listen beyond loopback."""
        read = _tokens("READ", settings.api_read_tokens, settings.api_read_tokens_file)
        write = _tokens("WRITE", settings.api_write_tokens, settings.api_write_tokens_file)
        access = cls(read, write)
        if access.open and not is_loopback(settings.http_host):
            raise ApiAccessError(
                f"refusing to serve the rules API without authentication on "
                f"{settings.http_host or 'every interface'} (WIREWATCH_SERVICE__HTTP_HOST): "
                "set WIREWATCH_SERVICE__API_WRITE_TOKENS_FILE (and ..._API_READ_TOKENS_FILE), "
                "files of tokens such as a mounted Kubernetes Secret, or "
                "WIREWATCH_SERVICE__API_WRITE_TOKENS (and ..._API_READ_TOKENS); "
                f"make a token with `{_GENERATE}`. "
                "Or set WIREWATCH_SERVICE__HTTP_HOST=127.0.0.1 to serve this machine alone."
            )
        return access

    def role(self, presented: str) -> Role | None:
        """The role of `presented`, None when it is no configured token.

        Compared in constant time with every configured token (no early exit), so the
        answer's timing tells nothing about which token, or how much of one, was close.
        """
        candidate = presented.encode("utf-8", "surrogateescape")
        write = False
        for token in self._write:
            write |= hmac.compare_digest(candidate, token)
        read = False
        for token in self._read:
            read |= hmac.compare_digest(candidate, token)
        if write:
            return Role.WRITE
        return Role.READ if read else None


def _tokens(role: str, value: SecretStr | None, path: Path | None) -> list[str]:
    """The tokens of one role from its variable and its file, each checked."""
    variable = _VARIABLE.format(role=role)
    tokens: list[str] = []
    if value is not None:
        tokens += _checked(role, variable, _split(value.get_secret_value()))
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise ApiAccessError(
                f"cannot read the {role.lower()} tokens from {path} ({variable}_FILE): "
                f"{reason}. Mount the Secret there or fix the path."
            ) from None
        source = f"{variable}_FILE ({path})"
        if not _split(text):
            raise ApiAccessError(f"{source} has no token: put one a line, or unset it")
        tokens += _checked(role, source, _split(text))
    return tokens


def _checked(role: str, source: str, tokens: list[str]) -> list[str]:
    """`tokens` if each is long enough and sendable; the message names one by position and
    never shows it."""
    for number, token in enumerate(tokens, start=1):
        if len(token) < MIN_TOKEN_CHARS:
            raise ApiAccessError(
                f"{role.lower()} token {number} of {source} has {len(token)} characters, "
                f"fewer than {MIN_TOKEN_CHARS}: make one with `{_GENERATE}`"
            )
        if not _TOKEN.fullmatch(token):
            raise ApiAccessError(
                f"{role.lower()} token {number} of {source} has characters a bearer token "
                "cannot carry (letters, digits and -._~+/ then = only): make one with "
                f"`{_GENERATE}`"
            )
    return tokens


def _split(text: str) -> list[str]:
    """Tokens separated by commas or whitespace (newlines of a file), empty ones dropped."""
    return [token for token in _SEPARATORS.split(text) if token]
