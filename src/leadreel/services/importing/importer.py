"""Start imports: propose a file's mapping, create its batch, run it in one call.

Entry points: `propose_for_file` and `new_batch` (the upload/preview/confirm flow in
`uploads` and the CLI), `import_file` (synchronous, one call: the CLI and the bench),
`import_demo_file` (the demo). Running a batch is `batch.run_batch` (the task handler).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import ImportBatch, SavedMapping
from leadreel.services.importing.batch import limits_for, run_batch
from leadreel.services.importing.mapping import (
    ColumnMapping,
    MappingProposal,
    header_signature,
    propose_mapping,
)
from leadreel.services.importing.parsing import FileFormat, read_sample, sniff
from leadreel.services.permissions import Actor

__all__ = [
    "apply_mapping",
    "kind_info",
    "import_demo_file",
    "import_file",
    "limits_for",
    "new_batch",
    "propose_for_file",
    "run_batch",
]


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


def kind_info(proposal: MappingProposal) -> dict[str, Any]:
    """The file-kind decision as stored in `ImportBatch.file_format` (shown on the preview)."""
    return {
        "rows_are": proposal.kind,
        "kind_score": proposal.kind_score,
        "kind_reasons": list(proposal.kind_reasons),
        "kind_forced": proposal.kind_forced,
    }


def propose_for_file(
    session: Session | None,
    settings: Settings,
    path: Path,
    *,
    use_ai: bool = True,
    kind: str | None = None,
) -> tuple[FileFormat, list[list[str]], MappingProposal]:
    """Sniff a file and propose its mapping (saved mapping first, then rules, then AI);
    `kind` ("people" / "businesses") overrides the file-kind decision."""
    limits = limits_for(settings)
    fmt = sniff(path, limits=limits)
    sample = [r.values for r in read_sample(path, fmt, 20, limits=limits)]
    saved = saved_mapping_for(session, fmt.headers) if session is not None else None
    provider = ai_provider(settings) if use_ai else None
    try:
        proposal = propose_mapping(
            fmt.headers,
            sample,
            saved=saved,
            provider=provider,
            kind=kind,  # type: ignore[arg-type]
        )
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
    kind: dict[str, Any] | None = None,
) -> ImportBatch:
    """Add (not commit) a batch for a stored file and its mapping."""
    batch = ImportBatch(
        name=name[:200],
        filename=filename[:500],
        stored_path=str(path),
        file_size=path.stat().st_size,
        file_format={**fmt.as_dict(), **(kind or {})},
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
    kind: str | None = None,
) -> tuple[ImportBatch, dict[str, Any]]:
    """Propose (or take) a mapping and import `path` synchronously: the CLI and the demo.

    `mapping` (header -> core key or None) wins over the proposal for the headers it names.
    """
    fmt, _sample, proposal = propose_for_file(session, settings, path, kind=kind)
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
        kind=kind_info(proposal),
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
