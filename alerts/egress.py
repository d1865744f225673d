"""Where webhooks may be sent: public addresses only, unless a setting allows more.

A webhook URL is user input that makes the service connect somewhere: without a policy a
rule could reach the cloud metadata service (169.254.169.254), the Elasticsearch cluster
behind the firewall, or anything on loopback (server-side request forgery). Pure: no I/O,
no name resolution; callers resolve the host and hand every address in for checking.
"""

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "WIREWATCH_ALERTS__WEBHOOK_ALLOWED_DESTINATIONS"

# Named ranges, so that a refusal says what the address is; anything else that is not a
# globally reachable address is refused all the same (the catch-all in `refusal`).
_FORBIDDEN: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), what)
    for network, what in (
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("10.0.0.0/8", "a private (RFC 1918) address"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (cloud metadata services live there)"),
        ("172.16.0.0/12", "a private (RFC 1918) address"),
        ("192.168.0.0/16", "a private (RFC 1918) address"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        # IPv4-compatible (::a.b.c.d), IPv4-translated and the rest of ::/8 (mapped
        # ::ffff:a.b.c.d is judged by its IPv4 address before this table).
        ("::/8", "a reserved address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local (private) address"),
        ("3fff::/20", "a documentation address"),
        ("fc00::/7", "a unique local (private) address"),
        ("ff00::/8", "a multicast address"),
    )
)

# IPv6 ranges that carry an IPv4 address: the IPv4 address inside is what is reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_IPV4_PART = re.compile(r"0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*")


class EgressRefusedError(ValueError):
    """A webhook destination the policy refuses; the message says why and what to do."""


def normalized_host(host: str) -> str:
    """The host as compared: lower case, without the trailing dot of a fully qualified name."""
    return host.lower().rstrip(".")


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    # inet_aton's forms, which resolvers and browsers still accept: 2130706433, 0x7f.1,
    # 0177.0.0.1, 127.1. Each part decimal, octal (leading 0) or hex (0x); the last part
    # fills the bytes the others leave.
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    values = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif part.startswith("0") and len(part) > 1:
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for position, value in enumerate(leading):
        number += value << (8 * (3 - position))
    return ipaddress.IPv4Address(number)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host names literally (IPv6 without brackets, IPv4 also in its
    decimal, octal and hexadecimal forms), or None for a host name."""
    host = normalized_host(host.strip("[]"))
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return _legacy_ipv4(host)


def _embedded(address: IPAddress) -> IPAddress:
    # The IPv4 address an IPv6 one stands for (mapped ::ffff:a.b.c.d, 6to4, NAT64).
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal(address: IPAddress) -> str | None:
    """What makes the address no place for a webhook ('a loopback address', ...), or None
    for a public one. IPv6 forms of an IPv4 address are judged by the IPv4 address."""
    address = _embedded(address)
    for network, what in _FORBIDDEN:
        if address in network:
            return what
    if not address.is_global:
        return "not a public address (reserved, documentation or special-purpose)"
    return None


@dataclass(frozen=True)
class EgressPolicy:
    """Public addresses only, plus the networks and host names allowed by the setting."""

    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def allowing(cls, entries: Iterable[str]) -> "EgressPolicy":
        """The policy allowing `entries`: CIDR networks or addresses ('10.0.0.0/8',
        '127.0.0.1', '::1') and exact host names ('hooks.internal'); raises ValueError
        naming an entry that is neither."""
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for entry in entries:
            text = entry.strip()
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
                continue
            except ValueError:
                pass
            name = normalized_host(text)
            if not name or not all(_LABEL.fullmatch(label) for label in name.split(".")):
                raise ValueError(f"{entry!r} is neither a CIDR network, an address nor a host name")
            names.add(name)
        return cls(networks=tuple(networks), names=frozenset(names))

    def allows_name(self, host: str) -> bool:
        """Whether the host name is allowed whatever it resolves to."""
        return normalized_host(host) in self.names

    def check_address(self, host: str, address: IPAddress | str) -> None:
        """Raises EgressRefusedError unless a webhook may connect to `address` (one that
        `host` names or resolves to)."""
        if isinstance(address, str):
            # A link-local IPv6 address resolved with its zone: fe80::1%eth0.
            address = ipaddress.ip_address(address.split("%", 1)[0])
        judged = _embedded(address)
        if any(judged in network or address in network for network in self.networks):
            return
        what = refusal(address)
        if what is not None:
            shown = normalized_host(host.strip("[]"))
            named = shown if shown == str(address) else f"{shown} ({address})"
            raise EgressRefusedError(
                f"webhook host {named} is {what}; webhooks go to public addresses only. "
                f"Allow it with {ALLOW_SETTING} if it is meant to be reached."
            )

    def check_addresses(self, host: str, addresses: Iterable[IPAddress | str]) -> None:
        """Checks every address a host name resolved to: one forbidden refuses the host (a
        name may return a public and a private address, in any order)."""
        if self.allows_name(host):
            return
        for address in addresses:
            self.check_address(host, address)

    def check_url(self, url: str) -> str | None:
        """Checks what can be checked without resolving: http(s) only, no user:password@,
        and a literal address (any form) within the policy. Returns the host name still to
        resolve and check, or None when the host was an address or an allowed name."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise EgressRefusedError("a webhook URL must start with http:// or https://")
        if "@" in parts.netloc or "\\" in url:
            # Userinfo (and backslashes, which some parsers read as '/') are how URLs are
            # made to look like one host and go to another.
            raise EgressRefusedError(
                "a webhook URL must not carry user:password@ (or a backslash): put a "
                "credential in its path or query"
            )
        host = parts.hostname
        if not host:
            raise EgressRefusedError("a webhook URL must name a host")
        if "%" in host:
            raise EgressRefusedError(f"webhook host {host!r} is a scoped IPv6 address")
        address = literal_address(host)
        if address is not None:
            self.check_address(host, address)
            return None
        if self.allows_name(host):
            return None
        return normalized_host(host)
