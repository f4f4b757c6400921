"""Egress filter for headless Chromium: every byte the browser sends leaves through here.

Lead CSVs are untrusted, so a lead's "website" may point at 127.0.0.1, the cloud metadata
service, or a hostname that resolves there (or that re-resolves there after a first check:
DNS rebinding). Chromium is launched with this proxy as its only route out, so redirects,
iframes, subresources and script-initiated requests are all judged here, at connect time:

* the target host is resolved exactly once, every address is checked by
  :func:`is_forbidden_address`, and the upstream socket is opened to one of *those* addresses
  (never to the name again), so a second DNS answer cannot change where we connect;
* only the configured ports (80/443 by default) and http/https are allowed;
* refusals answer ``403`` with a short reason and are logged as host, port and reason only
  (never paths or query strings, which can carry tokens).

Tests allow a loopback server through an explicit allow-list of ``ip:port`` sockets or
networks, matched against the *resolved* address, not the name the page used.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import re
import select
import socket
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from leadreel.integrations.egress_policy import (
    AllowRule,
    EgressRefused,
    IPAddress,
    check_url,
    is_forbidden_address,
    parse_host_ip,
)
from leadreel.integrations.egress_wire import (
    origin_form_head,
    parse_absolute,
    pump,
    read_head,
    relay_response_closing,
    reply,
    shutdown,
    split_hostport,
)

__all__ = [
    "AllowRule",
    "EgressProxy",
    "EgressRefused",
    "Refusal",
    "check_url",
    "is_forbidden_address",
]

log = logging.getLogger("leadreel.egress")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def safe_path(path: str, prefix: str) -> bool:
    """``path`` (query dropped) lies under ``prefix``: plain characters only, no ``..``,
    no percent-escapes (which a server might decode into ``../``)."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    return (
        bare.startswith(prefix)
        and _SAFE_PATH.match(bare) is not None
        and ".." not in bare
        and "//" not in bare
    )

Resolver = Callable[..., list[tuple[Any, ...]]]

#: Hosts Chromium contacts on its own (updates, accounts, safe browsing, field trials).
#: Screenshots need none of them, and each costs a DNS lookup and a connection attempt.
CHROMIUM_SERVICE_HOSTS: frozenset[str] = frozenset(
    {
        "accounts.google.com",
        "clients1.google.com",
        "clients2.google.com",
        "clients2.googleusercontent.com",
        "android.clients.google.com",
        "update.googleapis.com",
        "safebrowsing.googleapis.com",
        "optimizationguide-pa.googleapis.com",
        "content-autofill.googleapis.com",
        "redirector.gvt1.com",
        "edgedl.me.gvt1.com",
    }
)


@dataclass(frozen=True)
class Refusal:
    """One refused request, as logged: no path, no query, no headers."""

    host: str
    port: int
    reason: str


