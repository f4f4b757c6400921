"""The media library: presenter clips and images stored under ``data_dir/media``.

Why a service of its own: an upload is only accepted after ffprobe-style validation
(:mod:`leadreel.render.media`), so a bad file is refused with a message while the
user is still on the page, not hours later inside a batch render. Files get a random name
(the user's file name is kept as the asset's display name only, never used as a path),
and a content hash so renders can cache lead-independent segments by content.

Templates name assets by id (``"12"``) or, for hand-written JSON, by name (``"intro"``);
:func:`resolve_assets` turns those references into paths for the renderer.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.errors import NotFound, ValidationError
from leadreel.models import MediaAsset
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.render.media import (
    MediaValidationError,
    validate_clip,
    validate_image,
)

CLIP_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
DEMO_NAMES = {
    "intro": "Demo intro",
    "walkthrough": "Demo walkthrough",
    "outro": "Demo outro",
    "demo_image": "Demo image",
}


def media_dir(settings: Settings) -> Path:
    return settings.data_dir / "media"


def kind_for(filename: str) -> str:
    """``clip`` or ``image`` from the file's extension; raises ValidationError otherwise."""
    suffix = Path(filename).suffix.lower()
    if suffix in CLIP_SUFFIXES:
        return "clip"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    allowed = ", ".join(sorted(CLIP_SUFFIXES | IMAGE_SUFFIXES))
    raise ValidationError(f"{filename or 'file'}: unsupported file type (use {allowed})")


def file_hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def describe(path: Path, kind: str) -> dict[str, Any]:
    """Validate ``path`` and return the MediaAsset columns it fills (raises ValidationError)."""
    try:
        if kind == "clip":
            info = validate_clip(path)
            video = info.video
            assert video is not None  # validate_clip refuses files without video
            return {
                "duration": info.duration,
                "width": video.width,
                "height": video.height,
                "has_audio": info.audio is not None,
                "info": {
                    "container": info.container,
                    "video_codec": video.codec,
                    "fps": video.fps,
                    "audio_codec": info.audio.codec if info.audio else None,
                },
            }
        width, height = validate_image(path)
        return {"duration": None, "width": width, "height": height, "has_audio": False, "info": {}}
    except MediaValidationError as exc:
        raise ValidationError(str(exc)) from None


def add_media(
    session: Session,
    settings: Settings,
    stream: IO[bytes],
    filename: str,
    *,
    name: str | None = None,
    uploaded_by_id: int | None = None,
) -> MediaAsset:
    """Store an upload under a random name, validate it and add a MediaAsset; the caller commits.

    The file is removed again when validation fails, so refused uploads leave nothing behind.
    """
    kind = kind_for(filename)
    directory = media_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower()
    target = directory / f"{secrets.token_hex(12)}{suffix}"
    shown = Path(filename).name  # the error message names the user's file, not ours
    try:
        with target.open("wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        try:
            columns = describe(target, kind)
        except ValidationError as exc:
            raise ValidationError(str(exc).replace(target.name, shown or "file")) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    asset = MediaAsset(
        kind=kind,
        name=(name or Path(filename).stem or "media")[:300],
        path=str(target),
        content_hash=file_hash(target),
        uploaded_by_id=uploaded_by_id,
        **columns,
    )
    session.add(asset)
    session.flush()
    return asset


def delete_media(session: Session, settings: Settings, asset_id: int) -> None:
    """Delete an asset and its file; the caller commits.

    Refuses (ValidationError) while a template uses it: a template pointing at a deleted
    clip would fail every render of a batch.
    """
    asset = session.get(MediaAsset, asset_id)
    if asset is None:
        raise NotFound(f"media {asset_id} not found")
    users = templates_using(session, asset)
    if users:
        raise ValidationError(f"{asset.name} is used by template(s): {', '.join(users)}")
    path = Path(asset.path)
    session.delete(asset)
    session.flush()
    root = media_dir(settings).resolve()
    if path.resolve().is_relative_to(root):
        path.unlink(missing_ok=True)


def templates_using(session: Session, asset: MediaAsset) -> list[str]:
    """Names of the templates whose spec references ``asset`` (by id or by name)."""
    refs = {str(asset.id), asset.name}
    names = []
    for row in session.scalars(select(TemplateRow)):
        if refs & set(_spec_asset_refs(row.spec)):
            names.append(row.name)
    return names


def _spec_asset_refs(spec: dict[str, Any]) -> Iterable[str]:
    for seg in spec.get("segments") or []:
        if not isinstance(seg, dict):
            continue
        if seg.get("clip"):
            yield str(seg["clip"])
        for key in ("background", "image"):
            sub = seg.get(key)
            if isinstance(sub, dict) and sub.get("asset_id"):
                yield str(sub["asset_id"])


def find_asset(session: Session, ref: str) -> MediaAsset | None:
    """An asset by id (``"12"``) or, failing that, by name (the newest with that name)."""
    if ref.isdigit():
        asset = session.get(MediaAsset, int(ref))
        if asset is not None:
            return asset
    return session.scalars(
        select(MediaAsset).where(MediaAsset.name == ref).order_by(MediaAsset.id.desc()).limit(1)
    ).first()


def resolve_assets(session: Session, refs: Iterable[str]) -> tuple[dict[str, Path], list[str]]:
    """Map template asset references to files; the second value lists the missing ones."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for ref in sorted(set(refs)):
        asset = find_asset(session, ref)
        if asset is None or not Path(asset.path).is_file():
            missing.append(ref)
        else:
            found[ref] = Path(asset.path)
    return found, missing


def list_media(session: Session) -> list[MediaAsset]:
    return list(session.scalars(select(MediaAsset).order_by(MediaAsset.kind, MediaAsset.name)))


def ffmpeg_runner(settings: Settings) -> Any:
    from leadreel.integrations.ffmpeg import SubprocessRunner, find_ffmpeg

    return SubprocessRunner(find_ffmpeg(settings.ffmpeg_path) if settings.ffmpeg_path else None)


def file_in_data_dir(settings: Settings, path: str | os.PathLike[str] | None) -> Path | None:
    """``path`` if it is an existing file inside the data dir (guards file routes)."""
    if not path:
        return None
    resolved = Path(path).resolve()
    if resolved.is_file() and resolved.is_relative_to(settings.data_dir.resolve()):
        return resolved
    return None
