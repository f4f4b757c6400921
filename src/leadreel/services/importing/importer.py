"""Run an import batch into the database: stream, prepare in chunks, match, write, report.

Why this shape:
- a validation pass reads the whole file once before anything is written, so a file
  that breaks on line 900,000 (an unclosed quote, the row limit) fails with a clear
  message and imports nothing, and the progress bar knows the total;
- records are streamed and handled in chunks of `chunk_size`; each chunk is matched
  and written in one transaction (`resolve.write_chunk`) and committed together with
  the batch's progress, counts and last committed line, so a crash leaves a
  consistent batch that a re-run resumes after that line without duplicating rows,
  and that "undo" can always remove;
- normalising (names, phones, URLs) is the CPU-heavy part: for big files it runs in a
  small process pool (`prepare.prepare_chunks`) while this process reads and writes.

Entry points: `run_batch` (task handler, CLI), `import_file` (synchronous, one call),
`import_demo_file` (the demo). The upload/preview/confirm flow is in `uploads`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import ImportBatch, SavedMapping
from leadreel.services.importing.mapping import (
    ColumnMapping,
    MappingProposal,
    header_signature,
    propose_mapping,
)
from leadreel.services.importing.parsing import (
    FileFormat,
    FileLimitError,
    ImportFileError,
    Limits,
    iter_records,
    read_sample,
    sniff,
)
from leadreel.services.importing.prepare import RawRecord, prepare_chunks
from leadreel.services.importing.report import ErrorReport, report_path
from leadreel.services.importing.resolve import ImportRun, write_chunk
from leadreel.services.importing.writer import ImportPragmas
from leadreel.services.permissions import Actor, can

#: Rows matched and written per transaction. SQLite in WAL mode writes every page a
#: commit dirtied to the WAL, and six indexes on `leads` take random inserts, so a
#: commit costs about the same for 5,000 rows as for 25,000: bigger chunks more than
#: halve SQLite's writing time for a million-row import. PostgreSQL keeps 5,000 (it
#: measured slower with 25,000). Normalising goes to the pool in pieces of
#: `PIECE_SIZE` either way.
CHUNK_SIZE = 5_000
SQLITE_CHUNK_SIZE = 25_000
PIECE_SIZE = 5_000
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


def count_records(path: Path, fmt: FileFormat, limits: Limits) -> int:
    """Read the whole file once: raises ImportFileError before anything is written.

    For CSV this is a lean pass (the csv module and a row count, the same rules as
    `parsing.iter_records`) so validating a million rows costs a second or two.
    """
    if fmt.kind != "csv":
        return sum(1 for _ in iter_records(path, fmt, limits=limits))
    count = 0
    with path.open("r", encoding=fmt.encoding, errors="replace", newline="") as fh:
        lines = (line.replace("\x00", "") if "\x00" in line else line for line in fh)
        reader = csv.reader(lines, delimiter=fmt.delimiter or ",")
        start = 1
        try:
            for row in reader:
                if start > fmt.header_line and any(c.strip() for c in row):
                    count += 1
                    if count > limits.max_rows:
                        raise FileLimitError("data rows", limits.max_rows, count, at_least=True)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFileError(f"cannot parse line {start}: {exc} (an unclosed quote?)") from exc
    return count


def _chunks(
    path: Path, fmt: FileFormat, limits: Limits, after: int, size: int
) -> Iterator[list[RawRecord]]:
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


def _regroup(pieces: Iterator[list[Any]], size: int) -> Iterator[list[Any]]:
    """Join consecutive prepared pieces into chunks of at least `size` rows (the last less)."""
    chunk: list[Any] = []
    for piece in pieces:
        if chunk:
            chunk.extend(piece)
        else:
            chunk = piece
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _restore(run: ImportRun, counts: dict[str, Any]) -> None:
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
    for key in ("leads_matched", "leads_updated", "companies_matched", "companies_updated"):
        run.counts[f"{key}_before"] = int(counts.get(key, 0))


def run_batch(
    session: Session,
    settings: Settings,
    batch: ImportBatch,
    *,
    user: Actor | None = None,
    progress: Progress | None = None,
    commit: bool = True,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Import `batch`'s file with its mapping; returns the counts.

    `user` decides matching scope (a rep matches only their own leads; None or a
    manager/admin matches all). `commit=False` (the demo) leaves the transaction to the
    caller. Raises ImportFileError (batch marked failed, nothing written) for a bad file.
    """
    limits = limits_for(settings)
    path = Path(batch.stored_path)
    fmt = format_from_dict(batch.file_format)
    columns = [ColumnMapping(**c) for c in batch.mapping]
    resume_after = int((batch.counts or {}).get("last_line", 0)) if batch.status == "running" else 0
    try:
        total = count_records(path, fmt, limits)
    except ImportFileError as exc:
        _finish(session, batch, "failed", commit, error=str(exc))
        raise
    match_all = user is None or can(user, "leads.view_all")
    run = ImportRun(
        batch_id=batch.id, owner_id=batch.owner_id, match_owner_id=None if match_all else user.id
    )  # type: ignore[union-attr]
    if resume_after:
        _restore(run, batch.counts)
    batch.status = "running"
    batch.error_message = None
    report = ErrorReport(
        report_path(settings.data_dir, batch.id), fmt.headers, resume_after=resume_after
    )
    row_warnings = [w for w in (batch.warnings or []) if not str(w).startswith("line ")]
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if total - resume_after >= POOL_MIN_ROWS else 0
    last_line = resume_after
    pragmas = ImportPragmas()
    try:
        if chunk_size is None:
            sqlite = session.get_bind().dialect.name == "sqlite"
            chunk_size = SQLITE_CHUNK_SIZE if sqlite else CHUNK_SIZE
        piece = min(chunk_size, PIECE_SIZE)
        pieces = _chunks(path, fmt, limits, resume_after, piece)
        prepared = prepare_chunks(
            pieces,
            columns,
            settings.default_phone_region,
            workers=workers,
            ahead=-(-chunk_size // piece),  # the next chunk is prepared while this one writes
        )
        for rows in _regroup(prepared, chunk_size):
            conn = session.connection()
            pragmas.apply(conn)
            write_chunk(conn, run, rows, datetime.now(UTC))
            for r in rows:
                if r.error is not None:
                    report.add(r.line, r.error, r.values)
                elif r.warnings and len(row_warnings) < MAX_ROW_WARNINGS:
                    row_warnings.extend(f"line {r.line}: {m}" for m in r.warnings)
            last_line = rows[-1].line
            report.flush()
            done = run.counts["rows_read"]
            batch.counts = {**run.summary(), "last_line": last_line, "rows_total": total}
            batch.progress = min(done / total, 1.0) if total else 1.0
            batch.warnings = list(row_warnings)
            if report.count:
                batch.error_report_path = str(report.path)
            if commit:
                session.commit()
            else:
                session.flush()
            if progress is not None:
                progress(batch.progress)
            del rows  # not held while the next chunk is gathered
    finally:
        pragmas.restore()
        report.close()
    batch.counts = {**run.summary(), "last_line": last_line, "rows_total": total}
    _finish(session, batch, "done", commit)
    return dict(batch.counts)


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
) -> tuple[ImportBatch, dict[str, Any]]:
    """Propose (or take) a mapping and import `path` synchronously: the CLI and the demo.

    `mapping` (header -> core key or None) wins over the proposal for the headers it names.
    """
    fmt, _sample, proposal = propose_for_file(session, settings, path)
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
        session, settings, batch, user=owner, commit=commit, workers=workers, chunk_size=chunk_size
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
