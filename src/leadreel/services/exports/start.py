"""Starting an export: the one entry point for the Exports page, the overview's selection,
the CLI's scripts and (later) the assistant.

:func:`start_export` checks the user may export the selection (a rep only ever gets their
own leads: every query is scoped with ``permissions.scope_leads``), records an ``Export``
row, and either writes the file before returning (up to ``export_background_rows`` rows)
or enqueues one ``export_leads`` task that writes it with progress.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import Export, ImportBatch, User
from leadreel.services.exports.catalog import load_catalog
from leadreel.services.exports.columns import parse_columns
from leadreel.services.exports.runner import ExportOptions, base_url_for, run_export
from leadreel.services.exports.tasks import TASK_TYPE
from leadreel.services.exports.templates import TemplateView, find_template
from leadreel.services.leads import selection as lead_selection
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import Actor, can, require
from leadreel.tasks.queue import enqueue


def describe(session: Session, selection: Selection) -> str:
    """The selection in words, for the history ("batch Spring fair, search 'acme'")."""
    parts: list[str] = []
    if selection.lead_ids:
        parts.append(f"{len(set(selection.lead_ids)):,} selected lead(s)")
    if selection.batch_id:
        batch = session.get(ImportBatch, selection.batch_id)
        parts.append(f"batch {batch.name if batch else selection.batch_id}")
    if selection.q:
        parts.append(f"search {selection.q!r}")
    if selection.status:
        parts.append(f"lead status {selection.status}")
    if selection.video_status:
        parts.append(f"video {selection.video_status}")
    return ", ".join(parts) or "all leads"


def check_selection(session: Session, user: Actor, selection: Selection) -> None:
    """Refuse naming leads or a batch the user may not export; filters just narrow."""
    require(user, "exports.run")
    if selection.is_empty():
        raise ValidationError("select leads, a batch or a filter to export")
    ids = sorted(set(selection.lead_ids))
    if len(ids) > lead_selection.MAX_NAMED:
        raise ValidationError(f"more than {lead_selection.MAX_NAMED:,} leads named; use a filter")
    if ids and lead_selection.count(session, user, Selection(lead_ids=ids)) != len(ids):  # type: ignore[arg-type]
        raise PermissionDenied("some of the selected leads are not yours to export")
    if selection.batch_id:
        batch = session.get(ImportBatch, selection.batch_id)
        if batch is None or not can(user, "exports.run", batch):
            raise PermissionDenied("this batch is not yours to export")


def start_export(
    session: Session,
    settings: Settings,
    user: User,
    template: TemplateView,
    selection: Selection,
    options: ExportOptions | None = None,
    *,
    base_url: str | None = None,
    background: bool | None = None,
) -> Export:
    """Record and run an export of ``selection`` with ``template`` for ``user``; commits.

    Small exports are written before this returns (``status == "done"``); more than
    ``settings.export_background_rows`` rows (or ``background=True``) enqueue the
    ``export_leads`` task and return the queued record (poll it, or the Exports page).
    """
    options = options or ExportOptions()
    check_selection(session, user, selection)
    columns = parse_columns(template.columns, load_catalog(session))  # fails before recording
    total = lead_selection.count(session, user, selection)
    export = Export(
        created_by_id=user.id,
        template_id=template.id,
        template_name=template.name,
        columns=[c.model_dump() for c in columns],
        format=options.format,
        options={
            "bom": options.bom,
            "delimiter": options.delimiter,
            "base_url": base_url or base_url_for(settings),
        },
        selection=selection.to_json(),
        filter_text=describe(session, selection)[:500],
        status="queued",
        total=total,
    )
    session.add(export)
    session.flush()
    if background if background is not None else total > settings.export_background_rows:
        task = enqueue(session, TASK_TYPE, {"export_id": export.id}, created_by_id=user.id)
        session.flush()
        export.task_id = task.id if task is not None else None
        session.commit()
        return export
    session.commit()
    run_export(session, settings, export)
    return export


def export_selection(
    session: Session,
    settings: Settings,
    user: User,
    template_name: str,
    selection: Selection,
    *,
    format: str = "csv",
    bom: bool = False,
    delimiter: str = ",",
    base_url: str | None = None,
) -> Export:
    """``start_export`` by template name, for callers that speak in words (the assistant):
    "export my leads from the fair batch with Email outreach as XLSX". Raises NotFound for
    an unknown template, ValidationError/PermissionDenied like ``start_export``."""
    template = find_template(session, template_name)
    return start_export(
        session,
        settings,
        user,
        template,
        selection,
        ExportOptions(format, bom, delimiter),
        base_url=base_url,
    )
