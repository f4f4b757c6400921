"""Run an import batch into the database: stream, prepare in chunks, match, write, report.

Why this shape:
- a validation pass reads the whole file once before anything is written, so a file
  that breaks on line 900,000 (an unclosed quote, the row limit) fails with a clear
  message and imports nothing, and the progress bar knows the total;
- the same pass cuts the file into pieces of whole records (`pieces.scan`); for big
  files a small process pool reads and normalises the pieces (`prepare.prepare_all`,
  the CPU-heavy part) while this process matches and writes;
- rows are matched and written in chunks of `chunk_size` (`resolve.write_chunk`);
  chunks are committed together with the batch's progress, counts and last committed
  line, so a crash leaves a consistent batch that a re-run resumes after that line
  without duplicating rows, and that "undo" can always remove. On SQLite a
  transaction spans several chunks (up to `SQLITE_TRANSACTION_ROWS` rows or
  `SQLITE_TRANSACTION_SECONDS`): each commit rewrites every index page it dirtied.

Entry points: `run_batch` (task handler, CLI), `import_file` (synchronous, one call),
`import_demo_file` (the demo). The upload/preview/confirm flow is in `uploads`.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import ImportBatch, SavedMapping
from leadreel.services.importing import writer as w
from leadreel.services.importing.mapping import (
    ColumnMapping,
    MappingProposal,
    header_signature,
    propose_mapping,
)
from leadreel.services.importing.normalize import Column
from leadreel.services.importing.parsing import (
    FileFormat,
    ImportFileError,
    Limits,
    iter_records,
    read_sample,
    sniff,
)
from leadreel.services.importing.pieces import Scan, scan
from leadreel.services.importing.pool import start_pool
from leadreel.services.importing.prepare import RawRecord, Work
from leadreel.services.importing.report import ErrorReport, report_path
from leadreel.services.importing.resolve import ImportRun, write_chunk
from leadreel.services.importing.writer import ImportPragmas
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


def format_to_dict(fmt: FileFormat) -> dict[str, Any]:
    return {
        "kind": fmt.kind,
        "encoding": fmt.encoding,
        "delimiter": fmt.delimiter,
        "header_line": fmt.header_line,
        "headers": list(fmt.headers),
    }


def format_from_dict(data: dict[str, Any]) -> FileFormat:
    return FileFormat(
        kind=data["kind"],
        encoding=data.get("encoding"),
        delimiter=data.get("delimiter"),
        header_line=int(data["header_line"]),
        headers=tuple(data["headers"]),
    )


def saved_mapping_for(
    session: Session, headers: list[str] | tuple[str, ...]
) -> dict[str, Any] | None:
    """The mapping saved earlier for this header set, if any (mapping layer 1)."""
    saved = session.scalar(
        select(SavedMapping).where(SavedMapping.header_signature == header_signature(headers))
    )
    return dict(saved.mapping) if saved is not None else None


def ai_provider(settings: Settings) -> Any | None:
    """The configured AI provider (OpenAI first, then Gemini), or None for rules only."""
    from leadreel.integrations.ai import make_provider  # noqa: PLC0415 - SDKs are heavy

    if settings.openai_api_key:
        return make_provider(
            "openai",
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            base_url=settings.openai_base_url or None,
            timeout=settings.ai_timeout,
        )
    if settings.gemini_api_key:
        return make_provider(
            "gemini",
            api_key=settings.gemini_api_key,
            model=settings.gemini_model,
            base_url=settings.gemini_base_url or None,
            timeout=settings.ai_timeout,
        )
    return None


def propose_for_file(
    session: Session | None, settings: Settings, path: Path, *, use_ai: bool = True
) -> tuple[FileFormat, list[list[str]], MappingProposal]:
    """Sniff a file and propose its mapping (saved mapping first, then rules, then AI)."""
    limits = limits_for(settings)
    fmt = sniff(path, limits=limits)
    sample = [r.values for r in read_sample(path, fmt, 20, limits=limits)]
    saved = saved_mapping_for(session, fmt.headers) if session is not None else None
    provider = ai_provider(settings) if use_ai else None
    try:
        proposal = propose_mapping(fmt.headers, sample, saved=saved, provider=provider)
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()
    return fmt, sample, proposal


def new_batch(
    session: Session,
    *,
    name: str,
    path: Path,
    filename: str,
    fmt: FileFormat,
    columns: list[ColumnMapping],
    owner: Actor | None,
    warnings: list[str] | None = None,
    status: str = "uploaded",
) -> ImportBatch:
    """Add (not commit) a batch for a stored file and its mapping."""
    batch = ImportBatch(
        name=name[:200],
        filename=filename[:500],
        stored_path=str(path),
        file_size=path.stat().st_size,
        file_format=format_to_dict(fmt),
        headers=list(fmt.headers),
        mapping=[c.model_dump() for c in columns],
        status=status,
        counts={},
        warnings=list(warnings or []),
        owner_id=owner.id if owner else None,
    )
    session.add(batch)
    session.flush()
    return batch


# ---- running a batch ---------------------------------------------------------------


def _rows_estimate(path: Path, fmt: FileFormat) -> int:
    """Rows a file probably has, before counting them: about 100 bytes a row or more."""
    return path.stat().st_size // (100 if fmt.kind == "csv" else 20)


def pool_size(rows: int) -> int:
    """Processes that normalise rows while this one matches and writes: one per spare core.

    The importing process keeps a core busy itself; on two cores a second pool process
    only competes with it (measured: 66 s against 57 s for a million rows).
    """
    if rows < POOL_MIN_ROWS:
        return 0
    return max(1, min(2, (os.cpu_count() or 1) - 1))


def _work(
    path: Path, fmt: FileFormat, limits: Limits, scanned: Scan, after: int, size: int
) -> Iterator[Work]:
    """What the pool prepares: the pieces after line `after`, or records read here."""
    if scanned.pieces is not None:
        pieces = scanned.pieces
        for k, piece in enumerate(pieces):
            if k + 1 < len(pieces) and pieces[k + 1].line <= after + 1:
                continue  # wholly committed by an earlier attempt
            yield piece
        return
    chunk: list[RawRecord] = []
    for rec in iter_records(path, fmt, limits=limits):
        if rec.line <= after:
            continue
        chunk.append((rec.line, rec.values, rec.error))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _regroup(pieces: Iterator[list[Any]], size: int, after: int) -> Iterator[list[Any]]:
    """Join consecutive prepared pieces into chunks of at least `size` rows (the last less).

    Rows up to line `after` (committed by an earlier attempt) are dropped.
    """
    chunk: list[Any] = []
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


def _restore(session: Session, run: ImportRun, counts: dict[str, Any]) -> None:
    """Carry the counts of committed chunks into a resumed run."""
    for key in (
        "rows_read",
        "rows_rejected",
        "leads_created",
        "duplicates_merged",
        "companies_created",
        "warnings",
    ):
        run.counts[key] = int(counts.get(key, 0))
    run.load_matches(session.connection())


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

    `chunk_size` rows are matched and written at once; a transaction commits after at
    least `transaction_rows` (default: `SQLITE_TRANSACTION_ROWS` on SQLite, else one
    chunk; on SQLite also after `SQLITE_TRANSACTION_SECONDS`).

    `user` decides matching scope (a rep matches only their own leads; None or a
    manager/admin matches all). `commit=False` (the demo) leaves the transaction to the
    caller. Raises ImportFileError (batch marked failed, nothing written) for a bad file.
    """
    if commit:  # end the caller's reads: SQLite cannot turn a read snapshot into a write
        session.commit()  # once another connection (a worker's heartbeat) has written
    limits = limits_for(settings)
    path = Path(batch.stored_path)
    fmt = format_from_dict(batch.file_format)
    columns = [ColumnMapping(**c) for c in batch.mapping]
    resume_after = int((batch.counts or {}).get("last_line", 0)) if batch.status == "running" else 0
    sqlite = session.get_bind().dialect.name == "sqlite"
    if chunk_size is None:
        chunk_size = SQLITE_CHUNK_SIZE if sqlite else CHUNK_SIZE
    if transaction_rows is None:
        transaction_rows = SQLITE_TRANSACTION_ROWS if sqlite else chunk_size
    piece = min(chunk_size, PIECE_SIZE)
    if workers is None:  # the file's size in bytes is a good first guess of its rows
        workers = pool_size(_rows_estimate(path, fmt) - resume_after)
    pool = start_pool(
        workers,
        columns=[Column(c.index, c.header, c.field) for c in columns],
        region=settings.default_phone_region,
        lengths=w.column_lengths(),
        path=path,
        fmt=fmt,
    )
    try:
        scanned = scan(path, fmt, limits, piece)
    except ImportFileError as exc:
        pool.close()
        _finish(session, batch, "failed", commit, error=str(exc))
        raise
    total = scanned.rows
    match_all = user is None or can(user, "leads.view_all")
    run = ImportRun(
        batch_id=batch.id, owner_id=batch.owner_id, match_owner_id=None if match_all else user.id
    )  # type: ignore[union-attr]
    if resume_after:
        _restore(session, run, batch.counts)
    if commit:
        session.commit()  # the same for the reads of `_restore`
    batch.status = "running"
    batch.error_message = None
    if commit:
        session.commit()  # the UI shows "running"; each transaction below begins afresh
    report = ErrorReport(
        report_path(settings.data_dir, batch.id), fmt.headers, resume_after=resume_after
    )
    row_warnings = [w for w in (batch.warnings or []) if not str(w).startswith("line ")]
    last_line = resume_after
    pragmas = ImportPragmas()
    txn_rows, txn_started = 0, 0.0
    gc_was_on = gc.isenabled()
    # The cyclic collector would walk every row object of every chunk in memory, again
    # and again (a tenth of the import's time); rows make no reference cycles.
    gc.disable()
    try:
        prepared = pool.prepare_all(
            _work(path, fmt, limits, scanned, resume_after, piece),
            ahead=2 * -(-chunk_size // piece),  # up to 2 chunks are prepared while one writes
        )
        for rows in _regroup(prepared, chunk_size, resume_after):
            if not rows:
                continue
            if txn_rows == 0:
                txn_started = time.monotonic()
                # SQLite: take the write lock first (a read snapshot cannot be upgraded
                # to a write once a worker's heartbeat has committed meanwhile).
                options = {"sqlite_begin": "IMMEDIATE"} if sqlite and commit else None
                w.lock_imports(session.connection(execution_options=options))
            conn = session.connection()
            pragmas.apply(conn)
            write_chunk(conn, run, rows, datetime.now(UTC))
            txn_rows += len(rows)
            for r in rows:
                if r.error is not None:
                    report.add(r.line, r.error, r.values)
                elif r.warnings and len(row_warnings) < MAX_ROW_WARNINGS:
                    row_warnings.extend(f"line {r.line}: {m}" for m in r.warnings)
            last_line = rows[-1].line
            report.flush()
            del rows  # not held while the next chunk is gathered
            if txn_rows < transaction_rows and (
                not sqlite or time.monotonic() - txn_started < SQLITE_TRANSACTION_SECONDS
            ):
                continue  # more chunks in this transaction
            txn_rows = 0
            _save_progress(session, batch, run, report, row_warnings, last_line, total, commit)
            if progress is not None:
                progress(batch.progress)
        if txn_rows:
            _save_progress(session, batch, run, report, row_warnings, last_line, total, commit)
            if progress is not None:
                progress(batch.progress)
    finally:
        pool.close()
        if gc_was_on:
            gc.enable()
        pragmas.restore()
        report.close()
    batch.counts = {**run.summary(), "last_line": last_line, "rows_total": total}
    _finish(session, batch, "done", commit)
    return dict(batch.counts)


def _save_progress(
    session: Session,
    batch: ImportBatch,
    run: ImportRun,
    report: ErrorReport,
    row_warnings: list[str],
    last_line: int,
    total: int,
    commit: bool,
) -> None:
    """Commit what the transaction wrote with the counts and the last line it reached."""
    batch.counts = {**run.summary(), "last_line": last_line, "rows_total": total}
    batch.progress = min(run.counts["rows_read"] / total, 1.0) if total else 1.0
    batch.warnings = list(row_warnings)
    if report.count:
        batch.error_report_path = str(report.path)
    if commit:
        session.commit()
    else:
        session.flush()


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


def import_file(
    session: Session,
    settings: Settings,
    path: Path,
    *,
    owner: Actor | None = None,
    name: str | None = None,
    mapping: dict[str, str | None] | None = None,
    commit: bool = True,
    workers: int | None = None,
    chunk_size: int | None = None,
    transaction_rows: int | None = None,
) -> tuple[ImportBatch, dict[str, Any]]:
    """Propose (or take) a mapping and import `path` synchronously: the CLI and the demo.

    `mapping` (header -> core key or None) wins over the proposal for the headers it names.
    """
    fmt, _sample, proposal = propose_for_file(session, settings, path)
    if commit:
        session.commit()  # end the read: the batch's INSERT then begins a write of its own
    columns = apply_mapping(proposal.columns, mapping or {})
    batch = new_batch(
        session,
        name=name or path.name,
        path=path,
        filename=path.name,
        fmt=fmt,
        columns=columns,
        owner=owner,
        warnings=proposal.warnings,
        status="queued",
    )
    if commit:
        session.commit()
    counts = run_batch(
        session,
        settings,
        batch,
        user=owner,
        commit=commit,
        workers=workers,
        chunk_size=chunk_size,
        transaction_rows=transaction_rows,
    )
    return batch, counts


def apply_mapping(
    columns: list[ColumnMapping], chosen: dict[str, str | None]
) -> list[ColumnMapping]:
    """Overlay user choices (header -> field) on a proposal; a chosen column is "saved"-sure."""
    from leadreel.fields import CORE_FIELDS  # noqa: PLC0415

    known = {f.key for f in CORE_FIELDS}
    out = []
    for col in columns:
        if col.header in chosen:
            field = chosen[col.header] or None
            if field is not None and field not in known:
                raise ValueError(f"column {col.header!r}: unknown field {field!r}")
            if field != col.field:
                col = col.model_copy(update={"field": field, "confidence": 1.0, "source": "saved"})
        out.append(col)
    taken: dict[str, str] = {}
    from leadreel.fields import field as spec_of  # noqa: PLC0415

    for col in out:
        if col.field and spec_of(col.field).single:
            if col.field in taken:
                raise ValueError(
                    f"columns {taken[col.field]!r} and {col.header!r} "
                    f"are both mapped to {col.field}"
                )
            taken[col.field] = col.header
    return out


def import_demo_file(
    session: Session, settings: Settings, path: Path, owner: Actor | None = None
) -> dict[str, Any]:
    """The demo batch: imported synchronously in the caller's transaction."""
    _batch, counts = import_file(
        session, settings, Path(path), owner=owner, name="Demo leads", commit=False, workers=0
    )
    return {k: counts[k] for k in ("leads_created", "companies_created", "rows_rejected")}
