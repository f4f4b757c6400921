"""Pure egress policy: which IP addresses and URLs the screenshot browser may reach.

Kept apart from the proxy so the rules can be unit-tested exhaustively without sockets.
Python's ``ipaddress.is_global`` alone is not enough (it calls multicast, site-local
``fec0::/10`` and NAT64 ``64:ff9b::/96`` global, and knows nothing about IPv4 hidden inside
IPv6), so the checks below unwrap embedded IPv4 first and name each refused range.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = [
    "AllowRule",
    "EgressRefused",
    "IPAddress",
    "check_url",
    "is_forbidden_address",
    "parse_host_ip",
]


class EgressRefused(ValueError):
    """A URL or address the screenshot browser must not reach; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: Cloud metadata endpoints, named so logs say what an attacker was after.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS resolver
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
        "fd00:ec2::254",  # AWS IPv6 IMDS
        "fd00:ec2::253",
    )
)

# Ranges refused with their own name, checked before Python's generic flags.
_NAMED_V4: tuple[tuple[_V4, str], ...] = (
    (_V4("0.0.0.0/8"), "this-network (0.0.0.0/8)"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"),
    (_V4("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"),
    (_V4("192.88.99.0/24"), "6to4 relay anycast (192.88.99.0/24)"),
    (_V4("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"),
    (_V4("255.255.255.255/32"), "broadcast"),
)
_NAMED_V6: tuple[tuple[_V6, str], ...] = (
    (_V6("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
    (_V6("2001::/32"), "Teredo (2001::/32)"),
    (_V6("fc00::/7"), "unique local (fc00::/7)"),
    (_V6("fec0::/10"), "site-local (fec0::/10)"),
    (_V6("100::/64"), "discard-only (100::/64)"),
)
_NAT64 = _V6("64:ff9b::/96")


def is_forbidden_address(ip: str | IPAddress) -> str | None:
    """Return why ``ip`` must not be contacted, or None when it is a public unicast address."""
    if isinstance(ip, str):
        try:
            ip = ipaddress.ip_address(ip.split("%", 1)[0].strip("[]"))
        except ValueError:
            return "not an IP address"
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            kind, v4 = embedded
            inner = is_forbidden_address(v4)
            if inner:
                return f"{kind} of {inner}"
            if kind == "IPv4-compatible IPv6":
                return "IPv4-compatible IPv6 (deprecated)"
            return None
        named = _NAMED_V6
    else:
        named = _NAMED_V4  # type: ignore[assignment]
    for network, label in named:
        if ip in network:
            return label
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved range"
    if ip.is_private:
        return "private network"
    if not ip.is_global:
        return "not globally routable"
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """IPv4 hidden in IPv6 forms that stacks or gateways will turn back into IPv4."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped IPv6", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:
        return "IPv4-compatible IPv6", ipaddress.IPv4Address(packed[12:])
    return None


_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.I)


def parse_host_ip(host: str) -> IPAddress | None:
    """The IP a URL host denotes, including legacy forms browsers accept (``2130706433``,
    ``0x7f.1``, ``017700000001``) that ``ipaddress`` rejects; None for a DNS name."""
    host = host.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def check_url(url: str, *, is_allowed: Callable[[IPAddress, int], bool] | None = None) -> str:
    """Pre-flight a URL before the browser navigates to it; returns it stripped.

    The proxy is what enforces the policy for every request; this catches the obvious cases
    early with a clear reason (non-http scheme, credentials, forbidden IP literal) so a lead's
    error message says what was wrong instead of "tunnel connection failed".
    """
    if not isinstance(url, str):
        raise EgressRefused("URL must be a string")
    url = url.strip()
    if not url or len(url) > 2048:
        raise EgressRefused("empty or overlong URL")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise EgressRefused("control character or space in URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EgressRefused("malformed URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise EgressRefused(f"scheme {parts.scheme or '(none)'!r} not allowed")
    if "@" in parts.netloc or "\\" in url.split("?", 1)[0]:
        raise EgressRefused("credentials in URL")
    host = parts.hostname or ""
    if not host:
        raise EgressRefused("no host in URL")
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    ip = parse_host_ip(host)
    if ip is not None and not (is_allowed and is_allowed(ip, port)):
        reason = is_forbidden_address(ip)
        if reason:
            raise EgressRefused(reason)
    return url


@dataclass(frozen=True)
class AllowRule:
    """An explicit exception to the address filter: a network, optionally one port only."""

    network: _V4 | _V6
    port: int | None = None

    @classmethod
    def parse(cls, spec: str | AllowRule | _V4 | _V6) -> AllowRule:
        """Accept ``"127.0.0.2:8080"``, ``"[::1]:8080"``, ``"10.0.0.0/8"`` or a network object."""
        if isinstance(spec, AllowRule):
            return spec
        if isinstance(spec, _V4 | _V6):
            return cls(spec)
        text = spec.strip()
        port: int | None = None
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            if rest:
                port = int(rest.removeprefix(":"))
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = int(port_text)
        else:
            host = text
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            raise ValueError(f"allow rule {spec!r}: expected ip[:port] or a CIDR network") from None
        return cls(network, port)

    def matches(self, ip: IPAddress, port: int) -> bool:
        return ip in self.network and (self.port is None or self.port == port)
