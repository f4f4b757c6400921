"""Title cards: the last fallback when a lead's site cannot be captured.

A video must still render when a website is down, blocked by the egress filter or blank, so
instead of an error page we show a clean card with the company's name and domain. The
background hue is derived from the name, so one company always gets the same colours and a
batch of cards does not look like one repeated placeholder.
"""

from __future__ import annotations

import colorsys
import hashlib
import textwrap
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def _font(size: int, bold: bool) -> Font:
    """DejaVu when installed (fonts-dejavu-core), else Pillow's bundled default font."""
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Two dark, saturated shades of a hue picked from the company name."""
    hue = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:4], 16) / 0xFFFF

    def rgb(h: float, lightness: float, saturation: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, saturation)
        return round(r * 255), round(g * 255), round(b * 255)

    return rgb(hue, 0.16, 0.55), rgb(hue + 0.08, 0.32, 0.60)


def _gradient(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    """A diagonal gradient built from Pillow's 256-step ramp, resized (fast at any size)."""
    ramp = Image.linear_gradient("L").rotate(45, expand=True, resample=Image.Resampling.BICUBIC)
    side = ramp.width
    inset = side // 4
    mask = ramp.crop((inset, inset, side - inset, side - inset)).resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> float:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return right - left


def _fit_name(
    draw: ImageDraw.ImageDraw, name: str, max_width: float, max_size: int, min_size: int
) -> tuple[list[str], Font]:
    """Wrap the name onto at most three lines, shrinking the font until every line fits."""
    size = max_size
    while True:
        font = _font(size, bold=True)
        for max_lines in (1, 2, 3):
            chars = max(4, len(name) // max_lines + 1)
            lines = textwrap.wrap(name, width=chars, break_long_words=True) or [name]
            if len(lines) <= max_lines and all(
                _text_width(draw, line, font) <= max_width for line in lines
            ):
                return lines, font
        if size <= min_size:  # still too long at the smallest size: ellipsize the third line
            lines = textwrap.wrap(
                name, width=max(4, len(name) // 3 + 1), max_lines=3, placeholder="…"
            )
            return lines, font
        size = max(min_size, int(size * 0.88))


def title_card(
    company_name: str,
    domain: str | None,
    out_path: Path,
    size: tuple[int, int] = (1280, 720),
) -> Path:
    """Draw a card with the company name (large) and domain (smaller); returns ``out_path``."""
    width, height = size
    if width < 64 or height < 64:
        raise ValueError(f"card size too small: {size!r}")
    name = " ".join((company_name or "").split()) or (domain or "Your company")
    domain = (domain or "").strip()
    top, bottom = _palette(name.lower())
    image = _gradient(size, top, bottom)
    draw = ImageDraw.Draw(image)

    margin = width * 0.1
    lines, font = _fit_name(draw, name, width - 2 * margin, int(height * 0.13), 18)
    line_height = font.getbbox("Ag")[3] * 1.18
    domain_font = _font(max(14, int(height * 0.045)), bold=False)
    domain_gap = height * 0.05 if domain else 0
    domain_h = domain_font.getbbox("Ag")[3] if domain else 0
    block = line_height * len(lines) + domain_gap + domain_h
    y = (height - block) / 2

    # a thin accent rule above the name, like a lower-third
    rule_w = width * 0.08
    accent = tuple(min(255, c + 110) for c in bottom)
    draw.rectangle((margin, y - height * 0.05, margin + rule_w, y - height * 0.05 + 5), fill=accent)
    for line in lines:
        draw.text((margin, y), line, font=font, fill=(255, 255, 255))
        y += line_height
    if domain:
        draw.text((margin, y + domain_gap), domain, font=domain_font, fill=(214, 224, 236))

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    image.save(out_path, format="PNG", optimize=False)
    return out_path
