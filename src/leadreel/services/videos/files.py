"""Rendered files on disk: drop a lead's superseded renders, and prune what nothing uses.

Why: every render writes a directory of its own (``videos/<lead>/<video>/``: the MP4, the
JPEG thumbnail, the GIF preview and the title card it was given), so re-rendering a lead
used to keep every earlier render forever.

* After a successful render (:func:`supersede`, called by the ``render_video`` task), the
  lead's older Video rows stop pointing at their files, in the render's own transaction;
  the files are deleted only once that transaction has committed
  (:func:`delete_after_commit`). A failed render never gets there, so the last good video
  is never lost, and a rolled-back success (a lost lease) deletes nothing.
* A file another Video row still points at is kept.
* :func:`prune` (``leadreel videos prune``) sweeps the rest: files under ``videos/`` that no
  Video row references (failed renders' title cards, rows deleted with rejected samples),
  editor previews older than a day, and render-cache parts unused for ``cache_days``. It
  never touches the directory of a video still queued, capturing or rendering, nor any
  file outside those three directories (the database, media and screenshots live beside).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, or_, select, union, update
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import Video
from leadreel.render.engine import prune_cache
from leadreel.services.videos.names import ACTIVE_STATUSES

FILE_COLUMNS = ("file_path", "thumbnail_path", "preview_path")
PREVIEW_MAX_AGE = 86_400.0
_PENDING = "leadreel.video_files.pending"


def videos_root(data_dir: Path) -> Path:
    return data_dir / "videos"


@dataclass
class Removal:
    """Files and whole render directories to delete once a transaction commits."""

    files: list[Path] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files or self.dirs)


def _referenced(session: Session, paths: Iterable[str]) -> set[str]:
    """Which of ``paths`` some Video row still points at (any of its three file columns)."""
    wanted = sorted(set(paths))
    if not wanted:
        return set()
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = union(
            *(select(getattr(Video, c)).where(getattr(Video, c).in_(chunk)) for c in FILE_COLUMNS)
        )
        found.update(p for p in session.scalars(query) if p)
    return found


def supersede(session: Session, data_dir: Path, lead_id: int, video_id: int) -> Removal:
    """Unlink the lead's videos older than ``video_id`` from their files; return what to
    delete after commit (files no other row references). Runs in the caller's transaction."""
    older = session.execute(
        select(Video.id, *(getattr(Video, c) for c in FILE_COLUMNS)).where(
            Video.lead_id == lead_id,
            Video.id < video_id,
            Video.status.not_in(ACTIVE_STATUSES),
            or_(*(getattr(Video, c).is_not(None) for c in FILE_COLUMNS)),
        )
    ).all()
    if not older:
        return Removal()
    session.execute(
        update(Video)
        .where(Video.id.in_([row.id for row in older]))
        .values(dict.fromkeys(FILE_COLUMNS))
    )
    keep = _referenced(session, [p for row in older for p in row[1:] if p])
    root = videos_root(data_dir).resolve()
    removal = Removal()
    for row in older:
        paths = [p for p in row[1:] if p]
        removal.files += [Path(p) for p in paths if p not in keep and _inside(Path(p), root)]
        own_dir = root / str(lead_id) / str(row.id)
        if not keep.intersection(paths) and own_dir.is_dir():
            removal.dirs.append(own_dir)  # nothing of it is referenced: the title card too
    return removal


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False


def delete_after_commit(session: Session, removal: Removal) -> None:
    """Delete ``removal`` when the session's outermost transaction commits; forget it on
    rollback. (``after_commit`` also fires for savepoints: those are skipped.)"""
    if not removal:
        return
    pending: list[Removal] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _on_commit)
        event.listen(session, "after_soft_rollback", _on_rollback)
    pending.append(removal)


def _on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for removal in session.info.pop(_PENDING, []):
        delete(removal)
    session.info[_PENDING] = []


def _on_rollback(session: Session, previous_transaction: object) -> None:
    if getattr(previous_transaction, "parent", None) is None:
        session.info[_PENDING] = []


def delete(removal: Removal) -> None:
    for directory in removal.dirs:
        shutil.rmtree(directory, ignore_errors=True)
    for path in removal.files:
        path.unlink(missing_ok=True)


# -- prune ---------------------------------------------------------------------------------


@dataclass
class PruneReport:
    """What ``prune`` removed (or, in a dry run, would remove)."""

    files: list[Path] = field(default_factory=list)  # unreferenced render files
    previews: list[Path] = field(default_factory=list)  # editor preview directories
    cache: list[Path] = field(default_factory=list)  # render-cache parts
    bytes: int = 0

    @property
    def count(self) -> int:
        return len(self.files) + len(self.previews) + len(self.cache)


def _key(path: Path) -> tuple[str, ...]:
    """A file's last three parts (``<lead>/<video>/<name>``): rows written before the data
    dir moved still protect their files (when in doubt, keep)."""
    return path.parts[-3:]


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _stale_cache(cache_dir: Path, max_age_days: float) -> list[Path]:
    """The parts ``render.prune_cache`` would delete (same glob, same age rule)."""
    if not cache_dir.is_dir():
        return []
    cutoff = time.time() - max_age_days * 86400
    parts = [*cache_dir.glob("segment-*.mov"), *cache_dir.glob("audio-*.m4a")]
    return [p for p in parts if p.is_file() and p.stat().st_mtime < cutoff]


def prune(
    session: Session,
    settings: Settings,
    *,
    dry_run: bool = False,
    cache_days: float = 30,
    now: float | None = None,
) -> PruneReport:
    """Remove render files no Video row references, old editor previews and stale cache parts.

    Active videos are read before the references, so a render that finishes meanwhile is
    either still active (its directory skipped) or already referenced.
    """
    report = PruneReport()
    root = videos_root(settings.data_dir)
    active = {
        str(i) for i in session.scalars(select(Video.id).where(Video.status.in_(ACTIVE_STATUSES)))
    }
    referenced: set[tuple[str, ...]] = set()
    for column in FILE_COLUMNS:
        col = getattr(Video, column)
        rows = session.scalars(
            select(col).where(col.is_not(None)).execution_options(yield_per=2000)
        )
        referenced.update(_key(Path(p)) for p in rows)
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).parts
            if not path.is_file() or (len(rel) >= 2 and rel[1] in active):
                continue
            if _key(path) not in referenced:
                report.files.append(path)
    previews = settings.data_dir / "previews"
    if previews.is_dir():
        cutoff = (now or time.time()) - PREVIEW_MAX_AGE
        report.previews = sorted(
            d for d in previews.iterdir() if d.is_dir() and d.stat().st_mtime < cutoff
        )
    cache_dir = settings.data_dir / "cache" / "segments"
    report.cache = _stale_cache(cache_dir, cache_days)
    report.bytes = sum(_size(p) for p in [*report.files, *report.previews, *report.cache])
    if dry_run:
        return report
    for path in report.files:
        path.unlink(missing_ok=True)
    for directory in report.previews:
        shutil.rmtree(directory, ignore_errors=True)
    report.cache = prune_cache(cache_dir, max_age_days=cache_days)
    _remove_empty_dirs(root)
    return report


def _remove_empty_dirs(root: Path) -> None:
    if not root.is_dir():
        return
    for directory in sorted((d for d in root.rglob("*") if d.is_dir()), reverse=True):
        try:
            directory.rmdir()  # only succeeds when empty
        except OSError:
            continue
