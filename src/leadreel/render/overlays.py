"""Text overlays: one ``drawtext`` filter per line of text, safe for any lead data.

Why a file per text: drawtext reads ``textfile`` with ``expansion=none``, so a company
called ``O'Reilly: 100% {x}`` never meets the two levels of filtergraph escaping nor
drawtext's ``%{...}`` expansion. Only paths and colors are escaped, by :func:`quote`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import ImageFont

from leadreel.render.templates import TextOverlay

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def default_font() -> Path | None:
    """DejaVu Sans when installed (predictable metrics), else None: ffmpeg's fontconfig default."""
    return DEJAVU_SANS if DEJAVU_SANS.is_file() else None


def quote(value: str) -> str:
    """Quote a filter option value (a path, a color) for both escaping levels: the graph
    parser strips one level of quotes, then the filter's option parser splits on ``:``."""
    inner = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    return "'" + inner.replace("'", "'\\''") + "'"


def fit_font_size(text: str, size: int, max_width: int, font_path: Path | None) -> int:
    """Shrink the font so a long company name stays inside the frame (drawtext can't wrap).

    Pillow measures with the same font file ffmpeg will use; without one, a typical
    sans-serif advance (0.6 em) is assumed.
    """
    try:
        if font_path is None:
            raise OSError("no font file")
        width = ImageFont.truetype(str(font_path), size).getlength(text)
    except OSError:
        width = 0.6 * size * len(text)
    if width <= max_width:
        return size
    return max(8, int(size * max_width / width))


def drawtext_filter(
    text: str,
    overlay: TextOverlay,
    *,
    text_file: Path,
    frame: tuple[int, int],
    segment_seconds: float,
    font_path: Path | None,
) -> str | None:
    """The ``drawtext=...`` filter for already-substituted ``text`` (None when it is blank)."""
    text = text.strip()
    if not text:
        return None
    text_file.write_text(text, encoding="utf-8")
    width, height = frame
    m = round(0.04 * height)
    size = fit_font_size(text, max(8, round(overlay.size * height)), width - 2 * m, font_path)
    xs = {"left": str(m), "right": f"w-text_w-{m}", "mid": "(w-text_w)/2"}
    ys = {"top": str(m), "bottom": f"h-text_h-{m}", "mid": "(h-text_h)/2"}
    vert, _, horiz = overlay.position.partition("_")
    x = xs[horiz or "mid"]
    y = ys["mid" if vert == "center" else vert]
    end = segment_seconds if overlay.end is None else min(overlay.end, segment_seconds)
    parts = [
        f"textfile={quote(str(text_file))}",
        "expansion=none",
        f"fontsize={size}",
        f"fontcolor={quote(overlay.color)}",
        f"x={x}",
        f"y={y}",
        f"enable='between(t,{overlay.start:.3f},{end:.3f})'",
    ]
    if font_path is not None:
        parts.insert(0, f"fontfile={quote(str(font_path))}")
    if overlay.box:
        parts += [
            "box=1",
            f"boxcolor={quote(overlay.box_color)}",
            f"boxborderw={max(2, size // 4)}",
        ]
    return "drawtext=" + ":".join(parts)
