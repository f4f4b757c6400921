"""Byte-level HTTP/1.1 proxy helpers for :mod:`leadreel.integrations.egress`.

Just enough HTTP to proxy a browser: read a request head, rewrite an absolute-URI request to
origin form, force ``Connection: close`` both ways (a reused client socket could otherwise
carry a request for another host to an upstream vetted for the first one), and pump bytes.
"""

from __future__ import annotations

import select
import socket

MAX_HEAD = 64 * 1024
_HOP_HEADERS = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"proxy-authorization",
    b"proxy-authenticate",
    b"te",
    b"trailer",
    b"upgrade",
}


def shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            return None, b""
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def reply(sock: socket.socket, status: int, text: str, refused: str | None = None) -> None:
    """A complete short response; ``refused`` adds ``X-Egress-Refused`` so a caller that sees
    the status can report the filter's reason instead of a bare 403."""
    phrase = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}.get(status, "Error")
    body = (text + "\n").encode()
    extra = f"X-Egress-Refused: {refused}\r\n" if refused else ""
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    )
    try:
        sock.sendall(head.encode() + body)
    except OSError:
        pass


def split_hostport(text: str, default_port: int) -> tuple[str | None, int | None]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") if rest else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif ":" in text:
        return None, None
    else:
        host, port_text = text, ""
    if not host:
        return None, None
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None, None
    return host, int(port_text)


def parse_absolute(target: str) -> tuple[str | None, int | None, str] | None:
    if not target.lower().startswith("http://"):
        return None
    authority, slash, path = target[7:].partition("/")
    authority, _, _ = authority.partition("?")
    if "@" in authority:
        return None, None, ""
    host, port = split_hostport(authority, default_port=80)
    path = slash + path if slash else "/" + target[7 + len(authority) :]
    return host, port, path or "/"


def origin_form_head(method: str, path: str, version: str, headers: list[bytes]) -> bytes:
    out = [f"{method} {path} {version}".encode("latin-1")]
    dropped = set(_HOP_HEADERS)
    for line in headers:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"connection":
            dropped.update(v.strip().lower() for v in value.split(b","))
    for line in headers:
        name = line.partition(b":")[0].strip().lower()
        if name not in dropped:
            out.append(line)
    out.append(b"Connection: close")
    return b"\r\n".join(out) + b"\r\n\r\n"


def relay_response_closing(client: socket.socket, upstream: socket.socket, idle: float) -> None:
    """Forward the response with ``Connection: close`` so the client never reuses this socket
    for a request to another host (which would reach the already-vetted upstream)."""
    head, rest = read_head(upstream)
    if head is None:
        reply(client, 502, "bad upstream response")
        return
    lines = head.split(b"\r\n")
    kept = [lines[0]] + [
        line for line in lines[1:] if line.partition(b":")[0].strip().lower() not in _HOP_HEADERS
    ]
    client.sendall(b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + rest)
    pump(client, upstream, idle)


def pump(a: socket.socket, b: socket.socket, idle: float) -> None:
    """Copy bytes both ways until either side closes or nothing moves for ``idle`` seconds."""
    peers = {a: b, b: a}
    while True:
        try:
            ready, _, _ = select.select([a, b], [], [], idle)
        except (OSError, ValueError):
            return
        if not ready:
            return
        for sock in ready:
            try:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)
            except OSError:
                return
