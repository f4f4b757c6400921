"""Loopback servers, a fake resolver and one proxied Chromium per test module.

Layout of the SSRF tests: the "attacker" site listens on 127.0.0.2 and is the only socket the
proxy allows (``good.test`` resolves there); the canary listens on 127.0.0.1 on another port,
counts every TCP connection, and must never be reached (``evil.test`` resolves there).
"""

from __future__ import annotations

import http.server
import os
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from leadreel.integrations.browser import Browser
from leadreel.integrations.egress import EgressProxy

CHROMIUM = os.environ.get("LEADREEL_CHROMIUM", "/usr/bin/chromium")
SITE_IP = "127.0.0.2"
CANARY_IP = "127.0.0.1"


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class Site:
    """A threaded HTTP server whose pages tests add at run time; records request paths."""

    def __init__(self, host: str = SITE_IP) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                site.requests.append(self.path)
                page = site.pages.get(self.path.split("?", 1)[0])
                if page is None:
                    page = Page("<h1>not found</h1>", status=404)
                if page.delay_s:
                    time.sleep(page.delay_s)
                body = page.body.encode() if isinstance(page.body, str) else page.body
                try:
                    self.send_response(page.status)
                    self.send_header("Content-Type", page.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in page.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout tests)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "good.test") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Canary:
    """Counts every TCP connection on 127.0.0.1:<port>; answers plain HTTP 200 and closes."""

    def __init__(self, host: str = CANARY_IP) -> None:
        self.connections = 0
        self.first_lines: list[str] = []
        canary = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                canary.connections += 1
                self.request.settimeout(2)
                try:
                    data = self.request.recv(4096)
                    canary.first_lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                    body = b"canary"
                    self.request.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\nConnection: close\r\n\r\n"
                        + body
                    )
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server((host, 0), Handler)
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def vias(self) -> set[str]:
        """The ``via=`` markers of requests that reached the canary (positive controls)."""
        out = set()
        for line in self.first_lines:
            if "via=" in line:
                out.add(line.split("via=", 1)[1].split()[0].split("&")[0])
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def make_resolver(site_ip: str = SITE_IP) -> Callable[..., list[tuple]]:
    """getaddrinfo look-alike: good.test -> the allowed site, evil.test -> loopback."""
    table = {
        "good.test": [site_ip],
        "evil.test": ["127.0.0.1"],
        "localhost": ["127.0.0.1"],
        "mixed.test": ["8.8.8.8", "10.0.0.5"],
        "metadata.test": ["169.254.169.254"],
        "mapped.test": ["::ffff:127.0.0.1"],
    }

    def resolve(host: str, port: int, family: int = 0, type: int = 0, *args: object) -> list:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for ip in table[host]:
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            sockaddr = (ip, port, 0, 0) if fam == socket.AF_INET6 else (ip, port)
            out.append((fam, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    return resolve


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.close()


@pytest.fixture(scope="module")
def proxy(site: Site) -> Iterator[EgressProxy]:
    with EgressProxy(
        allow=[f"{SITE_IP}:{site.port}"], resolver=make_resolver(), idle_timeout=10
    ) as egress:
        yield egress


@pytest.fixture(scope="module")
def chromium(proxy: EgressProxy) -> Iterator[Browser]:
    """One Chromium for the whole module (launch costs ~0.5 s), behind the filtering proxy."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium")
    with Browser(proxy=proxy, executable_path=CHROMIUM) as browser:
        yield browser
