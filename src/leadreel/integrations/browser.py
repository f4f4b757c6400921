"""Headless Chromium for screenshots, reused across leads and fenced in by the egress proxy.

Launching Chromium costs 0.5-1.5 s on these machines and a fresh context 0.2-0.4 s, so a
worker process keeps one browser and gives every lead its own context (no shared cookies,
storage or cache between leads); bench/screenshots_bench.py measured 2.5-2.8x the screens per
minute of a browser per lead. The browser's only route out is :class:`EgressProxy`;
``<-loopback>`` removes Chromium's built-in "never proxy localhost" rule, and WebRTC is told
not to send non-proxied UDP, so pages cannot reach the machine's neighbours around the proxy.

Playwright's sync API is bound to the thread that started it: use a :class:`Browser` from the
thread that created it (one per worker process, see :class:`BrowserPool`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from leadreel.integrations import browser_watchdog
from leadreel.integrations.egress import EgressProxy

log = logging.getLogger("leadreel.browser")

DEFAULT_EXECUTABLE = "/usr/bin/chromium"

#: Measured on Debian's Chromium (see /work/shared/NOTES.md), plus the egress hardening.
BASE_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--dns-prefetch-disable",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--proxy-bypass-list=<-loopback>",
)


#: Requests no screenshot shows, aborted inside Chromium before they reach the proxy:
#: video and audio files (a background video alone can be megabytes) and common trackers.
#: Matched by the driver on the URL, so other requests never make a trip to Python.
BLOCKED_URLS = re.compile(
    r"\.(?:mp4|m4v|webm|ogv|ogg|mov|mkv|avi|mp3|m4a|aac|wav|flac|opus|m3u8|mpd)(?:[?#]|$)"
    r"|(?:google-analytics\.com|googletagmanager\.com|doubleclick\.net|googlesyndication\.com"
    r"|connect\.facebook\.net|facebook\.com/tr[/?]|hotjar\.com|clarity\.ms|segment\.(?:io|com)"
    r"|mixpanel\.com|hs-analytics\.net|fullstory\.com)"
    r"|/(?:gtag/js|gtm\.js|analytics\.js|fbevents\.js)(?:[?#]|$)",
    re.IGNORECASE,
)

_local = threading.local()


def _acquire_playwright() -> Any:
    """The thread's Playwright driver, shared by every Browser in it (refcounted).

    Playwright's sync API refuses a second driver while one is running in the same thread,
    and one driver can launch any number of browsers.
    """
    if getattr(_local, "count", 0) == 0:
        from playwright.sync_api import sync_playwright

        _local.manager = sync_playwright()
        _local.playwright = _local.manager.start()
        _local.count = 0
    _local.count += 1
    return _local.playwright


def _release_playwright() -> None:
    _local.count -= 1
    if _local.count == 0:
        _local.playwright.stop()
        _local.playwright = _local.manager = None


class BrowserUnavailable(RuntimeError):
    """Chromium is missing or would not start; screenshots fall back to cards."""


class Browser:
    """One Chromium process behind an egress proxy; contexts are per lead.

    ``proxy`` defaults to a private :class:`EgressProxy` that this object starts and stops.
    Pass your own to share an allow-list (tests) or a resolver.
    """

    def __init__(
        self,
        *,
        proxy: EgressProxy | None = None,
        executable_path: str | os.PathLike[str] = DEFAULT_EXECUTABLE,
        extra_args: Sequence[str] = (),
        viewport: tuple[int, int] = (1280, 720),
        launch_timeout_s: float = 30.0,
    ) -> None:
        width, height = viewport
        if width < 100 or height < 100:
            raise ValueError(f"viewport too small: {viewport!r}")
        self.executable_path = Path(executable_path)
        self.extra_args = tuple(extra_args)
        self.viewport = (width, height)
        self.launch_timeout_s = launch_timeout_s
        self._owns_proxy = proxy is None
        self.proxy = proxy if proxy is not None else EgressProxy()
        self._playwright: Any = None
        self._browser: Any = None
        self.launches = 0
        self._process_id: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Browser:
        if not self.executable_path.exists():
            raise BrowserUnavailable(
                f"Chromium not found at {self.executable_path}: "
                "install Debian's chromium: apt-get install chromium"
            )
        if self._owns_proxy:
            self.proxy.start()
        if self._playwright is None:
            self._playwright = _acquire_playwright()
        if not self.is_connected():
            try:
                self._launch()
            except BrowserUnavailable:
                self.close()  # `with Browser()` never reaches __exit__ when start() raises
                raise
        return self

    def _launch(self) -> None:
        marker = f"--leadreel-browser={uuid.uuid4().hex}"  # finds our process for deadline()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(self.executable_path),
                headless=True,
                args=[*BASE_ARGS, *self.extra_args, marker],
                proxy={"server": self.proxy.url},
                timeout=self.launch_timeout_s * 1000,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except Exception as exc:  # playwright raises its own Error type for launch failures
            raise BrowserUnavailable(f"Chromium failed to start: {exc}") from exc
        self.launches += 1
        self._process_id = browser_watchdog.find_process(marker)

    def is_connected(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    def close(self) -> None:
        """Close Chromium, Playwright's driver and (when owned) the proxy; safe to repeat."""
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # already crashed or disconnected: nothing left to close
                log.debug("browser close failed", exc_info=True)
            self._browser = None
        if self._playwright is not None:
            _release_playwright()
            self._playwright = None
        if self._owns_proxy:
            self.proxy.stop()

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per-lead use ------------------------------------------------------------------------

    def check_url(self, url: str) -> str:
        """Pre-flight ``url`` with this browser's proxy policy (raises EgressRefused)."""
        return self.proxy.check_url(url)

    @contextmanager
    def new_context(self, *, viewport: tuple[int, int] | None = None) -> Iterator[Any]:
        """A fresh, isolated context for one lead; relaunches Chromium if it died."""
        self.start()
        try:
            context = self._new_context(viewport or self.viewport)
        except Exception:
            if self.is_connected():
                raise
            log.warning("chromium disconnected; relaunching")
            self._browser = None
            self._launch()
            context = self._new_context(viewport or self.viewport)
        try:
            yield context
        finally:
            try:
                context.close()
            except Exception:  # the browser may have crashed mid-capture
                log.debug("context close failed", exc_info=True)

    def _new_context(self, viewport: tuple[int, int]) -> Any:
        width, height = viewport
        context = self._browser.new_context(
            viewport={"width": width, "height": height},
            service_workers="block",
            accept_downloads=False,
            java_script_enabled=True,
            locale="en-US",
        )
        context.route(BLOCKED_URLS, lambda route: route.abort("blockedbyclient"))
        return context

    def deadline(self, seconds: float) -> Any:
        """Context manager: past ``seconds``, kill this browser's renderers so a hung page
        cannot block the worker (Playwright's ``evaluate`` has no timeout of its own)."""
        return browser_watchdog.deadline(self._process_id, seconds)

    @contextmanager
    def new_page(self, *, viewport: tuple[int, int] | None = None) -> Iterator[Any]:
        """A page in a fresh context (the common case: one page per capture)."""
        with self.new_context(viewport=viewport) as context:
            yield context.new_page()


class BrowserPool:
    """One shared :class:`Browser` per worker process (re-created after ``fork``).

    Workers call :meth:`get` for each lead; the first call launches Chromium, later calls
    reuse it. The pool must be used from a single thread (Playwright's sync API).
    """

    def __init__(self, **browser_options: Any) -> None:
        self._options = browser_options
        self._browser: Browser | None = None
        self._pid = os.getpid()
        self._thread = threading.get_ident()

    def get(self) -> Browser:
        if self._pid != os.getpid():  # forked child: the parent's browser is not ours
            self._browser = None
            self._pid = os.getpid()
            self._thread = threading.get_ident()
        elif self._thread != threading.get_ident():
            raise RuntimeError("BrowserPool used from another thread; Playwright is thread-bound")
        if self._browser is None:
            self._browser = Browser(**self._options)
        return self._browser.start()

    def close(self) -> None:
        if self._browser is not None and self._pid == os.getpid():
            self._browser.close()
        self._browser = None

    def __enter__(self) -> BrowserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