class EgressProxy:
    """A small threaded HTTP proxy (CONNECT + absolute-URI http) that refuses private targets.

    Use as a context manager or call :meth:`start` / :meth:`stop`. :attr:`address` is the
    ``(host, port)`` it listens on and :attr:`url` the value for Chromium's proxy option.

    * ``allow``: ``"ip:port"``, ``"[v6]:port"``, CIDR strings or network objects that may be
      reached although private (a rule without a port allows any port);
    * ``ports``: the only ports public hosts may be reached on;
    * ``deny_ports``: refused always, even inside an allowed network;
    * ``deny_hosts``: exact names refused before any lookup (Chromium's own services);
    * ``resolver``: a ``socket.getaddrinfo`` look-alike (tests map names to loopback);
    * ``allow_paths``: ``("ip:port", "/prefix/")`` pairs: plain-http requests (never a
      CONNECT tunnel) to that socket whose path lies under the prefix are let through,
      nothing else there (the demo's sample sites, served by the app on loopback).
    """

    def __init__(
        self,
        *,
        allow: Iterable[str | AllowRule | ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
        ports: Collection[int] = (80, 443),
        deny_ports: Collection[int] = (),
        deny_hosts: Collection[str] = CHROMIUM_SERVICE_HOSTS,
        resolver: Resolver = socket.getaddrinfo,
        connect_timeout: float = 10.0,
        idle_timeout: float = 60.0,
        listen_host: str = "127.0.0.1",
        allow_paths: Iterable[tuple[str, str]] = (),
    ) -> None:
        bad_ports = [p for p in (*ports, *deny_ports) if not (isinstance(p, int) and 0 < p < 65536)]
        if bad_ports:
            raise ValueError(f"ports: invalid port(s) {bad_ports!r}")
        if connect_timeout <= 0 or idle_timeout <= 0:
            raise ValueError(f"timeouts must be positive, got {connect_timeout}, {idle_timeout}")
        self.allow: tuple[AllowRule, ...] = tuple(AllowRule.parse(a) for a in allow)
        self.allow_paths: tuple[tuple[AllowRule, str], ...] = tuple(
            (AllowRule.parse(rule), prefix) for rule, prefix in allow_paths
        )
        self.ports = frozenset(ports)
        self.deny_ports = frozenset(deny_ports)  # refused even for allow-listed networks
        self.deny_hosts = frozenset(h.lower().rstrip(".") for h in deny_hosts)
        self.resolver = resolver
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.refusals: collections.deque[Refusal] = collections.deque(maxlen=1000)
        self._listen_host = listen_host
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        if self._listener is None:
            raise RuntimeError("EgressProxy is not started")
        host, port = self._listener.getsockname()[:2]
        return host, port

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> EgressProxy:
        if self._listener is not None:
            return self
        listener = socket.create_server((self._listen_host, 0), backlog=128)
        self._listener = listener
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="egress-accept", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut every open tunnel and wait for the worker threads."""
        if self._listener is None:
            return
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join(5)
        self._listener.close()
        self._listener = None
        with self._lock:
            for sock in list(self._open):
                shutdown(sock)
            workers = list(self._workers)
        for worker in workers:
            worker.join(5)

    def __enter__(self) -> EgressProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- policy ------------------------------------------------------------------------------

    def is_allowed(self, ip: IPAddress, port: int) -> bool:
        """True when an explicit allow rule covers this resolved socket address."""
        return any(rule.matches(ip, port) for rule in self.allow)

    def last_refusal(self, host: str) -> Refusal | None:
        """The most recent refusal for ``host`` (to explain a browser's opaque tunnel error)."""
        host = host.lower().rstrip(".")
        with self._lock:
            return next((r for r in reversed(self.refusals) if r.host == host), None)

    def refusal_log(self) -> list[Refusal]:
        """A snapshot of recent refusals, oldest first."""
        with self._lock:
            return list(self.refusals)

    def path_allowed(self, ip: IPAddress, port: int, path: str | None) -> bool:
        """True when a path rule lets a plain-http request for ``path`` reach this socket."""
        return path is not None and any(
            rule.matches(ip, port) and safe_path(path, prefix) for rule, prefix in self.allow_paths
        )

    def check_url(self, url: str) -> str:
        """:func:`check_url` with this proxy's allow-list applied to IP-literal hosts."""
        parts = urlsplit(url.strip()) if isinstance(url, str) else None
        path = parts.path or "/" if parts is not None and parts.scheme == "http" else None
        return check_url(
            url,
            is_allowed=lambda ip, port: self.is_allowed(ip, port)
            or self.path_allowed(ip, port, path),
        )

    def vet(self, host: str, port: int, path: str | None = None) -> list[tuple[Any, ...]]:
        """Resolve ``host`` once and return the sockaddrs to connect to, or raise EgressRefused.

        ``path`` is given for plain-http requests only (a CONNECT tunnel has none)."""
        host = host.lower().rstrip(".")
        if not host or len(host) > 253:
            raise EgressRefused("bad host")
        if host in self.deny_hosts:
            raise EgressRefused("denied host")
        if port in self.deny_ports:
            raise EgressRefused(f"port {port} denied")
        literal = parse_host_ip(host)
        if literal is not None:
            family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
            sockaddrs: list[tuple[Any, ...]] = [(family, (str(literal), port))]
        else:
            if not all(c.isascii() and (c.isalnum() or c in "-._") for c in host):
                raise EgressRefused("bad host")
            try:
                infos = self.resolver(host, port, 0, socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                raise EgressRefused("dns failure") from None
            sockaddrs = [(info[0], info[4]) for info in infos]
            if not sockaddrs:
                raise EgressRefused("dns failure")
        for _family, sockaddr in sockaddrs:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if self.is_allowed(ip, port) or self.path_allowed(ip, port, path):
                continue
            if port not in self.ports:
                raise EgressRefused(f"port {port} not allowed")
            reason = is_forbidden_address(ip)
            if reason:
                raise EgressRefused(reason)
        return sockaddrs

    # -- serving -----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            ready, _, _ = select.select([listener], [], [], 0.2)
            if not ready:
                continue
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            worker = threading.Thread(
                target=self._serve, args=(client,), name="egress-conn", daemon=True
            )
            with self._lock:
                self._open.add(client)
                self._workers.add(worker)
            worker.start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)
            if self._stopping.is_set():
                shutdown(sock)

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(self.idle_timeout)
            head, rest = read_head(client)
            if head is None:
                return
            upstream = self._handle(client, head, rest)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(client)
                if upstream is not None:
                    self._open.discard(upstream)
                self._workers.discard(threading.current_thread())
            client.close()
            if upstream is not None:
                upstream.close()

    def _handle(self, client: socket.socket, head: bytes, rest: bytes) -> socket.socket | None:
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].decode("latin-1").split(" ")
        except ValueError:
            reply(client, 400, "bad request line")
            return None
        if method.upper() == "CONNECT":
            host, port = split_hostport(target, default_port=443)
            path = None
        else:
            parsed = parse_absolute(target)
            if parsed is None:
                reply(client, 400, "absolute http:// URI required")
                return None
            host, port, path = parsed
        if host is None or port is None:
            self._refuse(client, "(unparsed)", 0, "bad target")  # may hold credentials
            return None
        try:
            sockaddrs = self.vet(host, port, path)
        except EgressRefused as exc:
            self._refuse(client, host, port, exc.reason)
            return None
        upstream = self._connect(sockaddrs)
        if upstream is None:
            self._refuse(client, host, port, "connect failed", status=502)
            return None
        self._track(upstream)
        if path is None:
            client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            pump(client, upstream, self.idle_timeout)
        else:
            upstream.sendall(origin_form_head(method, path, version, lines[1:]) + rest)
            relay_response_closing(client, upstream, self.idle_timeout)
        return upstream

    def _connect(self, sockaddrs: list[tuple[Any, ...]]) -> socket.socket | None:
        """Connect to the vetted addresses in order; never look the name up again."""
        for family, sockaddr in sockaddrs:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.connect_timeout)
                sock.connect(sockaddr)
                sock.settimeout(self.idle_timeout)
                return sock
            except OSError:
                sock.close()
        return None

    def _refuse(
        self, client: socket.socket, host: str, port: int, reason: str, status: int = 403
    ) -> None:
        # log-safe: printable ASCII only, bounded (the host comes straight off the wire)
        host = "".join(c for c in host.lower().rstrip(".") if " " < c <= "~")[:255]
        with self._lock:
            self.refusals.append(Refusal(host, port, reason))
        level = logging.INFO if reason == "denied host" else logging.WARNING
        log.log(level, "egress refused host=%s port=%s reason=%s", host, port, reason)
        reply(client, status, f"egress refused: {reason}", refused=reason)
