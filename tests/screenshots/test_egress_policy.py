"""Pure policy tests: every address family and disguise the proxy must refuse."""

from __future__ import annotations

import ipaddress

import pytest

from leadreel.integrations.egress import (
    AllowRule,
    EgressRefused,
    check_url,
    is_forbidden_address,
)
from leadreel.integrations.egress_policy import parse_host_ip

FORBIDDEN = {
    # IPv4
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "0.0.0.0": "this-network",
    "0.1.2.3": "this-network",
    "10.0.0.1": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "169.254.1.1": "link-local",
    "169.254.169.254": "metadata",
    "169.254.170.2": "metadata",
    "100.100.100.200": "metadata",
    "100.64.0.1": "carrier-grade NAT",
    "100.127.255.255": "carrier-grade NAT",
    "192.0.0.9": "IETF",
    "192.0.2.1": "private",  # TEST-NET-1 (documentation)
    "198.18.0.1": "benchmarking",
    "198.51.100.7": "private",
    "203.0.113.9": "private",
    "192.88.99.1": "6to4 relay",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    # IPv6
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "fec0::1": "site-local",
    "ff02::1": "multicast",
    "ff05::2": "multicast",
    "2001:db8::1": "private",
    "fd00:ec2::254": "metadata",
    "100::1": "discard",
    "2001::1": "Teredo",
    "64:ff9b:1::1": "local-use NAT64",
    # IPv4 hidden in IPv6
    "::ffff:127.0.0.1": "IPv4-mapped IPv6 of loopback",
    "::ffff:7f00:1": "IPv4-mapped IPv6 of loopback",
    "::ffff:10.0.0.1": "IPv4-mapped IPv6 of private",
    "::ffff:169.254.169.254": "IPv4-mapped IPv6 of cloud metadata",
    "::127.0.0.1": "IPv4-compatible IPv6 of loopback",
    "::8.8.8.8": "IPv4-compatible IPv6 (deprecated)",
    "::ffff:0:7f00:1": "reserved",  # IPv4-translated
    "2002:7f00:1::": "6to4 of loopback",
    "2002:a9fe:a9fe::1": "6to4 of cloud metadata",
    "2002:c0a8:101::": "6to4 of private",
    "64:ff9b::7f00:1": "NAT64 of loopback",
    "64:ff9b::a00:1": "NAT64 of private",
    "64:ff9b::a9fe:a9fe": "NAT64 of cloud metadata",
}

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.32.0.1",  # just above 172.16/12
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # mapped, public: what dual-stack resolvers hand out
    "64:ff9b::808:808",  # NAT64 of a public address (DNS64 networks)
    "2002:808:808::1",  # 6to4 of a public address
]


@pytest.mark.parametrize(("ip", "reason"), sorted(FORBIDDEN.items()))
def test_forbidden_addresses(ip: str, reason: str) -> None:
    got = is_forbidden_address(ip)
    assert got is not None, ip
    assert reason.lower() in got.lower(), (ip, got)


@pytest.mark.parametrize("ip", ALLOWED)
def test_global_addresses_allowed(ip: str) -> None:
    assert is_forbidden_address(ip) is None


def test_accepts_address_objects_and_rejects_garbage() -> None:
    assert is_forbidden_address(ipaddress.ip_address("127.0.0.1")) == "loopback"
    assert is_forbidden_address(ipaddress.ip_address("8.8.4.4")) is None
    assert is_forbidden_address("not-an-ip") == "not an IP address"
    assert is_forbidden_address("[::1]") == "loopback"


@pytest.mark.parametrize(
    ("host", "ip"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("[::1]", "::1"),
        ("example.com", None),
        ("cafe.de", None),
        ("1.2.3.4.5", None),
    ],
)
def test_parse_host_ip_legacy_forms(host: str, ip: str | None) -> None:
    got = parse_host_ip(host)
    assert (str(got) if got else None) == ip


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com:8080/path?q=1#x",
        "HTTPS://Example.COM/",
        "https://93.184.216.34/",
        "https://[2606:4700:4700::1111]/",
    ],
)
def test_check_url_accepts(url: str) -> None:
    assert check_url(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.com/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("data:text/html,hi", "scheme"),
        ("chrome://settings", "scheme"),
        ("example.com", "scheme"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://user@example.com/", "credentials"),
        ("https://example.com\\@evil.test/", "credentials"),
        ("http://", "no host"),
        ("https://exa mple.com/", "control"),
        ("https://example.com/\n", "example.com/"),  # trailing whitespace is stripped: ok
        ("http://127.0.0.1/", "loopback"),
        ("http://localhost.:80@127.0.0.1/", "credentials"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://[::1]:8080/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://10.0.0.1/", "private"),
        ("http://example.com:99999/", "malformed"),
        ("", "empty"),
        ("https://" + "a" * 3000 + ".com", "overlong"),
    ],
)
def test_check_url_refuses(url: str, reason: str) -> None:
    if reason == "example.com/":
        assert check_url(url) == "https://example.com/"
        return
    with pytest.raises(EgressRefused) as info:
        check_url(url)
    assert reason.lower() in info.value.reason.lower()


def test_check_url_allow_predicate_lets_test_server_through() -> None:
    allowed = AllowRule.parse("127.0.0.2:8080")
    assert check_url("http://127.0.0.2:8080/", is_allowed=allowed.matches)
    with pytest.raises(EgressRefused):
        check_url("http://127.0.0.2:8081/", is_allowed=allowed.matches)
    with pytest.raises(EgressRefused):
        check_url("http://127.0.0.1:8080/", is_allowed=allowed.matches)


@pytest.mark.parametrize(
    ("spec", "ip", "port", "ok"),
    [
        ("127.0.0.2:8080", "127.0.0.2", 8080, True),
        ("127.0.0.2:8080", "127.0.0.2", 8081, False),
        ("127.0.0.2:8080", "127.0.0.1", 8080, False),
        ("10.0.0.0/8", "10.2.3.4", 443, True),
        ("10.0.0.0/8", "11.2.3.4", 443, False),
        ("[::1]:9000", "::1", 9000, True),
        ("::1", "::1", 1234, True),
    ],
)
def test_allow_rule(spec: str, ip: str, port: int, ok: bool) -> None:
    assert AllowRule.parse(spec).matches(ipaddress.ip_address(ip), port) is ok


def test_allow_rule_rejects_hostnames() -> None:
    with pytest.raises(ValueError, match="allow rule"):
        AllowRule.parse("good.test:80")
