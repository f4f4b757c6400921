"""Demo presenter clips and image in the media library, and a default template that uses them.

Why apart from the library: it builds a template as well as assets, and the template store
sits above the library (a template names library assets).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import MediaAsset
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.render.media import generate_demo_clips
from leadreel.services.videos import library, template_store


def ensure_demo_media(
    session: Session,
    settings: Settings,
    *,
    seconds: float | None = None,
    size: tuple[int, int] = (1280, 720),
) -> None:
    """Generate demo clips + image, add them as assets, and a default template if none exists.

    Idempotent: files are generated once and assets are matched by path, so ``leadreel demo``
    can run at every start. The caller commits.
    """
    width, height = size
    files = generate_demo_clips(
        library.media_dir(settings) / "demo",
        seconds=seconds,
        width=width,
        height=height,
        runner=library.ffmpeg_runner(settings),
    )
    ids: dict[str, str] = {}
    for key, path in files.items():
        asset = session.scalar(select(MediaAsset).where(MediaAsset.path == str(path)))
        if asset is None:
            kind = "image" if key == "demo_image" else "clip"
            asset = MediaAsset(
                kind=kind,
                name=library.DEMO_NAMES.get(key, key),
                path=str(path),
                content_hash=library.file_hash(path),
                **library.describe(path, kind),
            )
            session.add(asset)
            session.flush()
        ids[key] = str(asset.id)
    if session.scalar(select(TemplateRow.id).limit(1)) is None:
        template_store.create_default_template(session, clip_ids=ids)
