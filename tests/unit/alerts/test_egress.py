"""The webhook egress policy: public addresses only, in every spelling, unless allowed."""

import ipaddress

import pytest

from alerts import EgressPolicy, EgressRefusedError
from alerts.egress import literal_address, refusal

DEFAULT = EgressPolicy()


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1.2.3:8080/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),  # decimal
        ("http://0x7f.1/hook", "loopback"),  # hex, short form
        ("http://0x7f000001/hook", "loopback"),
        ("http://0177.0.0.1/hook", "loopback"),  # octal
        ("http://127.1/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped
        ("http://[::ffff:7f00:1]/hook", "loopback"),
        ("http://[0:0:0:0:0:ffff:a9fe:a9fe]/latest", "link-local"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://172.16.0.1/hook", "private"),
        ("http://172.31.255.255/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://100.64.0.1/hook", "carrier-grade"),
        ("http://[fc00::1]/hook", "unique local"),
        ("http://[fd12:3456::1]/hook", "unique local"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://[ff02::1]/hook", "multicast"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://0/hook", "unspecified"),
        ("http://[::]/hook", "unspecified"),
        ("http://255.255.255.255/hook", "broadcast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("http://192.0.2.1/hook", "not a public address"),  # documentation
        ("http://[2002:7f00:1::1]/hook", "loopback"),  # 6to4 of 127.0.0.1
        ("http://[64:ff9b::a9fe:a9fe]/hook", "link-local"),  # NAT64 of 169.254.169.254
        ("http://[::127.0.0.1]/hook", "reserved"),  # IPv4-compatible
        ("http://[::ffff:0:7f00:1]/hook", "reserved"),  # IPv4-translated
        ("http://[64:ff9b:1::a]/hook", "NAT64"),
        ("http://[fec0::1]/hook", "site-local"),
        ("HTTP://127.0.0.1/hook", "loopback"),
        ("http://127.0.0.1./hook", "loopback"),
    ],
)
def test_forbidden_literal_hosts_are_refused_in_every_spelling(url: str, what: str) -> None:
    with pytest.raises(EgressRefusedError, match=what) as refused:
        DEFAULT.check_url(url)
    assert "WIREWATCH_ALERTS__WEBHOOK_ALLOWED_DESTINATIONS" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "gopher://hooks.example.com/",
        "http://hooks.example.com@127.0.0.1/x",
        "http://user:password@hooks.example.com/x",
        "http://127.0.0.1\\@hooks.example.com/x",
        "http:///x",
        "http://[fe80::1%25eth0]/x",
    ],
)
def test_other_schemes_userinfo_and_odd_hosts_are_refused(url: str) -> None:
    with pytest.raises(EgressRefusedError):
        DEFAULT.check_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://hooks.slack.com/services/T/B/x", "hooks.slack.com"),
        ("https://HOOKS.Example.COM./x", "hooks.example.com"),
        ("http://localhost:8080/x", "localhost"),  # a name: its addresses are checked later
    ],
)
def test_host_names_are_left_to_resolve(url: str, host: str) -> None:
    assert DEFAULT.check_url(url) == host


@pytest.mark.parametrize(
    "url",
    [
        "https://8.8.8.8/x",
        "http://[2606:4700:4700::1111]/x",
        "http://134744072/x",
        "http://[64:ff9b::808:808]/x",  # NAT64 of 8.8.8.8
    ],
)
def test_public_literal_addresses_are_allowed(url: str) -> None:
    assert DEFAULT.check_url(url) is None


def test_every_resolved_address_is_checked_and_one_forbidden_refuses_the_name() -> None:
    DEFAULT.check_addresses("hooks.example.com", ["93.184.216.34", "2606:2800:220:1::1"])
    with pytest.raises(EgressRefusedError, match=r"rebind\.example \(127\.0\.0\.1\)"):
        DEFAULT.check_addresses("rebind.example", ["93.184.216.34", "127.0.0.1"])
    with pytest.raises(EgressRefusedError, match="link-local"):
        DEFAULT.check_addresses("scoped.example", ["fe80::1%eth0"])
    with pytest.raises(EgressRefusedError, match="loopback"):
        DEFAULT.check_addresses("mapped.example", ["::ffff:127.0.0.1"])


def test_the_setting_allows_networks_and_exact_host_names() -> None:
    policy = EgressPolicy.allowing(["127.0.0.0/8", "::1", "10.1.2.3", "Hooks.Internal."])

    assert policy.check_url("http://127.0.0.1:8080/x") is None
    assert policy.check_url("http://[::ffff:127.0.0.1]/x") is None  # mapped: judged as IPv4
    assert policy.check_url("http://[::1]/x") is None
    assert policy.check_url("http://hooks.internal/x") is None
    policy.check_addresses("hooks.internal", ["192.168.0.9"])
    policy.check_addresses("localhost", ["127.0.0.1", "::1"])
    with pytest.raises(EgressRefusedError, match="private"):
        policy.check_url("http://10.1.2.4/x")
    with pytest.raises(EgressRefusedError, match="private"):
        policy.check_addresses("other.internal", ["192.168.0.9"])
    # Allowing a name does not allow its look-alikes.
    assert policy.check_url("http://hooks.internal.evil.example/x") == (
        "hooks.internal.evil.example"
    )


@pytest.mark.parametrize("entry", ["", "not a host", "-bad.example", "10.0.0.0/33", "a/b"])
def test_the_setting_refuses_entries_that_are_neither_network_nor_name(entry: str) -> None:
    with pytest.raises(ValueError, match="neither"):
        EgressPolicy.allowing([entry])


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7F.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("[::1]", "::1"),
        ("8.8.8.8.", "8.8.8.8"),
    ],
)
def test_literal_addresses_are_read_as_resolvers_read_them(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host", ["example.com", "4294967296", "256.1.1.1", "1.2.3.4.5", "08.1.1.1", "1e3"]
)
def test_names_and_out_of_range_numbers_are_no_literal_address(host: str) -> None:
    assert literal_address(host) is None


def test_public_addresses_have_no_refusal() -> None:
    assert refusal(ipaddress.ip_address("1.1.1.1")) is None
    assert refusal(ipaddress.ip_address("2a00:1450:4001::200e")) is None
