"""The email thumbnail: the video's thumbnail with a play button drawn on it (Pillow).

Why drawn here: most mail clients show images but no video and many no GIF, and a plain
screenshot does not say "click to watch". Drawn once per thumbnail and cached under
``cache/share/`` (outside ``videos/``, so ``videos prune`` never counts it as a render
file); a newer thumbnail (re-render) redraws it.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw


def email_image(thumbnail: Path, cache_dir: Path, key: str) -> Path:
    """Return the cached play-button JPEG for ``thumbnail``, drawing it when stale."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{key}.jpg"
    if target.is_file() and target.stat().st_mtime >= thumbnail.stat().st_mtime:
        return target
    with Image.open(thumbnail) as source:
        image = source.convert("RGB")
    image.thumbnail((960, 960))
    width, height = image.size
    scale = 4  # draw large, then shrink: smooth edges without an antialiasing library
    overlay = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    radius = int(min(width, height) * 0.14) * scale
    cx, cy = width * scale // 2, height * scale // 2
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(0, 0, 0, 150))
    draw.ellipse(
        (cx - radius, cy - radius, cx + radius, cy + radius),
        outline=(255, 255, 255, 235),
        width=max(2, radius // 14),
    )
    side = radius * 0.9
    draw.polygon(
        [
            (cx - side * 0.35, cy - side * 0.5),
            (cx - side * 0.35, cy + side * 0.5),
            (cx + side * 0.55, cy),
        ],
        fill=(255, 255, 255, 245),
    )
    overlay = overlay.resize((width, height), Image.Resampling.LANCZOS)
    out = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    staging = target.with_suffix(".tmp.jpg")
    out.save(staging, "JPEG", quality=85, optimize=True)
    os.replace(staging, target)
    return target
