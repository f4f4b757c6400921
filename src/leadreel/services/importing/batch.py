"""Run one import batch: validate the file, normalise it in the pool, match and write it.

Why this shape:
- a validation pass reads the whole file once before anything is written, so a file
  that breaks on line 900,000 (an unclosed quote, the row limit) fails with a clear
  message and imports nothing, and the progress bar knows the total;
- the same pass cuts the file into pieces of whole records (`pieces.scan`); for big
  files a small process pool reads and normalises the pieces (`pool.Pool`, the
  CPU-heavy part) while this process matches and writes;
- rows are matched and written in chunks of `chunk_size` (`resolve.write_chunk`);
  chunks are committed together with the batch's progress, counts and last committed
  line, so a crash leaves a consistent batch that a re-run resumes after that line
  without duplicating rows, and that "undo" can always remove. On SQLite a
  transaction spans several chunks (`SQLITE_TRANSACTION_ROWS` rows or
  `SQLITE_TRANSACTION_SECONDS`): each commit rewrites every index page it dirtied.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import ImportBatch
from leadreel.services.importing import writer as w
from leadreel.services.importing.mapping import ColumnMapping
from leadreel.services.importing.parsing import FileFormat, ImportFileError, Limits, iter_records
from leadreel.services.importing.pieces import Scan, scan
from leadreel.services.importing.pool import start_pool
from leadreel.services.importing.prepare import PreparedRow, RawRecord, Work
from leadreel.services.importing.report import ErrorReport, report_path
from leadreel.services.importing.resolve import ImportRun, write_chunk
from leadreel.services.permissions import Actor, can

#: Rows matched and written at once. PostgreSQL commits each chunk; SQLite commits
#: when a transaction holds `SQLITE_TRANSACTION_ROWS` rows or has run for
#: `SQLITE_TRANSACTION_SECONDS`: in WAL mode a commit writes every page it dirtied, and
#: the random inserts into the email, LinkedIn and name indexes dirty nearly all their
#: pages whatever the row count, so fewer, bigger commits more than halve the writing
#: time of a million-row import. The time bound keeps SQLite's single write lock from
#: being held long enough to stall the web app and the workers' heartbeats.
CHUNK_SIZE = 5_000
SQLITE_CHUNK_SIZE = 25_000
SQLITE_TRANSACTION_ROWS = 100_000
SQLITE_TRANSACTION_SECONDS = 4.0
PIECE_SIZE = 5_000  # rows per piece a pool process reads and normalises
POOL_MIN_ROWS = 50_000  # below this a process pool costs more than it saves
MAX_ROW_WARNINGS = 50
Progress = Callable[[float], None]


def limits_for(settings: Settings) -> Limits:
    """The file limits an import enforces, from the settings."""
    return Limits(max_bytes=settings.max_upload_mb * 1024 * 1024, max_rows=settings.max_import_rows)


def pool_size(rows: int) -> int:
    """Processes that normalise rows while this one matches and writes: one per spare core.

    The importing process keeps a core busy itself; on two cores a second pool process
    only competes with it (measured: 66 s against 57 s for a million rows).
    """
    if rows < POOL_MIN_ROWS:
        return 0
    return max(1, min(2, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class _Plan:
    """What one run of a batch reads and how it cuts the work."""

    path: Path
    fmt: FileFormat
    columns: list[ColumnMapping]
    limits: Limits
    resume_after: int  # the last line an earlier attempt committed
    sqlite: bool
    chunk: int
    transaction: int
    piece: int

    @classmethod
    def of(
        cls,
        session: Session,
        settings: Settings,
        batch: ImportBatch,
        chunk_size: int | None,
        transaction_rows: int | None,
    ) -> _Plan:
        sqlite = session.get_bind().dialect.name == "sqlite"
        chunk = chunk_size or (SQLITE_CHUNK_SIZE if sqlite else CHUNK_SIZE)
        counts = batch.counts or {}
        return cls(
            path=Path(batch.stored_path),
            fmt=FileFormat.from_dict(batch.file_format),
            columns=[ColumnMapping(**c) for c in batch.mapping],
            limits=limits_for(settings),
            resume_after=int(counts.get("last_line", 0)) if batch.status == "running" else 0,
            sqlite=sqlite,
            chunk=chunk,
            transaction=transaction_rows or (SQLITE_TRANSACTION_ROWS if sqlite else chunk),
            piece=min(chunk, PIECE_SIZE),
        )

    def rows_estimate(self) -> int:
        """Rows the file probably has, before counting them: about 100 bytes a row or more."""
        return self.path.stat().st_size // (100 if self.fmt.kind == "csv" else 20)

    def work(self, scanned: Scan) -> Iterator[Work]:
        """What the pool prepares: the pieces after the resume line, or records read here."""
        after = self.resume_after
        if scanned.pieces is not None:
            pieces = scanned.pieces
            for k, piece in enumerate(pieces):
                if k + 1 < len(pieces) and pieces[k + 1].line <= after + 1:
                    continue  # wholly committed by an earlier attempt
                yield piece
            return
        chunk: list[RawRecord] = []
        for rec in iter_records(self.path, self.fmt, limits=self.limits):
            if rec.line <= after:
                continue
            chunk.append((rec.line, rec.values, rec.error))
            if len(chunk) >= self.piece:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def run_batch(
    session: Session,
    settings: Settings,
    batch: ImportBatch,
    *,
    user: Actor | None = None,
    progress: Progress | None = None,
    commit: bool = True,
    chunk_size: int | None = None,
    transaction_rows: int | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Import `batch`'s file with its mapping; returns the counts.

    `user` decides matching scope (a rep matches only their own leads; None or a
    manager/admin matches all). `commit=False` (the demo) leaves the transaction to the
    caller. Raises ImportFileError (batch marked failed, nothing written) for a bad file.
    `chunk_size` rows are matched and written at once; a transaction commits after at
    least `transaction_rows` (default: `SQLITE_TRANSACTION_ROWS` on SQLite, else one
    chunk; on SQLite also after `SQLITE_TRANSACTION_SECONDS`).
    """
    if commit:  # end the caller's reads: SQLite cannot turn a read snapshot into a write
        session.commit()  # once another connection (a worker's heartbeat) has written
    plan = _Plan.of(session, settings, batch, chunk_size, transaction_rows)
    if workers is None:  # the file's size in bytes is a good first guess of its rows
        workers = pool_size(plan.rows_estimate() - plan.resume_after)
    with start_pool(
        workers,
        columns=plan.columns,  # start_pool takes the plain (index, header, field) of each
        region=settings.default_phone_region,
        lengths=w.column_lengths(),
        path=plan.path,
        fmt=plan.fmt,
    ) as pool:
        try:
            scanned = scan(plan.path, plan.fmt, plan.limits, plan.piece)
        except ImportFileError as exc:
            _finish(session, batch, "failed", commit, error=str(exc))
            raise
        run = _start(session, batch, user, plan, commit)
        prepared = pool.prepare_all(
            plan.work(scanned),
            ahead=2 * -(-plan.chunk // plan.piece),  # 2 chunks are prepared while one writes
        )
        with _Writer(session, settings, batch, run, plan, scanned.rows, commit, progress) as out:
            for rows in _regroup(prepared, plan.chunk, plan.resume_after):
                out.write(rows)
                del rows  # not held while the next chunk is gathered
    batch.counts = {**run.summary(), "last_line": out.last_line, "rows_total": scanned.rows}
    _finish(session, batch, "done", commit)
    return dict(batch.counts)


def _start(
    session: Session, batch: ImportBatch, user: Actor | None, plan: _Plan, commit: bool
) -> ImportRun:
    """The run's state (restored after a crash) and the batch marked running."""
    match_all = user is None or can(user, "leads.view_all")
    run = ImportRun(
        batch_id=batch.id,
        owner_id=batch.owner_id,
        match_owner_id=None if match_all or user is None else user.id,
    )
    if plan.resume_after:
        run.resume(session.connection(), batch.counts or {})
        if commit:
            session.commit()  # the same: end the reads before the first write
    batch.status = "running"
    batch.error_message = None
    if commit:
        session.commit()  # the UI shows "running"; each transaction below begins afresh
    return run


def _regroup(
    pieces: Iterator[list[PreparedRow]], size: int, after: int
) -> Iterator[list[PreparedRow]]:
    """Join consecutive prepared pieces into chunks of at least `size` rows (the last less).

    Rows up to line `after` (committed by an earlier attempt) are dropped.
    """
    chunk: list[PreparedRow] = []
    for piece in pieces:
        if after and piece and piece[0].line <= after:
            piece = [r for r in piece if r.line > after]
        if chunk:
            chunk.extend(piece)
        else:
            chunk = piece
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Writer:
    """Writes chunks in transactions; keeps the report, warnings and progress of a run."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        batch: ImportBatch,
        run: ImportRun,
        plan: _Plan,
        total: int,
        commit: bool,
        progress: Progress | None,
    ) -> None:
        self.session, self.batch, self.run, self.plan = session, batch, run, plan
        self.total, self.commit, self.progress = total, commit, progress
        self.report = ErrorReport(
            report_path(settings.data_dir, batch.id),
            plan.fmt.headers,
            resume_after=plan.resume_after,
        )
        self.warnings = [x for x in (batch.warnings or []) if not str(x).startswith("line ")]
        self.last_line = plan.resume_after
        self.pragmas = w.ImportPragmas()
        self.rows_in_transaction = 0
        self.transaction_started = 0.0
        self.gc_was_on = gc.isenabled()

    def __enter__(self) -> _Writer:
        # The cyclic collector would walk every row object of every chunk in memory,
        # again and again (a tenth of the import's time); rows make no reference cycles.
        gc.disable()
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None and self.rows_in_transaction:
                self._save()
        finally:
            if self.gc_was_on:
                gc.enable()
            self.pragmas.restore()
            self.report.close()

    def write(self, rows: list[PreparedRow]) -> None:
        if not rows:
            return
        if self.rows_in_transaction == 0:
            self.transaction_started = time.monotonic()
            # SQLite: take the write lock first (a read snapshot cannot be upgraded to a
            # write once a worker's heartbeat has committed meanwhile).
            immediate = self.plan.sqlite and self.commit
            options = {"sqlite_begin": "IMMEDIATE"} if immediate else None
            w.lock_imports(self.session.connection(execution_options=options))
        conn = self.session.connection()
        self.pragmas.apply(conn)
        write_chunk(conn, self.run, rows, datetime.now(UTC))
        self.rows_in_transaction += len(rows)
        for r in rows:
            if r.error is not None:
                self.report.add(r.line, r.error, r.values)
            elif r.warnings and len(self.warnings) < MAX_ROW_WARNINGS:
                self.warnings.extend(f"line {r.line}: {m}" for m in r.warnings)
        self.last_line = rows[-1].line
        self.report.flush()
        elapsed = time.monotonic() - self.transaction_started
        if self.rows_in_transaction >= self.plan.transaction or (
            self.plan.sqlite and elapsed >= SQLITE_TRANSACTION_SECONDS
        ):
            self._save()

    def _save(self) -> None:
        """Commit what the transaction wrote with the counts and the last line it reached."""
        batch, run = self.batch, self.run
        batch.counts = {**run.summary(), "last_line": self.last_line, "rows_total": self.total}
        batch.progress = min(run.counts["rows_read"] / self.total, 1.0) if self.total else 1.0
        batch.warnings = list(self.warnings)
        if self.report.count:
            batch.error_report_path = str(self.report.path)
        if self.commit:
            self.session.commit()
        else:
            self.session.flush()
        self.rows_in_transaction = 0
        if self.progress is not None:
            self.progress(batch.progress)


def _finish(
    session: Session, batch: ImportBatch, status: str, commit: bool, error: str | None = None
) -> None:
    batch.status = status
    batch.error_message = error
    batch.finished_at = datetime.now(UTC)
    if status == "done":
        batch.progress = 1.0
    if commit:
        session.commit()
    else:
        session.flush()
