"""What ``leadreel videos render`` needs besides the pipeline: who acts, which leads,
which template, and how far the videos are.

Why apart from the CLI: the choices (an admin acts unless ``--as`` names someone, a batch
and a template are found by name, a missing name is a clear error) are rules, testable
without Click.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.models import ImportBatch, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.leads.selection import Selection
from leadreel.services.videos.names import ACTIVE_STATUSES


def acting_user(session: Session, email: str | None) -> User:
    """The user named by ``--as``, else the first active admin."""
    if email:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise NotFound(f"no active user with email {email}")
        return user
    user = session.scalar(
        select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id).limit(1)
    )
    if user is None:
        raise NotFound("no admin user yet: create one, or name a user with --as")
    return user


def find_batch(session: Session, name: str) -> ImportBatch:
    """The newest batch called ``name`` (or with that id)."""
    query = select(ImportBatch).where(ImportBatch.name == name)
    if name.isdigit():
        query = select(ImportBatch).where(
            (ImportBatch.name == name) | (ImportBatch.id == int(name))
        )
    batch = session.scalars(query.order_by(ImportBatch.id.desc()).limit(1)).first()
    if batch is None:
        raise NotFound(f"no import batch named {name!r}")
    return batch


def find_template(session: Session, name: str | None) -> int | None:
    """The template id named ``name`` (None: the default template)."""
    if not name:
        return None
    row = session.scalars(
        select(TemplateRow).where(TemplateRow.name == name).order_by(TemplateRow.id).limit(1)
    ).first()
    if row is None and name.isdigit():
        row = session.get(TemplateRow, int(name))
    if row is None:
        raise NotFound(f"no template named {name!r}")
    return row.id


def selection_for(
    session: Session, lead_ids: tuple[int, ...], batch: str | None, everything: bool
) -> Selection:
    """Exactly one of ``--lead``, ``--batch`` and ``--all``."""
    if sum((bool(lead_ids), bool(batch), everything)) != 1:
        raise ValidationError("name exactly one of --lead ID (repeatable), --batch NAME or --all")
    if lead_ids:
        return Selection(lead_ids=list(lead_ids))
    if batch:
        return Selection(batch_id=find_batch(session, batch).id)
    return Selection(everything=True)


def progress(session: Session, video_ids: list[int]) -> tuple[int, float]:
    """How many of the videos are still active, and their mean progress (0..1)."""
    if not video_ids:
        return 0, 1.0
    rows = session.execute(
        select(Video.status, Video.progress).where(Video.id.in_(video_ids))
    ).all()
    active = sum(1 for status, _ in rows if status in ACTIVE_STATUSES)
    done = sum(1.0 if status not in ACTIVE_STATUSES else (p or 0) for status, p in rows)
    return active, done / max(1, len(video_ids))
