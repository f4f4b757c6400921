"""One Chromium (and its egress proxy) per worker process, shared by every screenshot task.

Why a thread of its own: the worker runs each task on a fresh thread, but Playwright's sync
API is bound to the thread that started it. So the browser lives on one long-lived daemon
thread and tasks hand it work (:meth:`BrowserService.call`). It starts on the first
capture, is reused across leads (each capture gets a fresh context), is rebuilt when the
settings change (tests), and is closed at interpreter exit or by :func:`close_browser`.
"""

from __future__ import annotations

import atexit
import queue
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from leadreel.config import Settings
from leadreel.integrations.browser import Browser
from leadreel.integrations.egress import EgressProxy
from leadreel.services.demo_sites.builder import PREFIX, allowed_origin

T = TypeVar("T")
_Key = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]


class BrowserService:
    """Runs ``fn(browser)`` on the browser's own thread, one call at a time."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._browser: Browser | None = None
        self._proxy: EgressProxy | None = None
        self._key: _Key | None = None

    def call(
        self,
        fn: Callable[[Browser], T],
        *,
        chromium_path: str,
        allow: list[str],
        timeout: float,
        allow_paths: list[tuple[str, str]] | None = None,
    ) -> T:
        """Run ``fn`` with the shared browser; re-raises what ``fn`` raised, or TimeoutError."""
        future: Future[Any] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="screenshot-browser", daemon=True
                )
                self._thread.start()
        key = (chromium_path, tuple(allow), tuple(allow_paths or ()))
        self._jobs.put((lambda: fn(self._ensure(key)), future))
        return future.result(timeout=timeout)

    def _ensure(self, key: _Key) -> Browser:
        """On the browser thread: (re)create browser and proxy when the settings differ."""
        if self._browser is not None and self._key != key:
            self._shutdown()
        if self._browser is None:
            self._proxy = EgressProxy(allow=list(key[1]), allow_paths=list(key[2])).start()
            self._browser = Browser(proxy=self._proxy, executable_path=key[0])
            self._key = key
        return self._browser.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting task
                    future.set_exception(exc)
        self._shutdown()

    def _shutdown(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._proxy is not None:
            self._proxy.stop()
        self._browser = self._proxy = self._key = None

    def close(self, timeout: float = 15.0) -> None:
        """Close the browser and stop its thread (safe to repeat, or if never started)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout)


BROWSER = BrowserService()
atexit.register(BROWSER.close)


def close_browser() -> None:
    """Close the process-wide browser; a worker may call this when it stops."""
    BROWSER.close()


def allow_list(settings: Settings) -> list[str]:
    return [p.strip() for p in (settings.screenshot_allow or "").split(",") if p.strip()]


def allow_paths(settings: Settings) -> list[tuple[str, str]]:
    """While the demo's sample sites exist: their one origin, ``/demo-sites/`` paths only."""
    origin = allowed_origin(settings.data_dir)
    if origin is None:
        return []
    host, port = origin
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except OSError:
        return []
    addresses = sorted({str(info[4][0]).split("%", 1)[0] for info in infos})
    return [(f"[{a}]:{port}" if ":" in a else f"{a}:{port}", PREFIX) for a in addresses]
