"""A hard deadline for one capture, enforced from outside Playwright.

Playwright's ``page.evaluate`` has no timeout, and a page running ``while (true) {}`` after
its load event blocks every later call forever; Playwright's sync API cannot be interrupted
from another thread either. What another thread *can* do is kill the browser's renderer
processes: the blocked call then fails with "Target crashed", the capture falls back, the
context is closed, and the browser process itself stays up for the next lead.

Renderers are found under the browser process, which is recognised by a unique marker switch
we add to its command line (Chromium ignores unknown switches). Linux ``/proc`` only; where
it is missing, the deadline degrades to the Playwright timeouts.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("leadreel.browser")

PROC = Path("/proc")


def _cmdline(pid: int) -> str:
    """The command line as one string: Chromium rewrites its children's argv area into a
    single space-separated title, so switches are matched as substrings."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.decode("utf-8", "replace").replace("\0", " ")


def _ppid(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may contain spaces and parentheses
    return int(stat.rsplit(")", 1)[1].split()[1])


def find_process(marker: str) -> int | None:
    """The pid of our own descendant whose command line contains ``marker``."""
    if not PROC.is_dir():
        return None
    for pid in descendants(os.getpid()):
        if f"{marker} " in _cmdline(pid) + " ":
            return pid
    return None


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    out, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def kill_renderers(browser_pid: int) -> int:
    """SIGKILL the renderer processes of one Chromium; returns how many were killed."""
    killed = 0
    for pid in descendants(browser_pid):
        cmdline = _cmdline(pid)
        if "--type=renderer" in cmdline and "--top-chrome-webui" not in cmdline:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


@contextmanager
def deadline(browser_pid: int | None, seconds: float) -> Iterator[threading.Event]:
    """Kill the renderers of ``browser_pid`` if the block is still running after ``seconds``.

    Yields an Event that is set when the deadline fired, so the caller can name the error.
    """
    fired = threading.Event()

    def expire() -> None:
        if browser_pid is None:
            return
        fired.set()
        count = kill_renderers(browser_pid)
        log.warning("capture exceeded %.1fs; killed %d renderer(s)", seconds, count)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        timer.join()
