"""A tiny scripted JSON HTTP server on 127.0.0.1, the base of the provider fakes.

Why a real server and not a mock: the official SDKs are exercised end to end
(URL building, headers, JSON decoding, timeouts), so a fake that satisfies
them proves the provider code works against the real wire format.

A test queues `Reply` objects; each request pops one (or gets a 500 saying the
queue is empty) and is recorded in `requests` for assertions.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a JSON body (or raw text), a status and an optional delay."""

    body: Any = None
    status: int = 200
    delay: float = 0.0
    raw: str | None = None
    content_type: str = "application/json"


def sse(events: list[Any], done: bool = False) -> str:
    """Server-sent events: one ``data:`` line per JSON event (``[DONE]`` last for OpenAI)."""
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = field(default=None)


class FakeJSONServer:
    """Base class: subclasses turn a queued item into a `Reply` in `build_reply`."""

    def __init__(self) -> None:
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- scripting ------------------------------------------------------
    def push(self, item: Any) -> None:
        with self._lock:
            self._queue.append(item)

    def build_reply(self, item: Any, request: RecordedRequest) -> Reply:
        return item if isinstance(item, Reply) else Reply(body=item)

    # ---- lifecycle ------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeJSONServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self)

            do_GET = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeJSONServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- request handling ----------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        data = h.rfile.read(length) if length else b""
        try:
            body = json.loads(data) if data else None
        except ValueError:
            body = data.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in h.headers.items()}
        req = RecordedRequest(h.command, h.path, headers, body)
        with self._lock:
            self.requests.append(req)
            item = self._queue.popleft() if self._queue else None
        if item is None:
            reply = Reply(body={"error": {"message": "fake: no reply queued"}}, status=500)
        else:
            reply = self.build_reply(item, req)
        if reply.delay and self._closing.wait(reply.delay):
            return
        payload = (reply.raw if reply.raw is not None else json.dumps(reply.body)).encode()
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.content_type)
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass
