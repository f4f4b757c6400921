"""Write the sample sites and the manifest; read the manifest back (for the egress rule).

Sites are static files made from :mod:`.catalog` with ``html.escape`` on every value, so a
company name cannot inject markup. Regenerating is cheap and idempotent.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from leadreel.services.demo_sites.catalog import TESTIMONIALS, profile

PREFIX = "/demo-sites/"
_FILES = Path(__file__).resolve().parent.parent.parent / "data" / "demo_site"
_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")


@dataclass(frozen=True)
class SiteInfo:
    name: str
    industry: str | None = None
    city: str | None = None


def sites_dir(data_dir: Path) -> Path:
    return data_dir / "demo_sites"


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:60] or "site"


def site_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}{PREFIX}{slug}/"


def manifest(data_dir: Path) -> dict[str, object] | None:
    """The demo sites' manifest (``base_url``, ``slugs``), or None when the demo is off."""
    path = sites_dir(data_dir) / "manifest.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("base_url") else None


def allowed_origin(data_dir: Path) -> tuple[str, int] | None:
    """``(host, port)`` the screenshot browser may fetch ``/demo-sites/`` paths from."""
    data = manifest(data_dir)
    if data is None:
        return None
    parts = urlsplit(str(data["base_url"]))
    if parts.scheme != "http" or not parts.hostname:
        return None
    return parts.hostname, parts.port or 80


def write_sites(data_dir: Path, base_url: str, sites: list[SiteInfo]) -> dict[str, str]:
    """Write one site per company; return company name -> URL. Replaces earlier sites."""
    root = sites_dir(data_dir)
    staging = root.with_name("demo_sites.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    urls: dict[str, str] = {}
    for site in sites:
        slug = slugify(site.name)
        if slug in {slugify(n) for n in urls}:
            continue
        folder = staging / slug
        folder.mkdir()
        (folder / "index.html").write_text(render_site(site))
        (folder / "site.css").write_text(render_css(site))
        urls[site.name] = site_url(base_url, slug)
    (staging / "manifest.json").write_text(
        json.dumps({"base_url": base_url.rstrip("/"), "slugs": sorted(slugify(n) for n in urls)})
    )
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    return urls


def render_css(site: SiteInfo) -> str:
    look, _tagline, _services = profile(site.industry)
    values = {k: getattr(look, k) for k in look.__dataclass_fields__}
    return _template("site.css").substitute(values)


def render_site(site: SiteInfo) -> str:
    _look, tagline, services = profile(site.industry)
    name, city = escape(site.name), escape(site.city or "your town")
    industry = escape((site.industry or "local business").lower())
    cards = "".join(
        f'<div class="card"><div class="icon"></div><h3>{escape(s)}</h3>'
        f"<p>Done properly by the {name} team, with a clear quote before we start.</p></div>"
        for s in services
    )
    quotes = "".join(
        f'<div class="card"><blockquote>“{escape(q)}”<footer>{escape(who)}, {city}</footer>'
        "</blockquote></div>"
        for q, who in TESTIMONIALS
    )
    return _template("index.html").substitute(
        name=name, city=city, industry=industry, tagline=escape(tagline), cards=cards, quotes=quotes
    )


def _template(name: str) -> Template:
    return Template((_FILES / name).read_text(encoding="utf-8"))
