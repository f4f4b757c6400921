"""A few child processes that normalise an import's pieces while the parent writes.

Why not `multiprocessing.Pool`: its spawned children re-import the parent's main
module, which for `leadreel worker` or `leadreel import` is the whole app (Flask,
SQLAlchemy, every model): about 80 MB per child for nothing. These children run
`python -m leadreel.services.importing.pool`, import only the normaliser, and stay
small.

Protocol: the parent pickles the set-up and then `(number, work)` requests to the
child's stdin; the child writes each result to a file in a private temp directory
and answers `("done", number)` (or `("error", number, message)`) on its stdout. A
result waits in the page cache, not in a pipe, so a child never blocks on a parent
that is busy writing. At most `ahead` requests per child are outstanding.

A child that dies or fails makes `prepare_all` raise `PoolError`: the import task
fails and the queue retries it (the import resumes after its last commit). Where no
process can be started (a sandbox), normalising happens in the importing process.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from leadreel.services.importing.normalize import Column
from leadreel.services.importing.parsing import FileFormat
from leadreel.services.importing.prepare import (
    Lengths,
    PreparedRow,
    RowPreparer,
    Work,
    prepare_work,
)

log = logging.getLogger(__name__)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])  # the directory holding `leadreel`


class PoolError(RuntimeError):
    """A normalising process died or failed; the message says which piece and why."""


class _Child:
    """One normalising process and its outstanding requests."""

    def __init__(self, setup: tuple[Any, ...], results: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "leadreel.services.importing.pool", str(results)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.results = results
        self.pending: deque[int] = deque()
        self._send(setup)

    def _send(self, message: Any) -> None:
        assert self.proc.stdin is not None
        try:
            pickle.dump(message, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise PoolError(f"a normalising process stopped (exit {self.proc.poll()})") from exc

    def submit(self, number: int, work: Work) -> None:
        """Send one piece (numbered in input order)."""
        self._send((number, work))
        self.pending.append(number)

    def ready(self) -> bool:
        """Is the oldest outstanding piece done? (The file appears before the answer.)"""
        return (self.results / f"{self.pending[0]}.pkl").exists()

    def result(self) -> list[PreparedRow]:
        """The oldest outstanding request's rows (waits for them)."""
        number = self.pending.popleft()
        assert self.proc.stdout is not None
        try:
            answer = pickle.load(self.proc.stdout)
        except EOFError:
            raise PoolError(
                f"a normalising process died on piece {number} (exit {self.proc.wait()})"
            ) from None
        if answer[0] == "error" or answer[1] != number:
            raise PoolError(f"normalising piece {number} failed: {answer[-1]}")
        path = self.results / f"{number}.pkl"
        with path.open("rb") as fh:
            rows: list[PreparedRow] = pickle.load(fh)
        path.unlink()
        return rows

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()  # the child's loop ends at EOF
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Pool:
    """Normalising processes for one import: start them early, then `prepare_all`.

    Why a separate start: a child takes a fraction of a second to import the
    normaliser, time the importing process spends validating the file meanwhile.
    """

    def __init__(self, workers: int, setup: tuple[Any, ...]) -> None:
        self.setup = setup
        self.results = Path(tempfile.mkdtemp(prefix="leadreel-import-"))
        self.children: list[_Child] = []
        try:
            for _ in range(workers):
                self.children.append(_Child(setup, self.results))
        except OSError as exc:  # no processes allowed here: normalise in-process
            log.warning("normalising in-process: cannot start a process (%s)", exc)
            self.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for child in self.children:
            child.close()
        self.children = []
        shutil.rmtree(self.results, ignore_errors=True)

    def prepare_all(self, work: Iterable[Work], *, ahead: int = 2) -> Iterator[list[PreparedRow]]:
        """Yield prepared pieces in input order.

        Each child has at most `ahead` pieces outstanding, so the children keep going
        while the caller writes and memory stays bounded. When the oldest piece is not
        ready yet, this process prepares the next unsent piece itself instead of
        waiting (on a file of 100,000 rows the children are the slower side).
        """
        columns, region, lengths, path, fmt = self.setup
        local = RowPreparer(columns, region, lengths)
        if not self.children:
            for item in work:
                yield prepare_work(local, path, fmt, item)
            return
        items = iter(enumerate(work))
        slots: deque[_Child | list[PreparedRow]] = deque()  # input order: a child or rows
        exhausted = False
        while True:
            while not exhausted and (free := self._free(ahead)) is not None:
                step = next(items, None)
                if step is None:
                    exhausted = True
                    break
                free.submit(*step)
                slots.append(free)
            if not slots:
                return
            head = slots[0]
            if isinstance(head, list):
                yield slots.popleft()  # type: ignore[misc]
            elif not exhausted and not head.ready():
                step = next(items, None)
                if step is None:
                    exhausted = True
                else:
                    slots.append(prepare_work(local, path, fmt, step[1]))
            else:
                slots.popleft()
                yield head.result()

    def _free(self, ahead: int) -> _Child | None:
        """The child with the fewest outstanding pieces, if it can take another."""
        child = min(self.children, key=lambda c: len(c.pending))
        return child if len(child.pending) < ahead else None


def prepare_all(
    work: Iterable[Work],
    *,
    columns: Sequence[Column],
    region: str,
    lengths: Lengths,
    path: Path,
    fmt: FileFormat,
    workers: int = 0,
    ahead: int = 2,
) -> Iterator[list[PreparedRow]]:
    """Yield prepared pieces in input order; `workers` > 0 uses that many processes."""
    with start_pool(
        workers, columns=columns, region=region, lengths=lengths, path=path, fmt=fmt
    ) as pool:
        yield from pool.prepare_all(work, ahead=ahead)


def start_pool(
    workers: int,
    *,
    columns: Sequence[Column],
    region: str,
    lengths: Lengths,
    path: Path,
    fmt: FileFormat,
) -> Pool:
    """Start `workers` normalising processes (0: normalise in this process)."""
    plain = [Column(c.index, c.header, c.field) for c in columns]
    setup = (plain, region, {k: dict(v) for k, v in lengths.items()}, path, fmt)
    return Pool(workers, setup)


def _serve(results: Path, stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The child's loop: set up, then prepare each requested piece until stdin closes."""
    # This process only normalises rows: it makes no reference cycles, and the cyclic
    # collector would keep walking every object it holds (a tenth of its time).
    gc.disable()
    columns, region, lengths, path, fmt = pickle.load(stdin)
    preparer = RowPreparer(columns, region, lengths)
    while True:
        try:
            number, work = pickle.load(stdin)
        except EOFError:
            return
        try:
            rows = prepare_work(preparer, path, fmt, work)
            target = results / f"{number}.pkl"
            with (results / f"{number}.tmp").open("wb") as fh:
                pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
            (results / f"{number}.tmp").rename(target)
            answer: tuple[Any, ...] = ("done", number)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
            answer = ("error", number, f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    # The protocol owns stdout: anything else printed goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(Path(sys.argv[1]), sys.stdin.buffer, answers)
