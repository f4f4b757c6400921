"""The demo's sample business websites, served by the app itself (public, static, demo only).

Only while ``leadreel demo`` has written them (its manifest exists); only the two files a
site has; the screenshot browser reaches them through the egress filter's one exception
(see :mod:`leadreel.services.demo_sites`).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory

from leadreel.services.demo_sites.builder import SLUG_PATTERN, manifest, sites_dir

bp = Blueprint("demo_sites", __name__, url_prefix="/demo-sites")
FILES = {"index.html": "text/html", "site.css": "text/css"}


@bp.route("/<slug>/", defaults={"name": "index.html"})
@bp.route("/<slug>/<name>")
def site(slug: str, name: str):  # type: ignore[no-untyped-def]
    """One file of one demo site."""
    data_dir = current_app.config["SETTINGS"].data_dir
    if name not in FILES or not SLUG_PATTERN.match(slug) or manifest(data_dir) is None:
        abort(404)
    folder = sites_dir(data_dir) / slug
    if not (folder / name).is_file():
        abort(404)
    return send_from_directory(folder, name, mimetype=FILES[name], max_age=60)
