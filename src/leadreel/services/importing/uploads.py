"""The web import flow as services: store an upload, preview it, confirm it into a task.

Why services: views stay thin (parse the form, call one function, render); these
functions check permissions, own the transaction and commit. Files are stored under
`<data_dir>/uploads` with a random name (the user's file name is only displayed), and
the configured limits are enforced while copying and in a full validation pass, so a
file that is too big, too long or unreadable is refused at upload with a clear message
instead of failing later in a worker.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import ImportBatch, SavedMapping
from leadreel.services.importing.importer import (
    apply_mapping,
    kind_info,
    limits_for,
    new_batch,
    propose_for_file,
)
from leadreel.services.importing.mapping import ColumnMapping, header_signature
from leadreel.services.importing.parsing import (
    FileFormat,
    FileLimitError,
    ImportFileError,
    read_sample,
)
from leadreel.services.importing.pieces import count_records
from leadreel.services.permissions import Actor, require

ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
COPY_BLOCK = 1024 * 1024
PREVIEW_ROWS = 10


def store_upload(settings: Settings, stream: IO[bytes], filename: str) -> Path:
    """Copy an uploaded stream to the data dir under a random name, enforcing the size limit."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ImportFileError(
            f"{filename or 'this file'}: upload a CSV, TSV or XLSX file "
            f"({', '.join(ALLOWED_SUFFIXES)})"
        )
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}{suffix}"
    limit = settings.max_upload_mb * 1024 * 1024
    size = 0
    with path.open("wb") as out:
        while block := stream.read(COPY_BLOCK):
            size += len(block)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise FileLimitError("bytes", limit, size, at_least=True)
            out.write(block)
    return path


def create_batch(
    session: Session,
    settings: Settings,
    stream: IO[bytes],
    filename: str,
    user: Actor,
    *,
    name: str | None = None,
) -> ImportBatch:
    """Store, validate and map an upload; commit a batch in status "uploaded"."""
    require(user, "leads.import")
    path = store_upload(settings, stream, filename)
    try:
        fmt, _sample, proposal = propose_for_file(session, settings, path)
        total = count_records(path, fmt, limits_for(settings))
        if total == 0:
            raise ImportFileError("the file has a header but no data rows")
    except ImportFileError:
        path.unlink(missing_ok=True)
        raise
    batch = new_batch(
        session,
        name=name or Path(filename).stem or "Import",
        path=path,
        filename=filename,
        fmt=fmt,
        columns=proposal.columns,
        owner=user,
        warnings=proposal.warnings,
        kind=kind_info(proposal),
    )
    batch.counts = {"rows_total": total}
    session.commit()
    return batch


def preview(settings: Settings, batch: ImportBatch, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """First rows and the mapping of a batch, for the preview page: per column three sample
    values; the file-kind decision; what the free-text mining found in the first rows."""
    fmt = FileFormat.from_dict(batch.file_format)
    sample = read_sample(Path(batch.stored_path), fmt, rows, limits=limits_for(settings))
    columns = [ColumnMapping(**c) for c in batch.mapping]
    values = [r.values for r in sample]
    info = batch.file_format or {}
    return {
        "headers": list(fmt.headers),
        "columns": columns,
        "samples": {c.index: sample_values(values, c.index) for c in columns},
        "rows": values,
        "format": batch.file_format,
        "kind": info.get("rows_are", "people"),
        "kind_reasons": info.get("kind_reasons", []),
        "kind_forced": info.get("kind_forced", False),
        "mined": mined_values(columns, sample),
    }


def sample_values(rows: list[list[str]], index: int, n: int = 3) -> list[str]:
    """Up to `n` distinct non-empty values of a column, cut for display."""
    out: list[str] = []
    for row in rows:
        value = row[index].strip() if index < len(row) else ""
        if value and value not in out:
            out.append(value if len(value) <= 140 else value[:137] + "...")
            if len(out) == n:
                break
    return out


def mined_values(columns: list[ColumnMapping], sample: list[Any]) -> list[dict[str, Any]]:
    """Per sample row, the values the rules inferred (free text mined, business rows), so
    the user sees them before importing."""
    from leadreel.services.importing.normalize import RowNormalizer  # noqa: PLC0415

    normalizer = RowNormalizer(columns)
    out = []
    for record in sample:
        row = normalizer.normalize(record.values)
        if not row.inferred:
            continue
        found = {k: (row.lead.get(k) or row.company.get(k)) for k in sorted(row.inferred)}
        out.append({"line": record.line, "values": {k: v for k, v in found.items() if v}})
    return out


def switch_kind(
    session: Session, settings: Settings, batch: ImportBatch, user: Actor, kind: str
) -> ImportBatch:
    """Re-propose an uploaded batch's mapping as a file of `kind` rows; commits."""
    require(user, "leads.import", batch)
    if kind not in ("people", "businesses"):
        raise ValueError(f"kind must be 'people' or 'businesses', got {kind!r}")
    if batch.status != "uploaded":
        raise ImportFileError(f"this import is already {batch.status}")
    _fmt, _sample, proposal = propose_for_file(
        session, settings, Path(batch.stored_path), kind=kind
    )
    batch.mapping = [c.model_dump() for c in proposal.columns]
    batch.file_format = {**(batch.file_format or {}), **kind_info(proposal)}
    batch.warnings = list(proposal.warnings)
    session.commit()
    return batch


def save_mapping(
    session: Session, headers: list[str], columns: list[ColumnMapping], user: Actor
) -> SavedMapping:
    """Remember this mapping for the next file with the same header set (mapping layer 1)."""
    signature = header_signature(headers)
    saved = session.scalar(select(SavedMapping).where(SavedMapping.header_signature == signature))
    if saved is None:
        saved = SavedMapping(header_signature=signature, owner_id=user.id)
        session.add(saved)
    saved.headers = list(headers)
    saved.mapping = {c.header: c.field for c in columns}
    return saved


def confirm_batch(
    session: Session,
    batch: ImportBatch,
    user: Actor,
    chosen: Mapping[str, str | None],
    *,
    save: bool = False,
    name: str | None = None,
    next_task: dict[str, Any] | None = None,
) -> Any:
    """Apply the user's mapping, maybe save it, and enqueue the `import_csv` task; commits.

    ``next_task`` (a ``queue.chain``) runs after the import succeeds, e.g. AI enrichment.
    """
    from leadreel.services.importing.tasks import TASK_TYPE  # noqa: PLC0415 - registers the type
    from leadreel.tasks.queue import enqueue  # noqa: PLC0415

    require(user, "leads.import", batch)
    if batch.status != "uploaded":
        raise ImportFileError(f"this import is already {batch.status}")
    columns = apply_mapping([ColumnMapping(**c) for c in batch.mapping], dict(chosen))
    if not any(c.field for c in columns):
        raise ImportFileError("map at least one column to a field")
    batch.mapping = [c.model_dump() for c in columns]
    if name:
        batch.name = name.strip()[:200] or batch.name
    if save:
        save_mapping(session, list(batch.headers), columns, user)
    batch.status = "queued"
    task = enqueue(
        session,
        TASK_TYPE,
        {"batch_id": batch.id},
        batch_id=batch.id,
        dedupe_key=f"batch:{batch.id}",
        created_by_id=user.id,
        next_task=next_task,
    )
    session.commit()
    return task
