"""An export's rows: one query for exactly the columns a template reads, streamed in pages,
and a compiled function turning each result row into the template's cells.

Why not ORM objects: an export reads every selected lead once, and building a ``Lead``
(plus its joined ``Company``) per row costs most of the time and all of the memory of the
naive way. Selecting only the needed columns and reading them as tuples, in pages from a
server-side cursor (``yield_per``: psycopg's named cursor on PostgreSQL), keeps memory
flat however many rows there are. See bench/export.py and docs/benchmarks.md.

A lead's video is its latest Video (``selection.latest_video_id``). Link columns (share
link, thumbnail, GIF, snippet) are empty unless that video is finished, has a share token
and sharing is on; status, views, plays and last viewed are empty without a video.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select
from sqlalchemy.orm import Session

from leadreel.models import Company, Lead, User, Video
from leadreel.render.templates import render_text
from leadreel.services.delivery import links
from leadreel.services.exports.catalog import Catalog, ExportField
from leadreel.services.exports.columns import (
    FieldColumn,
    FixedColumn,
    FormatColumn,
    referenced_keys,
)
from leadreel.services.leads.selection import Selection, latest_video_id, lead_query
from leadreel.services.permissions import Actor

PAGE_ROWS = 2000
#: Video statuses whose file exists: links to them can be sent.
SENDABLE = frozenset({"rendered", "uploading", "ready"})
_VIDEO_COLUMNS = (
    Video.id,
    Video.share_token,
    Video.share_enabled,
    Video.status,
    Video.view_count,
    Video.play_count,
    Video.last_viewed_at,
    Video.thumbnail_path,
    Video.preview_path,
    Video.drive_url,
)
Getter = Callable[[Sequence[Any]], str]
AnyColumn = FieldColumn | FixedColumn | FormatColumn


@dataclass(frozen=True)
class SystemActor:
    """Who the CLI exports as when no user is named: sees every lead."""

    id: int = 0
    role: str = "admin"


def text_of(value: Any) -> str:
    """A database value as cell text: '' for NULL, ISO-like UTC time for datetimes."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@dataclass
class RowPlan:
    """What to select, and how to turn one selected tuple into the template's cells."""

    headers: list[str]
    selected: list[Any]
    cells: Callable[[Sequence[Any]], list[str]]
    needs_video: bool


def _video_getter(attr: str, start: int, base_url: str) -> Getter:
    (vid, token, enabled, status, views, plays, last, thumb, preview, drive) = range(
        start, start + len(_VIDEO_COLUMNS)
    )

    def sendable(r: Sequence[Any]) -> bool:
        return bool(r[token]) and bool(r[enabled]) and r[status] in SENDABLE

    def get(r: Sequence[Any]) -> str:  # noqa: PLR0911 - one branch per video value
        if r[vid] is None:
            return ""
        if attr == "status":
            return r[status] or ""
        if attr == "views":
            return str(r[views] or 0)
        if attr == "plays":
            return str(r[plays] or 0)
        if attr == "last_viewed":
            return text_of(r[last])
        if attr == "drive_url":
            return (r[drive] or "") if r[enabled] else ""
        if not sendable(r):
            return ""
        if attr == "share_url":
            return links.share_url(base_url, r[token])
        if attr == "thumbnail_url":
            return links.thumbnail_url(base_url, r[token]) if r[thumb] else ""
        if attr == "gif_url":
            return links.gif_url(base_url, r[token]) if r[preview] else ""
        if attr == "email_snippet":
            return links.email_snippet(base_url, r[token], gif=bool(r[preview]))
        raise KeyError(attr)

    return get


def plan_rows(columns: Sequence[AnyColumn], catalog: Catalog, base_url: str) -> RowPlan:
    """Select only what ``columns`` read; compile one getter per column."""
    selected: list[Any] = [Lead.id]
    positions: dict[Any, int] = {}

    def position(expr: Any) -> int:
        if expr not in positions:
            positions[expr] = len(selected)
            selected.append(expr)
        return positions[expr]

    keys = set().union(*(referenced_keys(c) for c in columns))
    needs_video = any((f := catalog.get(k)) is not None and f.source == "video" for k in keys)
    video_start = len(selected)
    if needs_video:
        for expr in _VIDEO_COLUMNS:
            position(expr)
    getters: dict[str, Getter] = {}
    for key in keys:
        found = catalog.get(key)
        if found is None:
            raise KeyError(f"unknown field {key!r}")
        getters[key] = _getter(found, position, video_start, base_url)

    funcs: list[Getter] = []
    for column in columns:
        if isinstance(column, FieldColumn):
            funcs.append(getters[column.field])
        elif isinstance(column, FixedColumn):
            funcs.append(lambda _r, v=column.value: v)
        else:
            used = {k: getters[k] for k in referenced_keys(column)}

            def fmt(
                r: Sequence[Any], text: str = column.format, used: dict[str, Getter] = used
            ) -> str:
                return render_text(text, {k: g(r) for k, g in used.items()})

            funcs.append(fmt)

    def cells(r: Sequence[Any]) -> list[str]:
        return [f(r) for f in funcs]

    return RowPlan([c.header for c in columns], selected, cells, needs_video)


def _getter(
    found: ExportField, position: Callable[[Any], int], video_start: int, base_url: str
) -> Getter:
    if found.source == "video":
        return _video_getter(found.attr, video_start, base_url)
    if found.source == "lead":
        i = position(getattr(Lead, found.attr))
    elif found.source == "company":
        i = position(getattr(Company, found.attr))
    else:
        holder = Lead.custom if found.source == "lead_custom" else Company.custom
        j = position(holder)
        key = found.attr
        return lambda r: text_of((r[j] or {}).get(key))
    return lambda r: text_of(r[i])


def rows_query(actor: Actor | None, selection: Selection, plan: RowPlan) -> Select[Any]:
    """The selected leads ``actor`` may see, in id order, with the plan's columns."""
    who = cast(User, actor or SystemActor())
    query = lead_query(who, selection, *plan.selected)
    if plan.needs_video:
        query = query.outerjoin(Video, Video.id == latest_video_id())
    return query.order_by(Lead.id)


def stream_pages(
    session: Session, query: Select[Any], page_rows: int = PAGE_ROWS
) -> Iterator[Sequence[Sequence[Any]]]:
    """The query's rows in pages of ``page_rows`` from a server-side cursor."""
    # Core, not ORM, results: the rows are plain tuples and the ORM's per-row work is skipped.
    result = session.connection().execute(
        query.execution_options(yield_per=page_rows, stream_results=True)
    )
    try:
        yield from result.partitions()
    finally:
        result.close()
